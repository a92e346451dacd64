"""Each run's own record of what it owns: ``<run dir>/run.json``.

    {"TransformJobName": "my-job", "RunId": "r20261203t081502-3f9a1c",
     "Owner": "4242@<boot id>:<start ticks>", "OutputPath": "s3://b/out/",
     "S3EndpointUrl": null, "StartTime": 1764749702.1, "EndTime": null, "Status": "InProgress"}

Written when a run starts and again when it ends; ``uploads.jsonl`` beside it gets a line
``{"Uri": ..., "UploadId": ...}`` for each multipart upload the run begins. A record with no EndTime whose owner
(pid and process start time: a reused pid is not the same process) is gone belongs to a
run that was killed: ``bte cleanup`` and the next run of the same job remove what it left
(emulator/leftovers.py) and then close the record with ``Status: "Abandoned"``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.processes import ProcessIdentity, is_running, this_process
from emulator.store.paths import run_dir, state_dir

RECORD_NAME = "run.json"
UPLOADS_NAME = "uploads.jsonl"
ABANDONED = "Abandoned"
_lock = threading.Lock()


@dataclass
class RunRecord:
    job: str
    run_id: str
    owner: ProcessIdentity
    output_path: str
    s3_endpoint_url: str | None
    start_time: float
    end_time: float | None = None
    status: str = "InProgress"
    path: Path | None = None

    @property
    def open(self) -> bool:
        return self.end_time is None

    def as_json(self) -> dict[str, Any]:
        return {
            "TransformJobName": self.job, "RunId": self.run_id, "Owner": self.owner.as_label(),
            "OutputPath": self.output_path, "S3EndpointUrl": self.s3_endpoint_url,
            "StartTime": self.start_time, "EndTime": self.end_time, "Status": self.status,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> RunRecord | None:
        owner = ProcessIdentity.from_label(str(data.get("Owner", "")))
        if owner is None:
            return None
        return cls(
            job=str(data["TransformJobName"]), run_id=str(data["RunId"]), owner=owner,
            output_path=str(data["OutputPath"]), s3_endpoint_url=data.get("S3EndpointUrl"),
            start_time=float(data["StartTime"]), end_time=data.get("EndTime"),
            status=str(data.get("Status", "InProgress")), path=path,
        )


def begin(job: str, run_id: str, output_path: str, s3_endpoint_url: str | None = None,
          state: str | os.PathLike[str] | None = None) -> RunRecord:
    """Record a run that starts now, owned by this process."""
    folder = run_dir(job, run_id, state)
    record = RunRecord(job, run_id, this_process(), output_path, s3_endpoint_url, time.time(),
                       path=folder / RECORD_NAME)
    _write(record)
    return record


def end(record: RunRecord, status: str) -> None:
    """Close the record: the run ended (Completed, Failed, Stopped) or was cleaned up."""
    record.end_time, record.status = time.time(), status
    _write(record)


def note_upload(record: RunRecord, uri: str, upload_id: str) -> None:
    """Add a multipart upload the run began (called from its writer threads)."""
    assert record.path is not None
    line = json.dumps({"Uri": uri, "UploadId": upload_id}) + "\n"
    with _lock, open(record.path.with_name(UPLOADS_NAME), "a", encoding="utf-8") as journal:
        journal.write(line)


def uploads(record: RunRecord) -> list[tuple[str, str]]:
    """(output URI, upload id) of each multipart upload the run began, completed or not."""
    assert record.path is not None
    try:
        lines = record.path.with_name(UPLOADS_NAME).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    found: list[tuple[str, str]] = []
    for line in lines:
        try:
            entry = json.loads(line)
            found.append((str(entry["Uri"]), str(entry["UploadId"])))
        except (ValueError, KeyError, TypeError):
            continue  # the last line of a run killed mid-write
    return found


def records(job: str | None = None, state: str | os.PathLike[str] | None = None) -> list[RunRecord]:
    """Every readable run record, of one job or of all, oldest first."""
    runs = state_dir(state) / "runs"
    pattern = f"{glob_escape(job)}/*/{RECORD_NAME}" if job else f"*/*/{RECORD_NAME}"
    found: list[RunRecord] = []
    for path in runs.glob(pattern):
        try:
            record = RunRecord.from_json(json.loads(path.read_text()), path)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # half-written (its owner was killed mid-write) or foreign: not ours to judge
        if record is not None:
            found.append(record)
    return sorted(found, key=lambda r: r.start_time)


def abandoned(found: list[RunRecord]) -> list[RunRecord]:
    """The open records whose owner process is gone."""
    return [r for r in found if r.open and not is_running(r.owner)]


def live(found: list[RunRecord]) -> list[RunRecord]:
    """The open records whose owner process still runs."""
    return [r for r in found if r.open and is_running(r.owner)]


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _write(record: RunRecord) -> None:
    assert record.path is not None
    record.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = record.path.with_name(f".{RECORD_NAME}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record.as_json(), indent=1))
    os.replace(tmp, record.path)  # a reader sees the old record or the new one, never half
