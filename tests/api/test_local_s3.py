"""`bte serve --s3 local`: the server's own S3 is a SeaweedFS under its state directory,
reached through bte's port; objects and job outputs outlive the server, and a weed that
dies is started again."""

from __future__ import annotations

import io
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.api.server import BteServer
from tests.engine.jobs import job_request, model_request

FAST_WAIT = {"Delay": 0.2, "MaxAttempts": 300}
MiB = 1 << 20


def weed_pid(state: Path) -> int:
    return int((state / "s3" / "weed.pid").read_text())


def alive(pid: int) -> bool:
    try:
        return b"weed" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _assert(condition: bool) -> None:
    assert condition


def wait_until(check: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (ClientError, BotoCoreError, AssertionError):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None
            time.sleep(0.2)


@pytest.mark.docker
def test_objects_and_job_outputs_survive_a_killed_server(tmp_path: Path, sample_image: Any) -> None:
    state = tmp_path / "state"
    server = BteServer(state, "--s3", "local").start()
    try:
        s3, sagemaker = server.client("s3"), server.client("sagemaker")
        s3.create_bucket(Bucket="jobs")
        body = b"".join(b"%d,%d\n" % (i, i * i) for i in range(200))
        s3.put_object(Bucket="jobs", Key="in/data.csv", Body=body)
        big = os.urandom(12 * MiB)  # a multipart upload, streamed through bte's port
        s3.upload_fileobj(io.BytesIO(big), "jobs", "big.bin")
        sagemaker.create_model(**model_request("echo", sample_image("echo")))
        sagemaker.create_transform_job(**job_request("kept", "s3://jobs/in/", "s3://jobs/out/", ModelName="echo"))
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="kept", WaiterConfig=FAST_WAIT)
        assert sagemaker.describe_transform_job(TransformJobName="kept")["TransformJobStatus"] == "Completed"
        first_weed = weed_pid(state)

        server.kill()  # SIGKILL: bte serve cannot stop weed itself; the kernel does
        wait_until(lambda: _assert(not alive(first_weed)), "weed to stop")

        server.start()  # the same state directory, a new port
        s3 = server.client("s3")
        assert s3.get_object(Bucket="jobs", Key="in/data.csv")["Body"].read() == body
        assert s3.get_object(Bucket="jobs", Key="out/data.csv.out")["Body"].read() == body
        assert s3.get_object(Bucket="jobs", Key="big.bin")["Body"].read() == big
        assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket="jobs")["Contents"]) == [
            "big.bin", "in/data.csv", "out/data.csv.out"]
        assert s3.list_multipart_uploads(Bucket="jobs").get("Uploads", []) == []
    finally:
        server.stop()
    assert not alive(weed_pid(state))  # stopped with the server


def test_a_weed_that_dies_is_started_again(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = BteServer(state, "--s3", "local").start()
    try:
        s3 = server.client("s3")
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="a", Body=b"still here")
        first = weed_pid(state)
        os.kill(first, signal.SIGKILL)

        # Meanwhile S3 answers 503 ServiceUnavailable (clients retry), then the object again.
        got = wait_until(lambda: s3.get_object(Bucket="kept", Key="a")["Body"].read(), "the local S3 to come back")
        assert got == b"still here"
        assert weed_pid(state) != first
        assert "the local S3 (SeaweedFS) stopped; starting it again" in server.log.read_text()
    finally:
        server.stop()
