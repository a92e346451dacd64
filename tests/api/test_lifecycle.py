"""Stopping a job, and a server killed mid-job: what is left in the store, in Docker and in S3."""

from __future__ import annotations

import time
from typing import Any

import pytest

from emulator.store.db import Store
from tests.api.server import BteServer
from tests.api.test_transform_jobs import FAST_WAIT, start_job

pytestmark = pytest.mark.docker
SLOW = {"ECHO_LATENCY_MS": "500"}  # 20 records, one at a time: about 10 s of work
ONE_AT_A_TIME = {"BatchStrategy": "SingleRecord", "MaxConcurrentTransforms": 1}


def wait_until_started(sagemaker: Any, name: str) -> dict[str, Any]:
    deadline = time.time() + 60
    while True:
        described = sagemaker.describe_transform_job(TransformJobName=name)
        if "TransformStartTime" in described:
            return described
        assert described["TransformJobStatus"] == "InProgress", described
        assert time.time() < deadline, f"{name} did not start its instance in 60 s"
        time.sleep(0.2)


def containers_of(docker_client: Any, name: str) -> list[str]:
    return [c.name for c in docker_client.containers.list(all=True, filters={"label": f"bte.job={name}"})]


def test_stop_mid_job_ends_stopped_with_no_container_and_no_output(sagemaker, s3, sample_image, docker_client):
    start_job(sagemaker, s3, sample_image("echo"), "stop-me", SLOW, **ONE_AT_A_TIME)
    running = wait_until_started(sagemaker, "stop-me")
    assert "TransformEndTime" not in running
    time.sleep(1.0)  # a few records answered, the file not finished
    assert containers_of(docker_client, "stop-me")

    sagemaker.stop_transform_job(TransformJobName="stop-me")
    assert sagemaker.describe_transform_job(TransformJobName="stop-me")["TransformJobStatus"] == "Stopping"
    sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="stop-me", WaiterConfig=FAST_WAIT)

    stopped = sagemaker.describe_transform_job(TransformJobName="stop-me")
    assert stopped["TransformJobStatus"] == "Stopped"
    assert "TransformEndTime" in stopped and "FailureReason" not in stopped
    assert containers_of(docker_client, "stop-me") == []
    assert s3.list_objects_v2(Bucket="jobs", Prefix="out/").get("KeyCount") == 0


def test_a_killed_server_ends_its_jobs_as_failed_on_restart_and_removes_their_containers(
        tmp_path, sample_image, docker_client):
    server = BteServer(tmp_path / "state").start()
    try:
        sagemaker, s3 = server.client("sagemaker"), server.client("s3")
        start_job(sagemaker, s3, sample_image("echo"), "orphan", SLOW, **ONE_AT_A_TIME)
        wait_until_started(sagemaker, "orphan")
        assert containers_of(docker_client, "orphan")

        server.kill()
        assert containers_of(docker_client, "orphan"), "the container outlives a killed server until restart"
        server.start()

        sagemaker = server.client("sagemaker")
        ended = sagemaker.describe_transform_job(TransformJobName="orphan")
        assert ended["TransformJobStatus"] == "Failed"
        assert ended["FailureReason"] == "InternalServerError: We encountered an internal error.  Please try again."
        run = Store(server.state_dir).latest_run("orphan")
        assert run is not None and "ended while the job was InProgress" in (run.failure_detail or "")
        assert "TransformEndTime" in ended
        assert containers_of(docker_client, "orphan") == []
    finally:
        server.stop()
