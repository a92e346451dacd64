"""`--max-jobs`: jobs beyond it wait in a queue; a queued job can be stopped; models can be
deleted under a running job; a server shut down with SIGTERM ends its jobs."""

from __future__ import annotations

import time

import pytest

from emulator.store.db import Store
from tests.api.server import BteServer
from tests.api.test_lifecycle import ONE_AT_A_TIME, SLOW, containers_of, wait_until_started
from tests.api.test_transform_jobs import FAST_WAIT, start_job
from tests.engine.jobs import job_request

pytestmark = pytest.mark.docker


def test_jobs_beyond_max_jobs_wait_in_the_queue(tmp_path, sample_image):
    server = BteServer(tmp_path / "state", "--max-jobs", "1").start()
    try:
        sagemaker, s3 = server.client("sagemaker"), server.client("s3")
        start_job(sagemaker, s3, sample_image("echo"), "first", SLOW, **ONE_AT_A_TIME)
        sagemaker.create_transform_job(**job_request("second", "s3://jobs/in/", "s3://jobs/second/", ModelName="first-model"))
        sagemaker.create_transform_job(**job_request("third", "s3://jobs/in/", "s3://jobs/third/", ModelName="first-model"))
        wait_until_started(sagemaker, "first")

        queued = sagemaker.describe_transform_job(TransformJobName="second")
        assert queued["TransformJobStatus"] == "InProgress" and "TransformStartTime" not in queued

        sagemaker.delete_model(ModelName="first-model")  # the jobs keep the model they resolved
        sagemaker.stop_transform_job(TransformJobName="third")
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="third", WaiterConfig=FAST_WAIT)
        third = sagemaker.describe_transform_job(TransformJobName="third")
        assert third["TransformJobStatus"] == "Stopped" and "TransformStartTime" not in third

        for name in ("first", "second"):
            sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name, WaiterConfig=FAST_WAIT)
        first = sagemaker.describe_transform_job(TransformJobName="first")
        second = sagemaker.describe_transform_job(TransformJobName="second")
        assert first["TransformJobStatus"] == second["TransformJobStatus"] == "Completed"
        assert second["TransformStartTime"] >= first["TransformEndTime"]  # one at a time
        assert s3.list_objects_v2(Bucket="jobs", Prefix="third/").get("KeyCount") == 0
    finally:
        server.stop()


def test_sigterm_stops_running_jobs_and_they_end_failed(tmp_path, sample_image, docker_client):
    server = BteServer(tmp_path / "state").start()
    try:
        sagemaker, s3 = server.client("sagemaker"), server.client("s3")
        start_job(sagemaker, s3, sample_image("echo"), "cut-short", SLOW, **ONE_AT_A_TIME)
        wait_until_started(sagemaker, "cut-short")
        began = time.time()
        server.stop()
        assert time.time() - began < 30
        assert containers_of(docker_client, "cut-short") == []

        server.start()
        ended = server.client("sagemaker").describe_transform_job(TransformJobName="cut-short")
        assert ended["TransformJobStatus"] == "Failed"
        assert ended["FailureReason"] == "InternalServerError: We encountered an internal error.  Please try again."
        run = Store(server.state_dir).latest_run("cut-short")
        assert run is not None and "bte serve was shut down while the job ran" in (run.failure_detail or "")
    finally:
        server.stop()
