"""Instances started while the rest of a run is still being prepared.

A small job's time is mostly fixed cost: the container's start and model load on one side,
bte's own imports, input survey and planning on the other. An instance's start depends only
on the request and the model (image, environment, instance type, model folder), never on
the inputs' contents, so once the request is validated, the model resolved and the inputs
listed (the errors a user must see before any container starts), the instances can start
while bte does the rest; the engine then finds them already starting.

``HeadStart.begin`` starts each instance in its own thread. ``HeadStart.runtime()`` is a
``Runtime`` whose ``start`` hands over the instance begun for that spec (waiting for its
thread, and replaying the log lines it printed meanwhile to the engine's ``on_log``), and
starts any other spec as usual. ``discard`` stops whatever was begun and not handed over:
a run that ends before its engine asks (an error, a stop) leaves nothing behind.
"""

from __future__ import annotations

import threading
from typing import Any

from emulator.runtime.base import Instance, InstanceSpec, LogCallback, Runtime


class _LogRelay:
    """Keeps an instance's log lines until the engine's callback is known, then forwards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: list[tuple[str, str]] = []
        self._target: LogCallback | None = None

    def __call__(self, instance_name: str, line: str) -> None:
        with self._lock:
            if self._target is None:
                self._kept.append((instance_name, line))
                return
            target = self._target
        target(instance_name, line)

    def attach(self, target: LogCallback | None) -> None:
        # Lines are replayed under the lock, so none can overtake them.
        with self._lock:
            if target is not None:
                for name, line in self._kept:
                    target(name, line)
            self._kept.clear()
            self._target = target or (lambda _name, _line: None)


class _Begun:
    def __init__(self, runtime: Runtime, spec: InstanceSpec) -> None:
        self.spec = spec
        self.relay = _LogRelay()
        self.instance: Instance | None = None
        self.error: BaseException | None = None
        self.handed_over = False
        self.thread = threading.Thread(target=self._start, args=(runtime,), name=f"head-start-{spec.name}", daemon=True)

    def _start(self, runtime: Runtime) -> None:
        try:
            self.instance = runtime.start(self.spec, on_log=self.relay)
        except BaseException as exc:  # handed to whoever asks for the instance
            self.error = exc


class HeadStart:
    """Instances begun ahead of the engine; see the module's docstring."""

    def __init__(self, runtime: Runtime) -> None:
        self.inner = runtime
        self._begun: dict[str, _Begun] = {}
        self._lock = threading.Lock()

    def begin(self, specs: list[InstanceSpec]) -> None:
        for spec in specs:
            begun = _Begun(self.inner, spec)
            with self._lock:
                self._begun[spec.name] = begun
            begun.thread.start()

    def take(self, spec: InstanceSpec, on_log: LogCallback | None) -> Instance | None:
        """The instance begun for ``spec``, once started (None when none was begun for it)."""
        with self._lock:
            begun = self._begun.get(spec.name)
            if begun is None or begun.handed_over or begun.spec != spec:
                return None
            begun.handed_over = True
        begun.thread.join()
        begun.relay.attach(on_log)
        if begun.error is not None:
            raise begun.error
        assert begun.instance is not None
        return begun.instance

    def discard(self) -> None:
        """Stop every instance begun and not handed over (waits for starts under way)."""
        with self._lock:
            left = [b for b in self._begun.values() if not b.handed_over]
            for begun in left:
                begun.handed_over = True
        for begun in left:
            begun.thread.join()
            begun.relay.attach(None)
            if begun.instance is not None:
                begun.instance.stop()

    def runtime(self) -> Runtime:
        return _HeadStartRuntime(self)


class _HeadStartRuntime:
    """The inner runtime, except that ``start`` first looks for an instance begun ahead."""

    def __init__(self, head: HeadStart) -> None:
        self._head = head
        self.name = head.inner.name

    def start(self, spec: InstanceSpec, on_log: LogCallback | None = None) -> Instance:
        instance = self._head.take(spec, on_log)
        return instance if instance is not None else self._head.inner.start(spec, on_log=on_log)

    def __getattr__(self, attribute: str) -> Any:  # close, limits_for, client, ...: the inner runtime's
        return getattr(self._head.inner, attribute)
