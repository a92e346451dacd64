"""``bte runs``: the runs the job store keeps, newest first; a job's latest run is the one
its name stands for (in ``bte report``, ``bte diff`` and the API)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from emulator.store.db import Store


def list_runs(job: str | None = None, *, state: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    store = Store(state)
    try:
        where, params = ("WHERE r.name = ?", (job,)) if job else ("", ())
        rows = store.query(
            "SELECT r.run_id, r.name, r.origin, r.status, r.creation_time, r.start_time, r.end_time,"
            " r.failure_reason, j.run_id = r.run_id AS latest FROM runs r LEFT JOIN jobs j ON j.name = r.name "
            f"{where} ORDER BY r.creation_time DESC", params)
    finally:
        store.close()
    return [{"RunId": r["run_id"], "TransformJobName": r["name"], "Origin": r["origin"], "Status": r["status"],
             "Latest": bool(r["latest"]), "CreationTime": _stamp(r["creation_time"]),
             "DurationSeconds": round(r["end_time"] - r["creation_time"], 3) if r["end_time"] else None,
             "FailureReason": r["failure_reason"]} for r in rows]


def runs_text(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "no runs in the job store"
    lines = [f"{'run id':<26} {'TransformJobName':<28} {'status':<11} {'origin':<6} {'created (UTC)':<20} seconds"]
    for r in runs:
        seconds = "" if r["DurationSeconds"] is None else f"{r['DurationSeconds']:.1f}"
        mark = " (latest)" if r["Latest"] else ""
        lines.append(f"{r['RunId']:<26} {r['TransformJobName']:<28} {r['Status']:<11} {r['Origin']:<6} "
                     f"{r['CreationTime'][:19]:<20} {seconds}{mark}")
    return "\n".join(lines)


def _stamp(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat()
