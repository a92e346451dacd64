"""`bte run` and `bte serve` share one job store: runs of either show through the API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.jobs import SAMPLES, job_request, model_request


def bte_run(state: Path, job: Path, model: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator.cli", "run", str(job), "--model", str(model),
         "--model-dir", str(SAMPLES / "echo"), "--runtime", "process", "--quiet"],
        capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "BTE_STATE_DIR": str(state)},
    )


def test_bte_run_records_its_runs_and_the_api_shows_the_latest(server, sagemaker, s3, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("1\n2\n")
    job = tmp_path / "job.json"
    model = tmp_path / "model.json"
    model.write_text(json.dumps(model_request("echo", None)))
    job.write_text(json.dumps(job_request("from-cli", str(tmp_path / "in"), str(tmp_path / "out"))))

    first = bte_run(server.state_dir, job, model)
    assert first.returncode == 0, first.stderr
    described = sagemaker.describe_transform_job(TransformJobName="from-cli")
    assert described["TransformJobStatus"] == "Completed"
    assert described["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == str(tmp_path / "in")

    second = bte_run(server.state_dir, job, model)  # bte run may rerun a name: a new run
    assert second.returncode == 0, second.stderr
    rerun = sagemaker.describe_transform_job(TransformJobName="from-cli")
    assert rerun["CreationTime"] > described["CreationTime"]
    assert [s["TransformJobName"] for s in sagemaker.list_transform_jobs()["TransformJobSummaries"]] == ["from-cli"]
    runs = sorted(p.name for p in (server.state_dir / "runs" / "from-cli").iterdir())
    assert len(runs) == 2
    assert (server.state_dir / "runs" / "from-cli" / runs[-1] / "events.jsonl").read_text().count('"JobDone"') == 1

    # Through the API a name is unique, and a name bte run used is taken.
    s3.create_bucket(Bucket="cli")
    s3.put_object(Bucket="cli", Key="in/a.csv", Body=b"1\n")
    sagemaker.create_model(**model_request("echo-image", "bte-test/not-built:latest"))
    with pytest.raises(sagemaker.exceptions.ResourceInUse):
        sagemaker.create_transform_job(**job_request("from-cli", "s3://cli/in/", "s3://cli/out/", ModelName="echo-image"))
