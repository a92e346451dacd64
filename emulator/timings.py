"""Where a run's time went: consecutive phases between milestones of the run.

Each phase runs from one milestone to the next, so together they cover the whole run
from the process's own start to the moment the breakdown is printed; nothing is a
catch-all. Milestones, in order (with several instances, the last instance to reach one):

    process start            the kernel's start time of this process (/proc), else import time
    request read             the CLI is up (Python started, bte's modules imported)
    planned                  validated, model resolved, inputs listed and planned
    instances started        container / process created and running (InstanceStarted)
    healthy                  first 200 on /ping (PingOk)
    parameters resolved      /execution-parameters asked (ParametersResolved)
    outputs committed        the last file's output committed (FileDone)
    instances gone           every instance stopped and removed (JobDone)
    reported                 the result printed
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine's events are imported on the first event, not before the instances start
    from emulator.engine import events as ev

_IMPORTED_AT = time.time()

PHASES = (
    ("python start-up and imports", "process start", "request read"),
    ("validate, resolve model, list inputs, plan", "request read", "planned"),
    ("create and start instances", "planned", "instances started"),
    ("model load, until /ping answers 200", "instances started", "healthy"),
    ("GET /execution-parameters", "healthy", "parameters resolved"),
    ("mini-batches and outputs", "parameters resolved", "outputs committed"),
    ("stop and remove instances", "outputs committed", "instances gone"),
    ("report the result", "instances gone", "reported"),
)

_LAST_OF_NAMES = {
    "InstanceStarted": "instances started",
    "PingOk": "healthy",
    "ParametersResolved": "parameters resolved",
    "FileDone": "outputs committed",
    "JobDone": "instances gone",
}


def process_start_time() -> float:
    """This process's start as a wall-clock time: from /proc on Linux (10 ms ticks), else the
    time this module was imported."""
    try:
        with open("/proc/self/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        started_after_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return time.time() - (uptime - started_after_boot)
    except (OSError, ValueError, IndexError):
        return _IMPORTED_AT


@dataclass
class Timings:
    """Listens to the event stream; ``mark`` records the milestones outside the engine."""

    marks: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.marks["process start"] = process_start_time()

    def mark(self, milestone: str, at: float | None = None) -> None:
        with self._lock:
            self.marks[milestone] = time.time() if at is None else at

    def __call__(self, event: ev.Event) -> None:
        milestone = _LAST_OF_NAMES.get(type(event).__name__)
        if milestone is not None:
            with self._lock:
                self.marks[milestone] = max(self.marks.get(milestone, 0.0), event.time)

    def phases(self) -> list[tuple[str, float]]:
        """(phase, seconds) in order; a milestone never reached (a failed start) counts as
        reached with the next one that was, so phases stay consecutive and add up."""
        with self._lock:
            marks = dict(self.marks)
        order = [m for _, m, _ in PHASES] + [PHASES[-1][2]]
        times: dict[str, float] = {}
        later = marks.get(order[-1], time.time())
        for milestone in reversed(order):
            later = marks.get(milestone, later)
            times[milestone] = later
        out, previous = [], times[order[0]]
        for name, _start, end in PHASES:
            at = max(previous, times[end])
            out.append((name, at - previous))
            previous = at
        return out

    def render(self) -> str:
        rows = self.phases()
        total = sum(seconds for _, seconds in rows)
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {seconds:7.3f} s  {100 * seconds / total if total else 0:5.1f}%" for name, seconds in rows]
        lines.append(f"{'total':<{width}}  {total:7.3f} s")
        return "\n".join(lines)
