"""``bte jobs``, ``bte describe JOB`` and ``bte stop JOB``: ListTransformJobs,
DescribeTransformJob and StopTransformJob against a running server, printed for a person
(or as the service's JSON with ``--json``)."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any, Callable, Iterator

from emulator.remote.connection import Connection, RemoteError

TERMINAL_STATUSES = ("Completed", "Failed", "Stopped")
_COLUMNS = ("TransformJobName", "TransformJobStatus", "CreationTime", "TransformEndTime")


def list_jobs(conn: Connection, *, status: str | None = None, name_contains: str | None = None,
              limit: int | None = None) -> Iterator[dict[str, Any]]:
    """TransformJobSummaries, newest first, following NextToken until ``limit`` are seen."""
    params: dict[str, Any] = {"SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 100}
    if status:
        params["StatusEquals"] = status
    if name_contains:
        params["NameContains"] = name_contains
    seen = 0
    while True:
        page = conn.call("sagemaker", "list_transform_jobs", **params)
        for summary in page.get("TransformJobSummaries", []):
            yield summary
            seen += 1
            if limit is not None and seen >= limit:
                return
        token = page.get("NextToken")
        if not token:
            return
        params["NextToken"] = token


def jobs_table(summaries: list[dict[str, Any]]) -> str:
    """One line per job, columns aligned; a FailureReason goes on the next line, indented."""
    if not summaries:
        return "no transform jobs"
    rows = [("NAME", "STATUS", "CREATED", "ENDED")]
    rows += [tuple(_cell(s.get(c)) for c in _COLUMNS) for s in summaries]  # type: ignore[misc]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        reason = summaries[index - 1].get("FailureReason") if index else None
        if reason:
            lines.append(f"    FailureReason: {reason}")
    return "\n".join(lines)


def describe(conn: Connection, job_name: str) -> dict[str, Any]:
    answer: dict[str, Any] = conn.call("sagemaker", "describe_transform_job", TransformJobName=job_name)
    answer.pop("ResponseMetadata", None)
    return answer


def stop(conn: Connection, job_name: str, *, wait: bool = False, poll_s: float = 0.5,
         timeout_s: float = 600.0, on_status: Callable[[str], None] | None = None) -> str:
    """StopTransformJob; with ``wait``, poll until the job leaves Stopping. Returns the last status."""
    conn.call("sagemaker", "stop_transform_job", TransformJobName=job_name)
    status = describe(conn, job_name)["TransformJobStatus"]
    deadline = time.monotonic() + timeout_s
    while wait and status not in TERMINAL_STATUSES:
        if time.monotonic() > deadline:
            raise RemoteError(f"transform job {job_name} is still {status} after {timeout_s:.0f} s")
        time.sleep(poll_s)
        status = describe(conn, job_name)["TransformJobStatus"]
        if on_status:
            on_status(status)
    return str(status)


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, default=_json_default)


def _cell(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return "-" if value is None else str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")
