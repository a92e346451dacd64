"""The local executor (the default): each instance is an ``InstanceHost`` in a thread of
bte's own process; its model server runs on this machine through the chosen runtime."""

from __future__ import annotations

import threading
from typing import Any, Callable

from emulator.engine import lifecycle as lc
from emulator.engine.instance_host import HostSink, InstanceHost
from emulator.engine.log_streams import InstanceStreams
from emulator.plan import Plan
from emulator.runtime import Runtime
from emulator.storage import InputObject


class LocalExecutor:
    name = "local"

    def __init__(self, plan: Plan, runtime: Runtime, sink: HostSink, *, model_dir: str | None,
                 code_dir: str | None, image: str | None, run_id: str, ping_timeout_s: float,
                 execution_parameters_timeout_s: float, log_tail_lines: int, s3_endpoint_url: str | None) -> None:
        self.plan, self.runtime, self.sink = plan, runtime, sink
        self._cancelled = threading.Event()
        self._host_args: dict[str, Any] = dict(
            model_dir=model_dir, code_dir=code_dir, image=image, sink=sink, cancelled=self._cancelled,
            run_id=run_id, ping_timeout_s=ping_timeout_s, execution_parameters_timeout_s=execution_parameters_timeout_s,
            log_tail_lines=log_tail_lines, s3_endpoint_url=s3_endpoint_url,
        )
        self.hosts: dict[str, InstanceHost] = {}
        self._runs: dict[str, threading.Lock] = {}  # one run of files at a time per instance
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, instances: dict[str, InstanceStreams]) -> None:
        for name, streams in instances.items():
            host = InstanceHost(name, self.plan, self.runtime, streams=streams, **self._host_args)
            with self._lock:
                self.hosts[name] = host
                self._runs[name] = threading.Lock()
            self._spawn(host.start)

    def run_files(self, instance: str, files: tuple[InputObject, ...], started_at: float) -> None:
        host, serial = self.hosts[instance], self._runs[instance]

        def run() -> None:
            with serial:
                host.run_files(files, started_at)

        self._spawn(run)

    def cancel(self) -> None:
        self._cancelled.set()

    def stop_all(self) -> None:
        self._spawn(self._stop_everything)

    def close(self) -> None:
        pass  # every thread has ended with InstancesStopped

    def _spawn(self, target: Callable[[], None]) -> None:
        t = threading.Thread(target=target, daemon=True)
        with self._lock:
            self._threads.append(t)
        t.start()

    def _stop_everything(self) -> None:
        current = threading.current_thread()
        if not self._cancelled.is_set():
            # A normal end: every instance thread has put InstanceIdle and is returning.
            for t in self._others(current):
                t.join()
        self._cancelled.set()
        # Stop what is running first, so a worker blocked on a request gets its answer; an
        # instance still starting is stopped by its own thread once it is up (InstanceHost.stop).
        while True:
            with self._lock:
                hosts = list(self.hosts.values())
            stoppers = [threading.Thread(target=host.stop, daemon=True) for host in hosts]
            for t in stoppers:  # in parallel: each stop waits on its own engine call
                t.start()
            for t in stoppers:
                t.join()
            alive = [t for t in self._others(current) if t.is_alive()]
            if not alive:
                break
            for t in alive:
                t.join(timeout=0.5)
        self.sink.report(lc.InstancesStopped())

    def _others(self, current: threading.Thread) -> list[threading.Thread]:
        with self._lock:
            return [t for t in self._threads if t is not current]
