"""Containers created and started by a child process forked before bte's imports.

On a small job the container's start is on the critical path, and before bte can send
``docker create`` it must import itself and the Docker SDK (requests, urllib3: about
0.1 s of the ~0.3 s of Python before the request). ``ForkedStarter.begin()`` forks at the
very start of ``bte run``, while the process has no threads; the child connects to the
engine (over its socket without the SDK where the engine is local: engine_socket.py) and
reads its CPUs and memory while the parent imports the rest, validates the request and
lists the inputs, and then waits for one message: the instances to start. It creates and
starts each with the same ``DockerRuntime.create_and_start`` as the engine (labels,
limits, mounts, port retries), owned by the parent (the owner label orphan cleanup
checks), answers with each container's id, port and limits, and exits. The parent adopts
them (``DockerRuntime.adopt``: its log from the first line) when the engine asks.

Where no fork exists (Windows), the child dies, or the job is not a Docker one, the parent
starts instances itself as before. The child ignores Ctrl-C so that it always answers;
the parent removes what it was given and never used (``discard``).
"""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import struct
import threading
from dataclasses import dataclass
from typing import Any

from emulator.runtime.base import Instance, InstanceSpec, LogCallback

_LENGTH = struct.Struct("!I")


@dataclass
class _Started:
    container_id: str
    port: int
    limits: Any


@dataclass
class _Refused:
    kind: str  # the runtime error's class name
    message: str
    instance: str | None
    image: str | None


def _send(fd: int, payload: object) -> None:
    data = pickle.dumps(payload)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> Any:
    """The next message, or None at end of file."""
    head = _read_exactly(fd, _LENGTH.size)
    if head is None:
        return None
    body = _read_exactly(fd, _LENGTH.unpack(head)[0])
    return None if body is None else pickle.loads(body)


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks = b""
    while len(chunks) < n:
        chunk = os.read(fd, n - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks


def _child(requests: int, answers: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # always answer: the parent removes what it is given
    from emulator.runtime.docker_runtime import DockerRuntime
    from emulator.runtime.engine_socket import EngineSocket
    from emulator.runtime.errors import InstanceError

    # Everything that does not depend on the request, before it comes: the connection and
    # the engine's CPUs and memory (the instance's limits). A local engine is spoken to
    # without the Docker SDK, whose import alone took longer than the parent's path to
    # the request (engine_socket.py); any other engine through the SDK.
    engine = EngineSocket.from_environment()
    runtime = DockerRuntime.over_socket(engine) if engine is not None else DockerRuntime()
    runtime.host_resources()
    message = _receive(requests)
    if message is None:  # not a Docker job, or the parent is gone
        return
    owner, specs = message
    results: dict[str, Any] = {}
    threads = []

    def start(spec: InstanceSpec) -> None:
        try:
            container_id, port, limits = runtime.create_and_start(spec, owner=owner)
            results[spec.name] = _Started(container_id, port, limits)
        except InstanceError as exc:
            results[spec.name] = _Refused(type(exc).__name__, exc.message, exc.instance, getattr(exc, "image", None))
        except Exception as exc:  # noqa: BLE001 (handed to the parent, which raises it as the engine would)
            results[spec.name] = _Refused("InstanceStartFailed", f"{type(exc).__name__}: {exc}", spec.name, None)

    for spec in specs:  # in parallel, as the engine starts instances
        thread = threading.Thread(target=start, args=(spec,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    _send(answers, results)


class ForkedStarter:
    """The parent's end; see the module's docstring."""

    def __init__(self, pid: int, requests: int, answers: int) -> None:
        self._pid = pid
        self._requests: int | None = requests
        self._answers = answers
        self._lock = threading.Lock()
        self._results: dict[str, Any] | None = None
        self._specs: dict[str, InstanceSpec] = {}
        self._taken: set[str] = set()
        self._runtime: Any = None

    @classmethod
    def begin(cls) -> ForkedStarter | None:
        """Fork the starter now (call before any thread exists); None where fork is missing."""
        if not hasattr(os, "fork"):
            return None
        requests_r, requests_w = os.pipe()
        answers_r, answers_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into bte's code, never runs its exit handlers
            code = 0
            try:
                os.close(requests_w)
                os.close(answers_r)
                _child(requests_r, answers_w)
            except BaseException:  # noqa: BLE001 (the parent sees end of file and starts them itself)
                code = 1
            finally:
                os._exit(code)
        os.close(requests_r)
        os.close(answers_w)
        return cls(pid, requests_w, answers_r)

    def start(self, specs: list[InstanceSpec]) -> None:
        """Ask the child to create and start ``specs`` (once), on the network of
        ``$BTE_DOCKER_NETWORK`` (the engine's default runtime)."""
        from emulator.processes import this_process

        self._specs = {spec.name: spec for spec in specs}
        atexit.register(self.discard)  # an exit before the engine took them (a second Ctrl-C) removes them too
        try:
            assert self._requests is not None, "start() after cancel()"
            _send(self._requests, (this_process().as_label(), specs))
        except OSError:
            self._specs = {}

    def cancel(self) -> None:
        """Nothing to start: the child exits (at once, or once its imports are done)."""
        fd = self._requests
        self._requests = None
        if fd is not None:
            os.close(fd)
            os.close(self._answers)
        self._reap(wait=False)

    def take(self, runtime: Any, spec: InstanceSpec, on_log: LogCallback | None) -> Instance | None:
        """The instance started for ``spec`` (adopted into ``runtime``), or None when none was."""
        from emulator.runtime import errors

        with self._lock:
            if self._specs.get(spec.name) != spec or spec.name in self._taken:
                return None
            self._taken.add(spec.name)
            results = self._wait()
        result = results.get(spec.name)
        if isinstance(result, _Started):
            adopted: Instance = runtime.adopt(result.container_id, result.port, result.limits, on_log)
            return adopted
        if isinstance(result, _Refused):
            if result.kind == "ImageNotFound":
                raise errors.ImageNotFound(result.message, image=result.image or "?", instance=result.instance)
            kind = getattr(errors, result.kind, errors.InstanceStartFailed)
            raise kind(result.message, instance=result.instance)
        return None  # the child died: the engine starts it

    def discard(self) -> None:
        """Remove every container started and not taken."""
        with self._lock:
            if not self._specs:
                self.cancel()
                return
            left = [name for name in self._specs if name not in self._taken]
            self._taken.update(left)
            results = self._wait()
        started = [results[name] for name in left if isinstance(results.get(name), _Started)]
        if started:
            from emulator.runtime.docker_engine import connect

            client = connect()
            try:
                for result in started:
                    try:
                        client.api.remove_container(result.container_id, force=True)
                    except Exception:  # noqa: BLE001 (gone already; orphan cleanup finds the rest by owner)
                        pass
            finally:
                client.close()

    def _wait(self) -> dict[str, Any]:
        if self._results is None:
            try:
                self._results = _receive(self._answers) or {}
            except OSError:
                self._results = {}
            os.close(self._answers)
            if self._requests is not None:
                os.close(self._requests)
                self._requests = None
            self._reap()
        return self._results

    def _reap(self, wait: bool = True) -> None:
        try:
            os.waitpid(self._pid, 0 if wait else os.WNOHANG)
        except ChildProcessError:
            pass


class ForkedHeadStart:
    """HeadStart's interface (runtime, discard) over a ForkedStarter: the engine's runtime,
    made when first needed (the parent's Docker SDK import is off the critical path), whose
    ``start`` first adopts what the child started."""

    def __init__(self, starter: ForkedStarter, make_runtime: Any) -> None:
        self.starter = starter
        self._make_runtime = make_runtime
        self._inner: Any = None
        self._lock = threading.Lock()

    @property
    def inner(self) -> Any:
        with self._lock:
            if self._inner is None:
                self._inner = self._make_runtime()
            return self._inner

    def runtime(self) -> Any:
        return _ForkedRuntime(self)

    def discard(self) -> None:
        self.starter.discard()


class _ForkedRuntime:
    def __init__(self, head: ForkedHeadStart) -> None:
        self._head = head
        self.name = "docker"

    def start(self, spec: InstanceSpec, on_log: LogCallback | None = None) -> Instance:
        inner = self._head.inner
        instance = self._head.starter.take(inner, spec, on_log)
        return instance if instance is not None else inner.start(spec, on_log=on_log)

    def __getattr__(self, attribute: str) -> Any:  # close, limits_for, client, ...: the engine's runtime's
        return getattr(self._head.inner, attribute)
