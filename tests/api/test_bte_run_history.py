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


def described(sagemaker, name: str) -> dict:
    """DescribeTransformJob, or {} while the job is not in the store yet."""
    try:
        return sagemaker.describe_transform_job(TransformJobName=name)
    except sagemaker.exceptions.ClientError:
        return {}


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


def test_stop_through_the_api_stops_a_bte_run_in_another_process(server, sagemaker, tmp_path):
    import os
    import time

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("".join(f"{i}\n" for i in range(40)))
    job = tmp_path / "job.json"
    model = tmp_path / "model.json"
    model.write_text(json.dumps(model_request("echo", None, {"ECHO_LATENCY_MS": "500"})))
    job.write_text(json.dumps(job_request("cli-slow", str(tmp_path / "in"), str(tmp_path / "out"),
                                          BatchStrategy="SingleRecord", MaxConcurrentTransforms=1)))
    running = subprocess.Popen(
        [sys.executable, "-m", "emulator.cli", "run", str(job), "--model", str(model),
         "--model-dir", str(SAMPLES / "echo"), "--runtime", "process", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "BTE_STATE_DIR": str(server.state_dir)},
    )
    try:
        deadline = time.time() + 60
        while "TransformStartTime" not in described(sagemaker, "cli-slow"):
            assert time.time() < deadline and running.poll() is None, "bte run did not start its instance"
            time.sleep(0.2)
        sagemaker.stop_transform_job(TransformJobName="cli-slow")
        assert running.wait(timeout=60) == 1
        assert sagemaker.describe_transform_job(TransformJobName="cli-slow")["TransformJobStatus"] == "Stopped"
        assert not (tmp_path / "out" / "a.csv.out").exists()
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
