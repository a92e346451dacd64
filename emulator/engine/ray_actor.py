"""The Ray actor that is one SageMaker instance: it runs ``InstanceHost`` (the local
executor's own instance code) on its node, so its model server starts there and its
files are read and written from there; no input or output crosses the driver.

What the instance says (events, stimuli, finished files) waits in an outbox that the
driver empties with ``drain()`` as it goes (engine/ray_executor.py). Committed outputs
stay here until the driver asks to ``settle`` or ``undo`` them at the job's end.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from typing import Any

from emulator import runtime as runtimes
from emulator.engine import events as ev
from emulator.engine import lifecycle as lc
from emulator.engine.file_run import Commit, FileOutcome
from emulator.engine.instance_host import InstanceHost
from emulator.engine.log_streams import InstanceStreams
from emulator.engine.ray_cluster import node_of_this_process
from emulator.processes import this_process
from emulator.plan import ExecutionParameters, Plan
from emulator.storage import InputObject

Message = tuple[Any, ...]  # ("event", Event) | ("stimulus", Stimulus) | ("started",) | ("parameters", params)
#                            | ("file_done", InputObject, FileOutcome, commit key) | ("upload", uri, upload id)
DRAIN_MAX = 2000  # messages per drain() answer


@dataclasses.dataclass(frozen=True)
class RuntimeRecipe:
    """How to build the instance's runtime on its node (a runtime holds connections: it
    cannot travel, its recipe can)."""

    name: str
    options: dict[str, Any]
    steps: tuple[runtimes.StepSpec, ...] = ()

    def build(self) -> runtimes.Runtime:
        rt: runtimes.Runtime = runtimes.get_runtime(self.name, **self.options)
        return runtimes.PipelineRuntime(rt, list(self.steps)) if self.steps else rt


class InstanceActor:
    def __init__(self, name: str, plan: Plan, recipe: RuntimeRecipe, streams: InstanceStreams,
                 host_args: dict[str, Any]) -> None:
        self._outbox: queue.Queue[Message] = queue.Queue()
        self._cancelled = threading.Event()
        self._committed: dict[int, Commit] = {}
        self._serial = threading.Lock()  # one run of files at a time, as on the local executor
        self.host = InstanceHost(name, plan, recipe.build(), sink=self, cancelled=self._cancelled,
                                 streams=streams, **host_args)

    # -- the driver's calls -------------------------------------------------------------
    def where(self) -> tuple[str, str, str]:
        """(node IP, node id, this process as the owner label its instance's container carries)."""
        return (*node_of_this_process(), this_process().as_label())

    def start(self) -> None:
        self.host.start()

    def run_files(self, files: tuple[InputObject, ...], started_at: float) -> None:
        with self._serial:
            self.host.run_files(files, started_at)

    def cancel(self) -> None:
        self._cancelled.set()

    def stop(self) -> None:
        self._cancelled.set()
        self.host.stop()

    def drain(self, wait_s: float) -> list[Message]:
        """What the instance said since the last drain, waiting up to ``wait_s`` for the first."""
        try:
            out = [self._outbox.get(timeout=wait_s)]
        except queue.Empty:
            return []
        while len(out) < DRAIN_MAX:
            try:
                out.append(self._outbox.get_nowait())
            except queue.Empty:
                break
        return out

    def settle(self, key: int) -> None:
        self._committed.pop(key).settle()

    def undo(self, key: int) -> None:
        self._committed.pop(key).undo()

    # -- HostSink: the instance's words, into the outbox ----------------------------------
    def emit(self, event: ev.Event) -> ev.Event:
        self._outbox.put(("event", event))
        return event

    def report(self, stimulus: lc.Stimulus) -> None:
        self._outbox.put(("stimulus", stimulus))

    def started(self, instance: str) -> None:
        self._outbox.put(("started",))

    def parameters(self, instance: str, params: ExecutionParameters) -> None:
        self._outbox.put(("parameters", params))

    def file_done(self, instance: str, obj: InputObject, outcome: FileOutcome) -> None:
        key = 0
        if outcome.committed is not None:
            key = id(outcome.committed)
            self._committed[key] = outcome.committed
        self._outbox.put(("file_done", obj, dataclasses.replace(outcome, committed=None), key))

    def upload(self, uri: str, upload_id: str) -> None:
        self._outbox.put(("upload", uri, upload_id))
