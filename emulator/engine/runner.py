"""Carries out the lifecycle's instructions: the executor starts instances and runs their
files (engine/executor.py); the runner keeps the status, the outputs and the events.

Instances report back as stimuli on one queue (the runner is their ``HostSink``); only
the runner's own thread touches the lifecycle, so its decisions stay pure and ordered.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from emulator import memory
from emulator.engine import events as ev
from emulator.engine import lifecycle as lc
from emulator.engine.container_client import EXECUTION_PARAMETERS_TIMEOUT_S
from emulator.engine.errors import Failure
from emulator.engine import capture
from emulator.engine.executor import Executor
from emulator.engine.file_run import Commit, FileOutcome
from emulator.engine.local_executor import LocalExecutor
from emulator.engine.log_streams import InstanceStreams
from emulator.plan import ExecutionParameters, Plan
from emulator.runtime import Runtime
from emulator.spec.errors import BteError
from emulator.storage import InputObject
from emulator.store.paths import new_run_id

DEFAULT_PING_TIMEOUT_S = 300.0
SERVICE_PING_TIMEOUT_S = 1800.0  # the service keeps pinging for about 30 minutes
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
    def __init__(self, plan: Plan, runtime: Runtime | None, model_dir: str | None, code_dir: str | None, image: str | None,
                 stream: ev.EventStream, options: RunOptions | None = None,
                 executor: Callable[..., Executor] | None = None) -> None:
        self.plan = plan
        self.spec = plan.spec
        self.runtime = runtime
        self.model_dir, self.code_dir, self.image = model_dir, code_dir, image
        self.stream = stream
        self.options = options or RunOptions()
        self.lifecycle = lc.JobLifecycle()
        self._stimuli: queue.Queue[lc.Stimulus] = queue.Queue()
        self._committed: list[Commit] = []
        self._streams: dict[str, InstanceStreams] = {}
        self._result = RunResult("InProgress", None, None, 0.0)
        host_args: dict[str, Any] = dict(
            model_dir=model_dir, code_dir=code_dir, image=image, run_id=self.options.run_id,
            ping_timeout_s=self.options.ping_timeout_s,
            execution_parameters_timeout_s=self.options.execution_parameters_timeout_s,
            log_tail_lines=self.options.log_tail_lines, s3_endpoint_url=self.options.s3_endpoint_url,
        )
        self.executor: Executor
        if executor is None:
            assert runtime is not None, "the local executor runs instances through a runtime"
            self.executor = LocalExecutor(plan, runtime, self, **host_args)
        else:
            self.executor = executor(plan, runtime, self, **host_args)

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
        finally:
            self.executor.close()
        return self._result

    # -- instructions ---------------------------------------------------------------
    def _execute(self, instructions: list[lc.Instruction]) -> None:
        for instruction in instructions:
            match instruction:
                case lc.StartInstances(names):
                    for name in names:  # each instance's log streams, named from its start
                        self._streams.setdefault(name, InstanceStreams.start(self.spec.name, name, self.options.run_id))
                    self.executor.start({name: self._streams[name] for name in names})
                case lc.RunFiles(name):
                    self.executor.run_files(name, self.plan.assignments[name], self._started_at())
                case lc.MoveFiles(source, target, files):
                    moved = tuple(obj for obj in self.plan.inputs if obj.display_name in files)
                    for obj in moved:
                        self.stream.emit(ev.FileMoved(job=self.spec.name, instance=target, source=obj.display_name,
                                                      lost_instance=source))
                    self.executor.run_files(target, moved, self._started_at())
                case lc.CancelWork():
                    self.executor.cancel()
                case lc.StopInstances():
                    self.executor.stop_all()
                case lc.DiscardOutputs():
                    self._discard_outputs()
                case lc.KeepOutputs():
                    self._keep_outputs()
                case lc.SetStatus(status, failure):
                    self._emit_status(status, failure)

    def _started_at(self) -> float:
        return self._result.start_time or time.time()

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

    # -- what the instances report (HostSink), from any thread -------------------------
    def emit(self, event: ev.Event) -> ev.Event:
        return self.stream.emit(event)

    def report(self, stimulus: lc.Stimulus) -> None:
        self._stimuli.put(stimulus)

    def started(self, instance: str) -> None:
        if self._result.start_time is None:
            self._result.start_time = time.time()

    def parameters(self, instance: str, params: ExecutionParameters) -> None:
        self._result.parameters[instance] = params

    def upload(self, uri: str, upload_id: str) -> None:
        if self.options.on_upload is not None:
            self.options.on_upload(uri, upload_id)

    def file_done(self, instance: str, obj: InputObject, outcome: FileOutcome) -> None:
        self._file_done(instance, obj, outcome)

    def _data_log(self, name: str, text: str, tag: str = "sagemaker logs") -> None:
        """A line on an instance's data log (the job's first instance for the job's own lines)."""
        streams = self._streams.get(name) or InstanceStreams.start(self.spec.name, name, self.options.run_id)
        self.stream.emit(streams.data(text, tag))

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
