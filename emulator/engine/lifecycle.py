"""The transform job's lifecycle as a pure state machine: stimuli in, instructions out.

No threads, no sockets: ``JobLifecycle.handle(stimulus)`` returns what to do next, and
the runner (engine/runner.py) carries it out and feeds the results back in. A fault
scenario is then a few lines of test (tests/engine/test_lifecycle.py).

    InProgress ──(every file ok)────────────────> Completed
        │ ─────(a file failed / never healthy)──> Failed    (FailureReason set)
        └─ stop ─> Stopping ─(instances gone)───> Stopped   (no output kept)

An instance lost with its node (the Ray executor) does not fail the job while another
instance lives: its unfinished files move, whole, to a surviving instance (MoveFiles).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.engine.errors import Failure

TERMINAL = frozenset({"Completed", "Failed", "Stopped"})


# Stimuli ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Submitted:
    instances: tuple[str, ...]


@dataclass(frozen=True)
class InstanceHealthy:
    instance: str


@dataclass(frozen=True)
class InstanceFailed:
    instance: str
    failure: Failure


@dataclass(frozen=True)
class FileFinished:
    instance: str
    source: str
    ok: bool
    failure: Failure | None = None


@dataclass(frozen=True)
class InstanceIdle:
    """The instance has no files left to run."""

    instance: str


@dataclass(frozen=True)
class InstanceLost:
    """The instance is gone with its node or actor (Ray executor); ``files`` (display
    names) were not finished on it. ``failure`` is the job's if no instance is left."""

    instance: str
    failure: Failure
    files: tuple[str, ...]


@dataclass(frozen=True)
class StopRequested:
    pass


@dataclass(frozen=True)
class InstancesStopped:
    pass


Stimulus = (Submitted | InstanceHealthy | InstanceFailed | FileFinished | InstanceIdle | InstanceLost | StopRequested
            | InstancesStopped)


# Instructions -------------------------------------------------------------------------
@dataclass(frozen=True)
class StartInstances:
    instances: tuple[str, ...]


@dataclass(frozen=True)
class RunFiles:
    instance: str


@dataclass(frozen=True)
class MoveFiles:
    """Run ``files`` (display names) of the lost instance ``source`` whole on ``target``."""

    source: str
    target: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class CancelWork:
    pass


@dataclass(frozen=True)
class StopInstances:
    pass


@dataclass(frozen=True)
class DiscardOutputs:
    """Take back every output this run committed, putting back what each replaced."""


@dataclass(frozen=True)
class KeepOutputs:
    """The run's committed outputs stay: drop the copies kept of what they replaced."""


@dataclass(frozen=True)
class SetStatus:
    status: str
    failure: Failure | None = None


Instruction = (StartInstances | RunFiles | MoveFiles | CancelWork | StopInstances | DiscardOutputs | KeepOutputs
               | SetStatus)


@dataclass
class JobLifecycle:
    status: str = "InProgress"
    instances: tuple[str, ...] = ()
    healthy: set[str] = field(default_factory=set)
    idle: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    stop_requested: bool = False
    stopping_instances: bool = False
    lost: set[str] = field(default_factory=set)
    runs: dict[str, int] = field(default_factory=dict)  # runs of files given to each instance, not yet idle
    # Files moved to an instance not healthy yet: (lost instance, file) each, run once it is.
    waiting: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def handle(self, stimulus: Stimulus) -> list[Instruction]:
        if self.status in TERMINAL:
            return []
        match stimulus:
            case Submitted(instances):
                self.instances = instances
                return [StartInstances(instances)]
            case InstanceHealthy(instance):
                if self.stop_requested or self.stopping_instances:
                    return []
                self.healthy.add(instance)
                self.runs[instance] = self.runs.get(instance, 0) + 1
                todo: list[Instruction] = [RunFiles(instance)]
                moved = self.waiting.pop(instance, [])
                for source in dict.fromkeys(src for src, _ in moved):
                    todo.append(self._move(instance, [f for src, f in moved if src == source], source))
                return todo
            case InstanceFailed(instance, failure):
                # A dead or never-healthy instance fails the whole job, as on the service.
                self.failures.append(failure)
                return self._wind_down()
            case FileFinished(_, _, ok, failure):
                if not ok and failure and not self.stop_requested:
                    self.failures.append(failure)
                return []
            case InstanceIdle(instance):
                self.runs[instance] = self.runs.get(instance, 1) - 1
                if self.runs[instance] <= 0:
                    self.idle.add(instance)
                return self._maybe_done()
            case InstanceLost(instance, failure, files):
                self.lost.add(instance)
                self.healthy.discard(instance)
                self.idle.add(instance)  # nothing more runs there
                moves = [(instance, f) for f in files] + self.waiting.pop(instance, [])
                if self.stopping_instances or not moves:
                    return self._maybe_done()
                alive = [i for i in self.instances if i not in self.lost]
                if not alive:
                    self.failures.append(failure)
                    return self._wind_down()
                # The surviving instance with the least queued work takes the files, whole.
                target = min(alive, key=lambda i: (self.runs.get(i, 0), len(self.waiting.get(i, ()))))
                if target not in self.healthy:
                    self.waiting.setdefault(target, []).extend(moves)
                    return []
                return [self._move(target, [f for src, f in moves if src == source], source)
                        for source in dict.fromkeys(src for src, _ in moves)]
            case StopRequested():
                if self.stop_requested:
                    return []
                self.stop_requested = True
                self.status = "Stopping"
                out: list[Instruction] = [SetStatus("Stopping"), CancelWork()]
                if not self.stopping_instances:
                    self.stopping_instances = True
                    out.append(StopInstances())
                return out
            case InstancesStopped():
                return self._finish()
        raise TypeError(f"unknown stimulus {stimulus!r}")

    def _move(self, target: str, files: list[str], source: str) -> MoveFiles:
        self.idle.discard(target)
        self.runs[target] = self.runs.get(target, 0) + 1
        return MoveFiles(source, target, tuple(files))

    def _maybe_done(self) -> list[Instruction]:
        if set(self.instances) <= self.idle:
            return self._wind_down()
        return []

    def _wind_down(self) -> list[Instruction]:
        if self.stopping_instances:
            return []
        self.stopping_instances = True
        return [CancelWork(), StopInstances()] if self.failures else [StopInstances()]

    def _finish(self) -> list[Instruction]:
        if self.stop_requested:
            self.status = "Stopped"
            return [DiscardOutputs(), SetStatus("Stopped")]
        if self.failures:
            self.status = "Failed"
            # FailureReason is the first failure's service text; the count is bte's to say.
            first = self.failures[0]
            detail = first.detail
            if len(self.failures) > 1:
                detail += f" (and {len(self.failures) - 1} more failure(s); see the job log)"
            return [KeepOutputs(), SetStatus("Failed", Failure(first.reason, detail))]
        self.status = "Completed"
        return [KeepOutputs(), SetStatus("Completed")]
