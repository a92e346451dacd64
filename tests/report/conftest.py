"""A real echo job, 2 instances x 4 workers, recorded in a temporary job store; what the
containers themselves saw is read from /echo/stats before they stop."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emulator.store.recorder import record_run
from emulator.transform import prepare, run_prepared
from tests.engine.jobs import ContainerProbe, SAMPLES, job_request


@dataclass
class RecordedRun:
    run_id: str
    state: Path
    stats: dict[str, dict[str, Any]]  # instance -> its /echo/stats at its last file
    inputs: dict[str, bytes]


def run_recorded(tmp: Path, name: str, files: dict[str, bytes], model_dir: Path = SAMPLES / "echo",
                 status: str = "Completed", **overrides: Any) -> RecordedRun:
    state = tmp / "state"
    (tmp / "in").mkdir(parents=True, exist_ok=True)
    for file, body in files.items():
        (tmp / "in" / file).write_bytes(body)
    request = job_request(name, str(tmp / "in") + "/", str(tmp / f"out-{name}"), **overrides)
    prepared = prepare(request, model_dir=str(model_dir), runtime="process")
    recorder, warning = record_run(prepared.spec.request, None, state=state)
    assert recorder is not None, warning
    probe = ContainerProbe()
    try:
        result = run_prepared(prepared, listeners=[recorder, probe], run_id=recorder.run_id, ping_timeout_s=60)
    finally:
        recorder.close()
        recorder.store.close()
    assert result.status == status, result.failure_reason
    return RecordedRun(recorder.run_id, state, probe.stats, files)


@pytest.fixture(scope="module")
def echo_run(tmp_path_factory: pytest.TempPathFactory) -> RecordedRun:
    files = {f"part-{i}.csv": b"".join(b"%d,%s\n" % (i * 100 + r, b"x" * (r * 37 % 200)) for r in range(24))
             for i in range(4)}
    return run_recorded(tmp_path_factory.mktemp("echo-run"), "report-echo", files,
                        TransformResources={"InstanceCount": 2}, MaxConcurrentTransforms=4,
                        BatchStrategy="SingleRecord", MaxPayloadInMB=1,
                        Environment={"ECHO_LATENCY_MS": "40"})
