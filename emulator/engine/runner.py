"""Carries out the lifecycle's instructions: start instances, ping, run files, stop.

Threads report back as stimuli on one queue; only the runner's own thread touches the
lifecycle, so its decisions stay pure and ordered.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from emulator import memory
from emulator.engine import events as ev
from emulator.engine import lifecycle as lc
from emulator.engine.container_client import EXECUTION_PARAMETERS_TIMEOUT_S, ping_interval
from emulator.engine.errors import INTERNAL_ERROR, PING_FAILURE, Failure, failure_of
from emulator.engine import capture
from emulator.engine.file_run import FileOutcome
from emulator.engine.instance_work import InstanceWork
from emulator.engine.log_streams import InstanceStreams
from emulator.engine.pipeline_calls import HealthWatch, ask_all_execution_parameters, dead_part, targets
from emulator.plan import Plan, resolve_execution_parameters
from emulator.runtime import Instance, InstanceSpec, Runtime
from emulator.spec.errors import BteError
from emulator.storage import InputObject, OutputWriter
from emulator.store.paths import new_run_id

DEFAULT_PING_TIMEOUT_S = 300.0
SERVICE_PING_TIMEOUT_S = 1800.0  # the service keeps pinging for about 30 minutes
PING_NOTICES_S = (10.0, 30.0, 60.0)  # when a not-yet-healthy instance is shown; then every minute
PING_NOTICE_LINES = 3
FAILURE_REASON_MAX = 1024  # DescribeTransformJob's FailureReason is at most 1024 characters


@dataclass
class RunOptions:
    ping_timeout_s: float = DEFAULT_PING_TIMEOUT_S
    s3_endpoint_url: str | None = None
    log_tail_lines: int = 8
    run_id: str = field(default_factory=new_run_id)  # names the run's temporary and kept objects
    execution_parameters_timeout_s: float = EXECUTION_PARAMETERS_TIMEOUT_S
    on_upload: Callable[[str, str], None] | None = None  # (output URI, id) of each multipart upload begun


@dataclass
class RunResult:
    status: str
    failure_reason: str | None  # the service's text
    start_time: float | None
    end_time: float
    failure_detail: str | None = None  # bte's explanation (BteFailureDetail)
    outputs: dict[str, str] = field(default_factory=dict)  # input display name -> output URI
    parameters: dict[str, Any] = field(default_factory=dict)  # instance -> ExecutionParameters


class JobRunner:
    def __init__(self, plan: Plan, runtime: Runtime, model_dir: str | None, code_dir: str | None, image: str | None,
                 stream: ev.EventStream, options: RunOptions | None = None) -> None:
        self.plan = plan
        self.spec = plan.spec
        self.runtime = runtime
        self.model_dir, self.code_dir, self.image = model_dir, code_dir, image
        self.stream = stream
        self.options = options or RunOptions()
        self.lifecycle = lc.JobLifecycle()
        self._stimuli: queue.Queue[lc.Stimulus] = queue.Queue()
        self._cancelled = threading.Event()
        self._instances: dict[str, Instance] = {}
        self._instances_lock = threading.Lock()
        self._streams: dict[str, InstanceStreams] = {}  # each instance's log streams, from its start
        self._threads: list[threading.Thread] = []
        self._committed: list[OutputWriter] = []
        self._result = RunResult("InProgress", None, None, 0.0)

    # -- public ---------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the job to stop (StopTransformJob, Ctrl-C); safe from any thread."""
        self._stimuli.put(lc.StopRequested())

    def run(self) -> RunResult:
        memory.reuse_large_buffers()  # mini-batch bodies reuse freed memory (emulator/memory.py)
        self._emit_status("InProgress")
        self._execute(self.lifecycle.handle(lc.Submitted(self.plan.instance_names)))
        try:
            while self.lifecycle.status not in lc.TERMINAL:
                try:
                    stimulus = self._stimuli.get(timeout=0.5)
                except queue.Empty:
                    continue
                self._execute(self.lifecycle.handle(stimulus))
        except KeyboardInterrupt:
            self._execute(self.lifecycle.handle(lc.StopRequested()))
            while self.lifecycle.status not in lc.TERMINAL:
                self._execute(self.lifecycle.handle(self._stimuli.get()))
        return self._result

    # -- instructions ---------------------------------------------------------------
    def _execute(self, instructions: list[lc.Instruction]) -> None:
        for instruction in instructions:
            match instruction:
                case lc.StartInstances(names):
                    for name in names:
                        self._spawn(self._start_instance, name)
                case lc.RunFiles(name):
                    self._spawn(self._run_files, name)
                case lc.CancelWork():
                    self._cancelled.set()
                case lc.StopInstances():
                    self._spawn(self._stop_everything)
                case lc.DiscardOutputs():
                    self._discard_outputs()
                case lc.KeepOutputs():
                    self._keep_outputs()
                case lc.SetStatus(status, failure):
                    self._emit_status(status, failure)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _emit_status(self, status: str, failure: Failure | None = None) -> None:
        reason = detail = None
        if failure is not None:
            reason, detail = failure.reason[:FAILURE_REASON_MAX], failure.detail
        self._result.status, self._result.failure_reason, self._result.failure_detail = status, reason, detail
        if detail is not None:  # bte's explanation in the job's log too, marked as bte's own line
            self._data_log(self.plan.instance_names[0], f"BteFailureDetail: {detail}", tag="bte")
        self.stream.emit(ev.JobStateChanged(job=self.spec.name, status=status, failure_reason=reason,
                                            failure_detail=detail))
        if status in lc.TERMINAL:
            self._result.end_time = time.time()
            self.stream.emit(ev.JobDone(job=self.spec.name, status=status, failure_reason=reason,
                                        failure_detail=detail))

    # -- per instance (own thread) -----------------------------------------------------
    def _start_instance(self, name: str) -> None:
        # Whatever goes wrong in this thread must reach the lifecycle, or the job waits forever.
        try:
            self._run_instance(name)
        except Exception as exc:
            self._stimuli.put(lc.InstanceFailed(name, Failure(INTERNAL_ERROR, f"{name}: {exc.__class__.__name__}: {exc}")))

    def _run_instance(self, name: str) -> None:
        job = self.spec.name
        instance_spec = InstanceSpec(
            name=name, job_name=job, environment=self.plan.container_environment(),
            instance_type=self.spec.instance_type, image=self.image,
            model_dir=self.model_dir, code_dir=self.code_dir,
        )

        streams = self._streams.setdefault(name, InstanceStreams.start(job, name, self.options.run_id))

        def on_log(instance_name: str, line: str) -> None:
            # A pipeline's containers are named <instance>/<ContainerHostname>; each has its own stream.
            self.stream.emit(streams.log(line) if instance_name == name else streams.container_log(instance_name, line))

        try:
            instance = self.runtime.start(instance_spec, on_log=on_log)
        except BteError as exc:
            self._stimuli.put(lc.InstanceFailed(name, failure_of(exc, f"{name}: could not start: {exc}")))
            return
        with self._instances_lock:
            self._instances[name] = instance
            if self._cancelled.is_set():
                return
        if self._result.start_time is None:
            self._result.start_time = time.time()
        self.stream.emit(ev.InstanceStarted(job=job, instance=name, url=instance.url, runtime=self.runtime.name,
                                            log_stream=streams.container))
        for note in getattr(instance, "notes", ()):
            self.stream.emit(streams.data(f"note: {note}", tag="bte"))
        unhealthy = self._wait_healthy(name, instance)
        if unhealthy:
            self._stimuli.put(lc.InstanceFailed(name, Failure(PING_FAILURE, unhealthy)))
            return
        if self._cancelled.is_set():  # stopped (or failing elsewhere) while this one started
            return
        answer, problems = ask_all_execution_parameters(instance, self.options.execution_parameters_timeout_s)
        for problem in problems:
            self.stream.emit(streams.data(problem))
        params = resolve_execution_parameters(self.spec, answer)
        self._result.parameters[name] = params
        self.stream.emit(
            ev.ParametersResolved(
                job=job, instance=name, max_concurrent_transforms=params.max_concurrent_transforms,
                batch_strategy=params.batch_strategy, max_payload_in_mb=params.max_payload_in_mb,
                sources=dict(params.sources),
            )
        )
        self.stream.emit(streams.data(params.data_log_line()))
        self._stimuli.put(lc.InstanceHealthy(name))

    def _run_files(self, name: str) -> None:
        """RunFiles: the instance's files, through its workers; then it is idle."""
        try:
            with self._instances_lock:
                instance = self._instances[name]
            InstanceWork(
                spec=self.spec, instance=name, url=instance.url, files=self.plan.assignments[name],
                params=self._result.parameters[name], stream=self.stream, cancelled=self._cancelled,
                on_file_done=lambda obj, outcome: self._file_done(name, obj, outcome),
                s3_endpoint_url=self.options.s3_endpoint_url, run_id=self.options.run_id,
                on_upload=self.options.on_upload,
                instance_gone=lambda: self._gone(instance), streams=self._streams[name],
                inference_ids=capture.inference_ids(self.spec, self._result.start_time or time.time()),
                targets=targets(instance),
            ).run()
        except Exception as exc:
            self._stimuli.put(lc.InstanceFailed(name, Failure(INTERNAL_ERROR, f"{name}: {exc.__class__.__name__}: {exc}")))
            return
        self._stimuli.put(lc.InstanceIdle(name))

    def _wait_healthy(self, name: str, instance: Instance) -> str | None:
        """None once /ping answers 200; else bte's explanation of why it never did."""
        started = time.time()
        deadline = started + self.options.ping_timeout_s
        watch = HealthWatch(instance)  # every container of a pipeline must answer
        notices = iter(PING_NOTICES_S)
        notice_at = next(notices)
        while not self._cancelled.is_set():
            healthy = watch.poll()
            waited = time.time() - started
            if not healthy and waited >= notice_at:
                notice_at = next(notices, notice_at + 60.0)
                _, part, status = watch.pending[0]
                self.stream.emit(ev.PingWaiting(job=self.spec.name, instance=name, waited_s=waited, status=status,
                                                last_lines=tuple(part.log_tail(PING_NOTICE_LINES))))
            if healthy:
                self.stream.emit(ev.PingOk(job=self.spec.name, instance=name, waited_s=time.time() - started))
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
                    f"{sick} on /ping for {self.options.ping_timeout_s:g} s "
                    f"(raise the start timeout with --ping-timeout; the service waits about 30 minutes). "
                    f"Last log lines: {self._tail(watch.pending[0][1])}"
                )
            time.sleep(ping_interval(time.time() - started))
        return None

    def _data_log(self, name: str, text: str, tag: str = "sagemaker logs") -> None:
        """A line on an instance's data log (the job's first instance for the job's own lines)."""
        streams = self._streams.get(name) or InstanceStreams.start(self.spec.name, name, self.options.run_id)
        self.stream.emit(streams.data(text, tag))

    def _gone(self, instance: Instance) -> str | None:
        """How an instance ended, when it did, for the FailureReason of the work it cut off."""
        dead = dead_part(instance)
        if dead is None:
            return None
        who, part = dead
        return f"{(who + ' ').lstrip()}exited with code {part.exit_code()}; last log lines: {self._tail(part, 3)}"

    def _tail(self, instance: Instance, lines: int | None = None) -> str:
        # FailureReason holds 1024 characters: the last lines, each cut short, say the most.
        tail = instance.log_tail(lines or self.options.log_tail_lines)
        cut = [line.strip()[:200] for line in tail if line.strip()]
        return " | ".join(cut) or "(none)"

    def _file_done(self, instance: str, obj: InputObject, outcome: FileOutcome) -> None:
        if outcome.ok and outcome.output:
            if outcome.committed is not None:
                self._committed.append(outcome.committed)
            self._result.outputs[obj.display_name] = outcome.output
        failure = outcome.failure
        self.stream.emit(
            ev.FileDone(
                job=self.spec.name, instance=instance, source=obj.display_name, output=outcome.output,
                ok=outcome.ok, reason=failure.reason if failure else None, detail=failure.detail if failure else None,
                batches=outcome.batches, records=outcome.records,
            )
        )
        self._stimuli.put(lc.FileFinished(instance, obj.display_name, outcome.ok, failure))

    def _stop_everything(self) -> None:
        current = threading.current_thread()
        if not self._cancelled.is_set():
            # A normal end: every instance thread has put InstanceIdle and is returning.
            for t in list(self._threads):
                if t is not current:
                    t.join()
        self._cancelled.set()
        stopped: set[str] = set()
        while True:
            # Stop what is running first, so a worker blocked on a request gets its answer.
            with self._instances_lock:
                pending = [(n, i) for n, i in self._instances.items() if n not in stopped]
            stopped.update(name for name, _ in pending)
            stoppers = [threading.Thread(target=self._stop_one, args=pair, daemon=True) for pair in pending]
            for t in stoppers:  # in parallel: each stop waits on its own engine call
                t.start()
            for t in stoppers:
                t.join()
            alive = [t for t in list(self._threads) if t is not current and t.is_alive()]
            if not alive:
                with self._instances_lock:
                    if all(n in stopped for n in self._instances):
                        break
                continue
            for t in alive:
                t.join(timeout=0.5)
        self._stimuli.put(lc.InstancesStopped())

    def _stop_one(self, name: str, instance: Instance) -> None:
        try:
            instance.stop()
        except BteError as exc:
            self.stream.emit(ev.InstanceLog(job=self.spec.name, instance=name, line=f"stop failed: {exc}"))

    def _discard_outputs(self) -> None:
        """A stopped job stores no output (reference 2.6): take back what this run committed.
        Each output it replaced is put back, and a path another run has written since is left
        alone, so a stop never loses an earlier or another job's result (docs/engine.md)."""
        for writer in reversed(self._committed):
            try:
                writer.undo()
            except BteError as exc:
                self.stream.emit(ev.InstanceLog(job=self.spec.name, instance="bte", line=f"stop: {exc}"))
        self._committed.clear()
        self._result.outputs.clear()

    def _keep_outputs(self) -> None:
        for writer in self._committed:
            try:
                writer.settle()
            except BteError as exc:
                self.stream.emit(ev.InstanceLog(job=self.spec.name, instance="bte", line=f"end: {exc}"))
        self._committed.clear()
        self._write_capture()

    def _write_capture(self) -> None:
        """DataCaptureConfig: the input and output manifests of a job that ran (engine/capture.py)."""
        written = [obj for obj in self.plan.inputs if obj.display_name in self._result.outputs]
        try:
            for uri in capture.write_manifests(self.spec, list(self.plan.inputs), written,
                                               self._result.start_time or time.time(),
                                               s3_endpoint_url=self.options.s3_endpoint_url, run_id=self.options.run_id):
                self._data_log(self.plan.instance_names[0], f"data capture: wrote {uri}", tag="bte")
        except BteError as exc:
            self._data_log(self.plan.instance_names[0], f"data capture: the manifests were not written: {exc}",
                           tag="bte")
