"""A finished run's event record, turned into what a report draws. Pure: events in (the
dicts of ``events.jsonl``, one per line, ``"event"`` naming the kind), figures out.

Each mini-batch becomes one bar on its instance's worker lane, from the moment it was
sent to the moment its answer came back (or it failed), marked ``ok``, ``retried`` (came
back after at least one retry) or ``failed``. Per instance: how long the container took to
start and to answer /ping, its execution parameters, files, mini-batches, bytes, retries,
failures and the latency percentiles of its mini-batches; and where its time went.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Event = Mapping[str, Any]
PERCENTILES = (50, 95, 99)


@dataclass
class Bar:
    """One mini-batch on one worker lane."""

    instance: str
    worker: int
    source: str
    batch: int
    start: float  # seconds from the run's start
    end: float
    bytes: int
    response_bytes: int = 0
    status: str = "ok"  # ok | retried | failed
    retries: int = 0
    reason: str | None = None  # why it failed: bte's explanation where the record has one

    @property
    def lane(self) -> str:
        return f"{self.instance} / worker {self.worker}"


@dataclass
class InstanceStats:
    name: str
    node: str | None = None  # the Ray node that hosted it (InstancePlaced); None on the local executor
    start_s: float | None = None  # from the run's start until the container was up
    ping_s: float | None = None  # until /ping answered 200
    parameters: dict[str, Any] = field(default_factory=dict)
    files: int = 0
    failed_files: int = 0
    batches: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    retries: int = 0
    failures: int = 0
    latency: dict[int, float] = field(default_factory=dict)  # percentile -> seconds
    busy_s: float = 0.0  # sum of mini-batch durations (time inside /invocations)
    work_s: float = 0.0  # from its parameters resolved until its last file was written
    writing_s: float = 0.0  # from a file's last answer until its output was committed, summed


@dataclass
class Timeline:
    job: str
    status: str
    failure_reason: str | None  # the service's text
    failure_detail: str | None  # bte's explanation (BteFailureDetail)
    duration_s: float
    bars: list[Bar]
    instances: dict[str, InstanceStats]
    files: dict[str, dict[str, Any]]  # source -> {instance, batches, ok, output, reason}
    moves: list[dict[str, Any]] = field(default_factory=list)  # FileMoved: {source, lost_instance, instance, at}

    @property
    def lanes(self) -> list[str]:
        return sorted({bar.lane for bar in self.bars})


def build_timeline(events: Iterable[Event]) -> Timeline:
    events = list(events)
    t0 = events[0]["time"] if events else 0.0
    job, status, reason, detail, end = (events[0]["job"] if events else ""), "Unknown", None, None, t0
    instances: dict[str, InstanceStats] = {}
    sent: dict[int, Bar] = {}
    open_by_key: dict[tuple[str, int, str, int], Bar] = {}
    bars: list[Bar] = []
    files: dict[str, dict[str, Any]] = {}
    last_answer: dict[str, float] = {}
    params_at: dict[str, float] = {}
    durations: dict[str, list[float]] = defaultdict(list)
    moves: list[dict[str, Any]] = []

    def stats(name: str) -> InstanceStats:
        return instances.setdefault(name, InstanceStats(name))

    for e in events:
        kind, at = e["event"], e["time"] - t0
        end = max(end, e["time"])
        if kind == "JobDone":
            status, reason, detail = e["status"], e.get("failure_reason"), e.get("failure_detail")
        elif kind == "InstancePlaced":
            stats(e["instance"]).node = e["node"]
        elif kind == "FileMoved":
            moves.append({"source": e["source"], "lost_instance": e["lost_instance"], "instance": e["instance"],
                          "at": at})
        elif kind == "InstanceStarted":
            stats(e["instance"]).start_s = at
        elif kind == "PingOk":
            stats(e["instance"]).ping_s = e["waited_s"]
        elif kind == "ParametersResolved":
            stats(e["instance"]).parameters = {
                "MaxConcurrentTransforms": e["max_concurrent_transforms"], "BatchStrategy": e["batch_strategy"],
                "MaxPayloadInMB": e["max_payload_in_mb"], "Sources": e.get("sources", {})}
            params_at[e["instance"]] = at
        elif kind == "FileStarted":
            files[e["source"]] = {"instance": e["instance"], "size": e["size"], "batches": 0, "ok": None,
                                  "output": None, "reason": None}
        elif kind == "MiniBatchSent":
            bar = Bar(e["instance"], e["worker"], e["source"], e["batch"], at, at, e["bytes"])
            sent[e["id"]] = bar
            open_by_key[(bar.instance, bar.worker, bar.source, bar.batch)] = bar
            bars.append(bar)
        elif kind == "MiniBatchRetried" and e.get("cause") in sent:
            sent[e["cause"]].retries += 1
            sent[e["cause"]].status = "retried"
        elif kind == "MiniBatchDone":
            bar = sent.get(e.get("cause") or -1) or open_by_key[(e["instance"], e["worker"], e["source"], e["batch"])]
            bar.start, bar.end = e["started"] - t0, e["started"] - t0 + e["duration_s"]
            bar.response_bytes = e["response_bytes"]
            durations[bar.instance].append(e["duration_s"])
            last_answer[bar.source] = max(last_answer.get(bar.source, 0.0), bar.end)
        elif kind == "MiniBatchFailed":
            bar = open_by_key.get((e["instance"], e["worker"], e["source"], e["batch"])) or Bar(
                e["instance"], e["worker"], e["source"], e["batch"], at, at, 0)
            if bar not in bars:
                bars.append(bar)
            bar.end, bar.status, bar.reason = at, "failed", e.get("detail") or e["reason"]
        elif kind == "FileDone":
            info = files.setdefault(e["source"], {"instance": e["instance"], "size": 0})
            info.update(batches=e.get("batches", 0), ok=e["ok"], output=e.get("output"),
                        reason=e.get("detail") or e.get("reason"))
            s = stats(e["instance"])
            s.files += 1
            s.failed_files += 0 if e["ok"] else 1
            if e["ok"] and e["source"] in last_answer:
                s.writing_s += max(0.0, at - last_answer[e["source"]])
            s.work_s = max(s.work_s, at - params_at.get(e["instance"], at))
    for bar in bars:
        s = stats(bar.instance)
        s.batches += 1
        s.bytes_in += bar.bytes
        s.bytes_out += bar.response_bytes
        s.retries += bar.retries
        s.failures += bar.status == "failed"
        s.busy_s += max(0.0, bar.end - bar.start) if bar.status != "failed" else 0.0
    for name, values in durations.items():
        stats(name).latency = {p: percentile(values, p) for p in PERCENTILES}
    return Timeline(job, status, reason, detail, end - t0, bars, instances, files, moves)


def percentile(values: list[float], p: int) -> float:
    """The nearest-rank percentile (no interpolation: always a latency that happened)."""
    ordered = sorted(values)
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


def throughput(timeline: Timeline, step_s: float | None = None) -> tuple[list[float], dict[str, list[float]]]:
    """Bytes answered per second, per instance, in time bins of ``step_s`` (about 60 bins)."""
    step = step_s or max(timeline.duration_s / 60, 0.05)
    bins = int(timeline.duration_s / step) + 1
    series: dict[str, list[float]] = {name: [0.0] * bins for name in sorted(timeline.instances)}
    for bar in timeline.bars:
        if bar.status != "failed":
            series[bar.instance][min(bins - 1, int(bar.end / step))] += bar.bytes / step
    return [i * step for i in range(bins)], series
