"""A run's progress, folded from its event record (``<run dir>/events.jsonl``) as it grows.

Each poll reads only the bytes written since the last one (``RunProgress.offset``) and
stops at the last complete line, so following a long run costs what is new, and memory
is a few counters per instance whatever the run's size. ``ProgressCache`` keeps one fold
per run for every viewer of the page.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHED_RUNS = 256
READ_BYTES = 4 * 1024 * 1024  # read at most this much per poll: a huge backlog is folded over several polls


@dataclass
class InstanceProgress:
    name: str
    node: str | None = None  # the Ray node that hosts it, once placed (InstancePlaced)
    files_started: int = 0
    files_done: int = 0
    files_failed: int = 0
    batches_done: int = 0
    batches_failed: int = 0
    retries: int = 0
    records_done: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    first_sent: float | None = None
    last_done: float | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        if self.first_sent is None or self.last_done is None:
            return 0.0
        return max(self.last_done - self.first_sent, 0.0)

    @property
    def bytes_per_second(self) -> float | None:
        return self.bytes_in / self.seconds if self.seconds > 0 else None

    @property
    def batches_per_second(self) -> float | None:
        return self.batches_done / self.seconds if self.seconds > 0 else None


@dataclass
class RunProgress:
    """What the run's events say so far; ``offset`` is how far its file has been read."""

    offset: int = 0
    status: str | None = None  # the last JobStateChanged / JobDone status
    failure_reason: str | None = None
    failure_detail: str | None = None
    started: float | None = None
    ended: float | None = None
    instances: dict[str, InstanceProgress] = field(default_factory=dict)

    @property
    def files_done(self) -> int:
        return sum(i.files_done for i in self.instances.values())

    @property
    def batches_done(self) -> int:
        return sum(i.batches_done for i in self.instances.values())

    def instance(self, name: str) -> InstanceProgress:
        return self.instances.setdefault(name, InstanceProgress(name))

    def feed(self, events: Iterable[Mapping[str, Any]]) -> None:
        for e in events:
            self._one(e)

    def _one(self, e: Mapping[str, Any]) -> None:
        kind = e.get("event")
        if kind in ("JobStateChanged", "JobDone"):
            self.status = e.get("status")
            self.failure_reason = e.get("failure_reason") or self.failure_reason
            self.failure_detail = e.get("failure_detail") or self.failure_detail
            if kind == "JobDone":
                self.ended = e.get("time")
        elif kind == "InstancePlaced":
            self.instance(e["instance"]).node = e.get("node")
        elif kind == "InstanceStarted":
            self.instance(e["instance"])
            self.started = self.started or e.get("time")
        elif kind == "ParametersResolved":
            self.instance(e["instance"]).parameters = {
                "MaxConcurrentTransforms": e.get("max_concurrent_transforms"),
                "BatchStrategy": e.get("batch_strategy"), "MaxPayloadInMB": e.get("max_payload_in_mb")}
        elif kind == "FileStarted":
            self.instance(e["instance"]).files_started += 1
        elif kind == "MiniBatchSent":
            i = self.instance(e["instance"])
            i.first_sent = e["time"] if i.first_sent is None else min(i.first_sent, e["time"])
        elif kind == "MiniBatchDone":
            i = self.instance(e["instance"])
            i.batches_done += 1
            i.records_done += e.get("records") or 0
            i.bytes_in += e.get("bytes", 0)
            i.bytes_out += e.get("response_bytes", 0)
            i.last_done = e["time"]
        elif kind == "MiniBatchRetried":
            self.instance(e["instance"]).retries += 1
        elif kind == "MiniBatchFailed":
            self.instance(e["instance"]).batches_failed += 1
        elif kind == "FileDone":
            i = self.instance(e["instance"])
            i.files_done += 1
            i.files_failed += 0 if e.get("ok") else 1


def read_new(path: Path, offset: int, limit: int = READ_BYTES) -> tuple[list[dict[str, Any]], int]:
    """The complete JSON lines of ``path`` after byte ``offset`` (at most about ``limit``
    bytes of them), and the offset after the last one read."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return [], offset
    events: list[dict[str, Any]] = []
    with f:
        f.seek(offset)
        chunk = f.read(limit)
    end = chunk.rfind(b"\n") + 1  # a line still being written waits for the next poll
    if end == 0 and len(chunk) == limit:  # one line longer than a whole read: skip it
        return [], offset + len(chunk)
    for line in chunk[:end].splitlines():
        if line.strip():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # not ours to judge; the report says more
    return events, offset + end


class ProgressCache:
    """One fold per run, shared by every viewer; brought up to date on each read."""

    def __init__(self) -> None:
        self._runs: dict[str, RunProgress] = {}
        self._lock = threading.Lock()

    def get(self, run_id: str, events_file: Path) -> RunProgress:
        with self._lock:
            progress = self._runs.get(run_id)
            if progress is None:
                if len(self._runs) >= CACHED_RUNS:
                    self._runs.pop(next(iter(self._runs)))
                progress = self._runs[run_id] = RunProgress()
            while True:  # catch up with everything written so far, a bounded read at a time
                events, offset = read_new(events_file, progress.offset)
                if offset == progress.offset:
                    break
                progress.feed(events)
                progress.offset = offset
            return progress
