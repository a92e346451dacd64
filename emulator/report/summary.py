"""Finding a run in the store, its text summary, and writing its report."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from emulator.report.timeline import PERCENTILES, Timeline, build_timeline
from emulator.spec.errors import BteError
from emulator.store.db import RunRecord, Store
from emulator.store.paths import run_dir
from emulator.store.recorder import EVENTS_FILE

REPORT_FILE = "report.html"


class RunNotFound(BteError):
    code = "RunNotFound"


def find_run(store: Store, name_or_run_id: str) -> RunRecord:
    """A run id, or a TransformJobName standing for its latest run."""
    run = store.run(name_or_run_id) or store.latest_run(name_or_run_id)
    if run is None:
        raise RunNotFound(f"no run of a transform job named (or with run id) {name_or_run_id!r} in the job store "
                          f"{store.root}; run it with `bte run` or `bte serve` first, or set BTE_STATE_DIR")
    return run


def load_events(store: Store, run: RunRecord) -> list[dict[str, Any]]:
    path = run_dir(run.name, run.run_id, store.root) / EVENTS_FILE
    try:
        with open(path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except OSError as exc:
        raise RunNotFound(f"run {run.run_id} of {run.name} has no event record ({path}: {exc.strerror})") from exc


def write_report(name_or_run_id: str, *, state: str | os.PathLike[str] | None = None,
                 out: str | os.PathLike[str] | None = None, s3_endpoint_url: str | None = None,
                 compare: str | None = None) -> tuple[Path, str]:
    """Write the HTML report of a run (default: ``report.html`` in its run folder); returns
    its path and the text summary. ``compare``: another run whose outputs are lined up
    with this one's (``bte diff``), in the report and the summary."""
    from emulator.report.diff import diff_runs, diff_text
    from emulator.report.html import report_html
    from emulator.report.ranges import byte_ranges

    store = Store(state)
    try:
        run = find_run(store, name_or_run_id)
        timeline = build_timeline(load_events(store, run))
        path = Path(out) if out else run_dir(run.name, run.run_id, store.root) / REPORT_FILE
    finally:
        store.close()
    ranges = byte_ranges(run.request, timeline, s3_endpoint_url=s3_endpoint_url)
    diff = diff_runs(compare, run.run_id, state=state, s3_endpoint_url=s3_endpoint_url) if compare else None
    title = f"Transform job {run.name}, run {run.run_id}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(timeline, ranges, title=title, diff=diff), encoding="utf-8")
    text = summary_text(timeline, run.run_id)
    return path, text + ("\n" + diff_text(diff) if diff else "")


def summary_text(t: Timeline, run_id: str = "") -> str:
    from emulator.report.html import breakdown

    sent = sum(b.bytes for b in t.bars)
    lines = [f"Transform job {t.job}{f' (run {run_id})' if run_id else ''}: {t.status} in {t.duration_s:.2f} s; "
             f"{len(t.instances)} instance(s), {len(t.lanes)} worker lane(s), {len(t.files)} file(s), "
             f"{len(t.bars)} mini-batch(es), {sent} bytes sent"]
    if t.failure_reason:
        lines.append(f"  FailureReason: {t.failure_reason}")
    if t.failure_detail:
        lines.append(f"  BteFailureDetail: {t.failure_detail}")
    parts = breakdown(t)
    for name in sorted(t.instances):
        s = t.instances[name]
        latency = ", ".join(f"p{p} {s.latency[p]:.3f} s" for p in PERCENTILES if p in s.latency)
        on = f" (on node {s.node})" if s.node else ""
        lines.append(f"  {name}{on}: {s.files} file(s), {s.batches} mini-batch(es), {s.bytes_in} bytes in, "
                     f"{s.bytes_out} bytes out, {s.retries} retries, {s.failures} failure(s)"
                     + (f"; latency {latency}" if latency else ""))
        lines.append("      time: " + ", ".join(f"{part} {seconds:.2f} s" for part, seconds in parts[name].items()))
    for move in t.moves:
        lines.append(f"  moved: {move['source']} from the lost {move['lost_instance']} to {move['instance']} "
                     f"at {move['at']:.2f} s, re-run whole")
    return "\n".join(lines)
