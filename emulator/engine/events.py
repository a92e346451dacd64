"""The one event stream of a transform job.

The engine emits typed events; the progress display, the job record, the report and
the tests all listen. Nothing is wired into the engine by hand. Every event carries a
sequence id and, where something caused it, the id of that cause (``cause``), so a
report can draw a timeline from the stream alone.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

_ids = itertools.count(1)


@dataclass(frozen=True, kw_only=True)
class Event:
    job: str
    id: int = field(default_factory=lambda: next(_ids))
    time: float = field(default_factory=time.time)
    cause: int | None = None


@dataclass(frozen=True, kw_only=True)
class JobStateChanged(Event):
    status: str  # InProgress | Completed | Failed | Stopping | Stopped
    failure_reason: str | None = None  # the service's text (engine/errors.py)
    failure_detail: str | None = None  # bte's explanation: BteFailureDetail


@dataclass(frozen=True, kw_only=True)
class InstanceStarted(Event):
    instance: str
    url: str
    runtime: str
    log_stream: str = ""  # its container log stream, "<job>/<instance id>-<epoch>" (engine/log_streams.py)


@dataclass(frozen=True, kw_only=True)
class InstanceLog(Event):
    instance: str
    line: str
    # The log stream the line belongs to: an instance's container log or its data log
    # (engine/log_streams.py); "" for a line of bte's about no one instance.
    stream: str = ""

    @property
    def is_data_log(self) -> bool:
        return self.stream.endswith("/data-log") or self.instance.endswith("/data-log")


def data_log_line(text: str, when: float, tag: str = "sagemaker logs") -> str:
    """``2020-10-14T04:08:19.163:[sagemaker logs]: <text>``: a data-log line as the service
    writes it (UTC, milliseconds, no zone; reference section 7). bte's own lines say ``[bte]``."""
    stamp = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return f"{stamp}:[{tag}]: {text}"


def data_log(job: str, text: str, tag: str = "sagemaker logs") -> InstanceLog:
    """A data-log line about no one instance: the job store puts it on the first instance's
    data log. Lines about an instance go through its InstanceStreams (engine/log_streams.py)."""
    now = time.time()
    return InstanceLog(job=job, instance=f"{job}/data-log", line=data_log_line(text, now, tag), time=now)


@dataclass(frozen=True, kw_only=True)
class PingOk(Event):
    instance: str
    waited_s: float


@dataclass(frozen=True, kw_only=True)
class PingWaiting(Event):
    """An instance is not healthy yet (after 10 s, 30 s, then every minute): what /ping
    answered and the container's latest log lines, so a model that cannot load is seen at
    once rather than at the end of the start timeout."""

    instance: str
    waited_s: float
    status: int | None  # the last /ping answer; None when nothing answered
    last_lines: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ParametersResolved(Event):
    instance: str
    max_concurrent_transforms: int
    batch_strategy: str
    max_payload_in_mb: int
    sources: dict[str, str]  # parameter -> "request" | "container" | "default"


@dataclass(frozen=True, kw_only=True)
class FileStarted(Event):
    instance: str
    source: str
    size: int


@dataclass(frozen=True, kw_only=True)
class MiniBatchSent(Event):
    instance: str
    worker: int
    source: str
    batch: int
    records: int | None  # None where records were not counted (MultiRecord without DataProcessing)
    bytes: int
    attempt: int = 1


@dataclass(frozen=True, kw_only=True)
class MiniBatchDone(Event):
    instance: str
    worker: int
    source: str
    batch: int
    records: int | None
    bytes: int
    response_bytes: int
    started: float
    duration_s: float


@dataclass(frozen=True, kw_only=True)
class MiniBatchRetried(Event):
    instance: str
    worker: int
    source: str
    batch: int
    attempt: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class MiniBatchFailed(Event):
    instance: str
    worker: int
    source: str
    batch: int
    reason: str  # the service's FailureReason text for it
    detail: str  # bte's explanation


@dataclass(frozen=True, kw_only=True)
class FileDone(Event):
    instance: str
    source: str
    output: str | None  # None when the file failed or the job stopped
    ok: bool
    reason: str | None = None
    detail: str | None = None
    batches: int = 0
    records: int | None = 0


@dataclass(frozen=True, kw_only=True)
class InstancePlaced(Event):
    """Where an instance runs, once known (the Ray executor): the node's address and id."""

    instance: str
    node: str  # the node's IP address, e.g. "10.0.0.12" (127.0.0.3 on a loopback cluster)
    node_id: str = ""


@dataclass(frozen=True, kw_only=True)
class FileMoved(Event):
    """A file that was not finished on a lost instance runs again, whole, on ``instance``;
    what the lost instance had written of it was discarded."""

    instance: str  # where it runs now
    source: str
    lost_instance: str


@dataclass(frozen=True, kw_only=True)
class JobDone(Event):
    status: str
    failure_reason: str | None = None
    failure_detail: str | None = None


def renumbered(event: Event, causes: dict[int, int]) -> Event:
    """``event`` with an id of this process, its ``cause`` mapped through ``causes`` (ids
    of the process it came from to ids here): events made in a Ray actor keep their chain.
    ``causes`` learns the new id."""
    new = dataclasses.replace(event, id=next(_ids),
                              cause=None if event.cause is None else causes.get(event.cause))
    causes[event.id] = new.id
    return new


Listener = Callable[[Event], None]
E = TypeVar("E", bound=Event)


class EventStream:
    """Fan-out of events to listeners, safe to emit from any thread.

    Listeners run in the emitting thread, in subscription order, under one lock, so each
    listener sees events one at a time and in one global order.
    """

    def __init__(self, job: str) -> None:
        self.job = job
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def emit(self, event: Event) -> Event:
        with self._lock:
            for listener in self._listeners:
                listener(event)
        return event


class EventLog:
    """A listener that keeps every event: the job's record, and what tests read."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]
