"""One SageMaker instance's life, wherever it runs: start its model server through a
runtime, wait for /ping, ask /execution-parameters, run its files through InstanceWork,
stop it.

Both executors run this same code: the local executor in a thread of bte's process
(engine/local_executor.py), the Ray executor inside one actor per instance on a cluster
node (engine/ray_actor.py). What the instance has to say goes through a ``HostSink``:
events for the stream, stimuli for the lifecycle, finished files for the runner.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from emulator.engine import capture
from emulator.engine import events as ev
from emulator.engine import lifecycle as lc
from emulator.engine.errors import INTERNAL_ERROR, PING_FAILURE, Failure, failure_of
from emulator.engine.file_run import FileOutcome
from emulator.engine.instance_work import InstanceWork
from emulator.engine.log_streams import InstanceStreams
from emulator.engine.pipeline_calls import HealthWatch, ask_all_execution_parameters, dead_part, targets
from emulator.plan import ExecutionParameters, Plan, resolve_execution_parameters
from emulator.runtime import Instance, InstanceSpec, Runtime
from emulator.spec.errors import BteError
from emulator.storage import InputObject

PING_NOTICES_S = (10.0, 30.0, 60.0)  # when a not-yet-healthy instance is shown; then every minute
PING_NOTICE_LINES = 3


class HostSink(Protocol):
    """Where an instance reports: the runner's own methods locally, a queue to the driver on Ray."""

    def emit(self, event: ev.Event) -> ev.Event: ...

    def report(self, stimulus: lc.Stimulus) -> None: ...

    def started(self, instance: str) -> None: ...

    def parameters(self, instance: str, params: ExecutionParameters) -> None: ...

    def file_done(self, instance: str, obj: InputObject, outcome: FileOutcome) -> None: ...

    def upload(self, uri: str, upload_id: str) -> None: ...


class InstanceHost:
    """One instance: ``start()``, then ``run_files()`` once healthy (any number of times:
    files moved from a lost instance come as a later call), then ``stop()``."""

    def __init__(self, name: str, plan: Plan, runtime: Runtime, *, model_dir: str | None, code_dir: str | None,
                 image: str | None, sink: HostSink, cancelled: threading.Event, run_id: str, streams: InstanceStreams,
                 ping_timeout_s: float, execution_parameters_timeout_s: float, log_tail_lines: int = 8,
                 s3_endpoint_url: str | None = None, writer_run_id: str | None = None) -> None:
        self.name = name
        self.plan, self.spec = plan, plan.spec
        self.runtime = runtime
        self.model_dir, self.code_dir, self.image = model_dir, code_dir, image
        self.sink = sink
        self.cancelled = cancelled
        self.run_id = run_id
        # The id in the names of this instance's temporaries: the run's own, or one of its
        # own on Ray, so that a lost instance's partial outputs can be removed alone.
        self.writer_run_id = writer_run_id or run_id
        self.ping_timeout_s = ping_timeout_s
        self.execution_parameters_timeout_s = execution_parameters_timeout_s
        self.log_tail_lines = log_tail_lines
        self.s3_endpoint_url = s3_endpoint_url
        self.streams = streams
        self.instance: Instance | None = None
        self.params: ExecutionParameters | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self._to_stop: Instance | None = None  # started and not stopped yet

    # -- start ------------------------------------------------------------------------
    def start(self) -> None:
        """Start, wait healthy, resolve parameters; InstanceHealthy or InstanceFailed at the end."""
        # Whatever goes wrong here must reach the lifecycle, or the job waits forever.
        try:
            self._start()
        except Exception as exc:
            self.sink.report(lc.InstanceFailed(self.name, Failure(INTERNAL_ERROR,
                                                                  f"{self.name}: {exc.__class__.__name__}: {exc}")))

    def _start(self) -> None:
        job, name = self.spec.name, self.name
        instance_spec = InstanceSpec(
            name=name, job_name=job, environment=self.plan.container_environment(),
            instance_type=self.spec.instance_type, image=self.image,
            model_dir=self.model_dir, code_dir=self.code_dir,
        )
        streams = self.streams

        def on_log(instance_name: str, line: str) -> None:
            # A pipeline's containers are named <instance>/<ContainerHostname>; each has its own stream.
            self.sink.emit(streams.log(line) if instance_name == name else streams.container_log(instance_name, line))

        try:
            instance = self.runtime.start(instance_spec, on_log=on_log)
        except BteError as exc:
            self.sink.report(lc.InstanceFailed(name, failure_of(exc, f"{name}: could not start: {exc}")))
            return
        with self._lock:
            self.instance = instance
            stopped = self._stopped
            if not stopped:
                self._to_stop = instance
        if stopped:  # stop() came while the runtime started it
            self._stop(instance)
            return
        if self.cancelled.is_set():
            return
        self.sink.started(name)
        self.sink.emit(ev.InstanceStarted(job=job, instance=name, url=instance.url, runtime=self.runtime.name,
                                          log_stream=streams.container))
        for note in getattr(instance, "notes", ()):
            self.sink.emit(streams.data(f"note: {note}", tag="bte"))
        unhealthy = self._wait_healthy(instance)
        if unhealthy:
            self.sink.report(lc.InstanceFailed(name, Failure(PING_FAILURE, unhealthy)))
            return
        if self.cancelled.is_set():  # stopped (or failing elsewhere) while this one started
            return
        answer, problems = ask_all_execution_parameters(instance, self.execution_parameters_timeout_s)
        for problem in problems:
            self.sink.emit(streams.data(problem))
        params = resolve_execution_parameters(self.spec, answer)
        self.params = params
        self.sink.parameters(name, params)
        self.sink.emit(
            ev.ParametersResolved(
                job=job, instance=name, max_concurrent_transforms=params.max_concurrent_transforms,
                batch_strategy=params.batch_strategy, max_payload_in_mb=params.max_payload_in_mb,
                sources=dict(params.sources),
            )
        )
        self.sink.emit(streams.data(params.data_log_line()))
        self.sink.report(lc.InstanceHealthy(name))

    def _wait_healthy(self, instance: Instance) -> str | None:
        """None once /ping answers 200; else bte's explanation of why it never did."""
        from emulator.engine.container_client import ping_interval

        name = self.name
        started = time.time()
        deadline = started + self.ping_timeout_s
        watch = HealthWatch(instance)  # every container of a pipeline must answer
        notices = iter(PING_NOTICES_S)
        notice_at = next(notices)
        while not self.cancelled.is_set():
            healthy = watch.poll()
            waited = time.time() - started
            if not healthy and waited >= notice_at:
                notice_at = next(notices, notice_at + 60.0)
                _, part, status = watch.pending[0]
                self.sink.emit(ev.PingWaiting(job=self.spec.name, instance=name, waited_s=waited, status=status,
                                              last_lines=tuple(part.log_tail(PING_NOTICE_LINES))))
            if healthy:
                self.sink.emit(ev.PingOk(job=self.spec.name, instance=name, waited_s=time.time() - started))
                return None
            dead = dead_part(instance)
            if dead is not None:
                who, part = dead
                return (
                    f"{name}{who} exited with code {part.exit_code()} before it became "
                    f"healthy. Last log lines: {self._tail(part)}"
                )
            if time.time() > deadline:  # name every container still unhealthy, as the service does
                sick = "; ".join(f"{name}{who} {'did not answer' if status is None else f'answered {status}'}"
                                 for who, _, status in watch.pending)
                return (
                    f"{sick} on /ping for {self.ping_timeout_s:g} s "
                    f"(raise the start timeout with --ping-timeout; the service waits about 30 minutes). "
                    f"Last log lines: {self._tail(watch.pending[0][1])}"
                )
            time.sleep(ping_interval(time.time() - started))
        return None

    # -- files ------------------------------------------------------------------------
    def run_files(self, files: tuple[InputObject, ...], started_at: float,
                  stream: ev.EventStream | None = None) -> None:
        """Files through the instance's workers; then InstanceIdle (or InstanceFailed)."""
        name = self.name
        try:
            instance, params = self.instance, self.params
            assert instance is not None and params is not None, f"{name} ran files before it was healthy"
            InstanceWork(
                spec=self.spec, instance=name, url=instance.url, files=files,
                params=params, stream=stream or _SinkStream(self.sink), cancelled=self.cancelled,
                on_file_done=lambda obj, outcome: self.sink.file_done(name, obj, outcome),
                s3_endpoint_url=self.s3_endpoint_url, run_id=self.writer_run_id,
                on_upload=self.sink.upload,
                instance_gone=lambda: self._gone(instance), streams=self.streams,
                inference_ids=capture.inference_ids(self.spec, started_at),
                targets=targets(instance),
            ).run()
        except Exception as exc:
            self.sink.report(lc.InstanceFailed(name, Failure(INTERNAL_ERROR, f"{name}: {exc.__class__.__name__}: {exc}")))
            return
        self.sink.report(lc.InstanceIdle(name))

    # -- stop -------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the model server (idempotent); one that is still starting stops once started."""
        with self._lock:
            self._stopped = True
            instance, self._to_stop = self._to_stop, None
        if instance is not None:
            self._stop(instance)

    def _stop(self, instance: Instance) -> None:
        try:
            instance.stop()
        except BteError as exc:
            self.sink.emit(ev.InstanceLog(job=self.spec.name, instance=self.name, line=f"stop failed: {exc}"))

    # -- words ------------------------------------------------------------------------
    def _gone(self, instance: Instance) -> str | None:
        """How an instance ended, when it did, for the FailureReason of the work it cut off."""
        dead = dead_part(instance)
        if dead is None:
            return None
        who, part = dead
        return f"{(who + ' ').lstrip()}exited with code {part.exit_code()}; last log lines: {self._tail(part, 3)}"

    def _tail(self, instance: Instance, lines: int | None = None) -> str:
        # FailureReason holds 1024 characters: the last lines, each cut short, say the most.
        tail = instance.log_tail(lines or self.log_tail_lines)
        cut = [line.strip()[:200] for line in tail if line.strip()]
        return " | ".join(cut) or "(none)"


class _SinkStream(ev.EventStream):
    """InstanceWork's stream, when the sink is the stream: each event goes to the sink."""

    def __init__(self, sink: HostSink) -> None:
        super().__init__("")
        self._sink = sink

    def emit(self, event: ev.Event) -> ev.Event:
        return self._sink.emit(event)

