"""`bte jobs`, `bte describe`, `bte stop` and `bte logs [--follow]` against a running server.

The model is the echo sample's inference.py run as a local process (under --allow-local),
slowed by ECHO_LATENCY_MS so a job is still running while the verbs look at it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.server_process import ServerProcess
from tests.clients.conftest import StartServer, boto_client
from tests.engine.jobs import job_request

RECORDS = 30


def bte(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emulator.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture
def slow_server(start_server: StartServer, local_echo_model: Path) -> tuple[ServerProcess, Any]:
    server = start_server("--allow-local", str(local_echo_model))
    s3, sagemaker = boto_client(server.url, "s3"), boto_client(server.url, "sagemaker")
    s3.create_bucket(Bucket="verbs")
    s3.put_object(Bucket="verbs", Key="in/data.csv", Body=b"".join(b"%d,x\n" % i for i in range(RECORDS)))
    sagemaker.create_model(ModelName="slow-echo", PrimaryContainer={
        "ModelDataUrl": local_echo_model.as_uri(), "Environment": {"ECHO_LATENCY_MS": "150"}})
    return server, sagemaker


def start_job(sagemaker: Any, name: str, model: str = "slow-echo") -> None:
    sagemaker.create_transform_job(**job_request(
        name, "s3://verbs/in/", f"s3://verbs/out-{name}/", ModelName=model,
        BatchStrategy="SingleRecord", MaxConcurrentTransforms=1))


def test_jobs_and_describe_list_and_show_a_running_job(slow_server: tuple[ServerProcess, Any]) -> None:
    server, sagemaker = slow_server
    start_job(sagemaker, "verbs-listed")

    listed = bte("jobs", "--endpoint-url", server.url)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()[:2]
    assert header.split() == ["NAME", "STATUS", "CREATED", "ENDED"]
    assert row.split()[:2] == ["verbs-listed", "InProgress"]

    described = bte("describe", "verbs-listed", "--endpoint-url", server.url)
    assert described.returncode == 0, described.stderr
    answer = json.loads(described.stdout)
    assert answer["TransformJobName"] == "verbs-listed" and answer["ModelName"] == "slow-echo"
    assert answer["TransformJobStatus"] in ("InProgress", "Completed")

    # The endpoint from AWS_ENDPOINT_URL, as every AWS tool reads it; JSON output.
    env = {**os.environ, "AWS_ENDPOINT_URL": server.url}
    as_json = bte("jobs", "--json", "--name-contains", "LISTED", env=env)
    assert [s["TransformJobName"] for s in json.loads(as_json.stdout)] == ["verbs-listed"]


@pytest.mark.docker
def test_logs_follow_prints_while_the_job_runs_and_returns_when_it_ends(
        slow_server: tuple[ServerProcess, Any], sample_image: Any, tmp_path: Path) -> None:
    server, sagemaker = slow_server
    # In a container, so the container log holds the model server's own lines.
    sagemaker.create_model(ModelName="slow-echo-image", PrimaryContainer={
        "Image": sample_image("echo"), "Environment": {"ECHO_LATENCY_MS": "150"}})
    start_job(sagemaker, "verbs-followed", "slow-echo-image")
    errors = tmp_path / "follow.stderr"
    with open(errors, "w") as err:
        follow = subprocess.Popen([sys.executable, "-m", "emulator.cli", "logs", "verbs-followed", "--follow",
                                   "--poll", "0.2", "--endpoint-url", server.url],
                                  stdout=subprocess.PIPE, stderr=err, text=True)
    deadline = threading.Timer(120, follow.kill)  # the stream's reads below have no time-out of their own
    deadline.start()
    try:
        assert follow.stdout is not None
        first = follow.stdout.readline()
        status_at_first_line = sagemaker.describe_transform_job(TransformJobName="verbs-followed")
        # The rest from the same buffered stream: readline() may have read ahead past the
        # first line (communicate() would read the pipe underneath and miss those lines).
        rest = follow.stdout.read()
        follow.wait()
    finally:
        deadline.cancel()
        follow.kill()
    stderr = errors.read_text()
    assert first.startswith("[i-"), first
    assert status_at_first_line["TransformJobStatus"] == "InProgress"  # printed while it ran
    assert follow.returncode == 0, stderr
    assert "Transform job verbs-followed: Completed" in stderr
    assert sagemaker.describe_transform_job(TransformJobName="verbs-followed")["TransformJobStatus"] == "Completed"
    lines = [first, *rest.splitlines()]
    assert any("model loaded from /opt/ml/code/inference.py" in line for line in lines), lines

    again = bte("logs", "verbs-followed", "--endpoint-url", server.url)  # no --follow: what is there, once
    assert again.returncode == 0 and again.stdout.splitlines() == [line.rstrip("\n") for line in lines]


def test_stop_wait_ends_a_running_job_stopped(slow_server: tuple[ServerProcess, Any]) -> None:
    server, sagemaker = slow_server
    start_job(sagemaker, "verbs-stopped")
    deadline = time.monotonic() + 60
    while "TransformStartTime" not in sagemaker.describe_transform_job(TransformJobName="verbs-stopped"):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.2)

    stopped = bte("stop", "verbs-stopped", "--wait", "--endpoint-url", server.url)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == "Transform job verbs-stopped: Stopped"
    assert sagemaker.describe_transform_job(TransformJobName="verbs-stopped")["TransformJobStatus"] == "Stopped"


def test_verbs_name_what_went_wrong(server: ServerProcess) -> None:
    missing = bte("describe", "no-such-job", "--endpoint-url", server.url)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "bte describe: ValidationException: Could not find requested job with name no-such-job"
    nobody = bte("jobs", "--endpoint-url", "http://127.0.0.1:9")
    assert nobody.returncode == 2 and "cannot reach http://127.0.0.1:9" in nobody.stderr


def test_logs_show_the_data_log_and_follow_exits_1_for_a_failed_job(
        start_server: StartServer, local_echo_model: Path) -> None:
    server = start_server("--allow-local", str(local_echo_model))
    s3, sagemaker = boto_client(server.url, "s3"), boto_client(server.url, "sagemaker")
    s3.create_bucket(Bucket="verbs")
    s3.put_object(Bucket="verbs", Key="in/data.csv", Body=b"".join(b"%d,x\n" % i for i in range(6)))
    sagemaker.create_model(ModelName="failing-echo", PrimaryContainer={
        "ModelDataUrl": local_echo_model.as_uri(), "Environment": {"ECHO_FAIL_EVERY_N": "1"}})  # every request: the job fails
    start_job(sagemaker, "verbs-failed", "failing-echo")

    followed = bte("logs", "verbs-failed", "--follow", "--poll", "0.2", "--endpoint-url", server.url, timeout=120)

    assert followed.returncode == 1, followed.stderr
    assert "Transform job verbs-failed: Failed" in followed.stderr
    data_log = [line for line in followed.stdout.splitlines() if "/data-log] " in line]
    assert data_log, followed.stdout
    assert any("[sagemaker logs]" in line and "data.csv" in line for line in data_log), data_log
