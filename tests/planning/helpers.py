"""One way to plan a job on real local files (and, where given, a real S3 server)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from emulator.planning import Survey, survey
from emulator.transform import PreparedJob, prepare
from tests.engine.jobs import SAMPLES, job_request


def write_inputs(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_bytes(body)
    return folder


def plan_job(tmp_path: Path, files: dict[str, bytes], *, keep_spans: bool = False,
             sample_answer: bytes | None = None, container_answer: dict[str, Any] | None = None,
             sample_batches: int | None = None, **overrides: Any) -> tuple[PreparedJob, Survey]:
    folder = write_inputs(tmp_path / "in", files)
    request = job_request("plan-job", str(folder) + "/", str(tmp_path / "out"), **overrides)
    prepared = prepare(request, model_dir=str(SAMPLES / "echo"), runtime="process")
    found = survey(prepared.plan, keep_spans=keep_spans, sample_answer=sample_answer,
                   container_answer=container_answer, sample_batches=sample_batches)
    return prepared, found


def codes(tmp_path: Path, files: dict[str, bytes], **overrides: Any) -> list[str]:
    return [w.code for w in plan_job(tmp_path, files, **overrides)[1].warnings]


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
