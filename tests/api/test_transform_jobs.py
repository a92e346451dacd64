"""Transform jobs through `bte serve`, driven by boto3 as a user drives the service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import WaiterError

from tests.api.server import BteServer
from tests.engine.jobs import job_request, model_request

pytestmark = pytest.mark.docker
FAST_WAIT = {"Delay": 0.2, "MaxAttempts": 300}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BteServer]:
    """One server for the module's tests (each uses its own names and bucket)."""
    srv = BteServer(tmp_path_factory.mktemp("transform-jobs") / "state").start()
    yield srv
    srv.stop()


def seed_input(s3: Any, bucket: str, lines: int = 20) -> bytes:
    body = b"".join(b"%d,%d\n" % (i, i * i) for i in range(lines))
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="in/data.csv", Body=body)
    return body


def start_job(sagemaker: Any, s3: Any, image: str, name: str, env: dict[str, str] | None = None,
              bucket: str = "jobs", **overrides: Any) -> bytes:
    body = seed_input(s3, bucket)
    sagemaker.create_model(**model_request(f"{name}-model", image, env))
    request = job_request(name, f"s3://{bucket}/in/", f"s3://{bucket}/out/", ModelName=f"{name}-model", **overrides)
    arn = sagemaker.create_transform_job(**request)["TransformJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:transform-job/{name.lower()}"
    return body


def test_a_job_runs_in_the_background_and_the_waiter_returns_on_completed(server, sagemaker, s3, sample_image):
    body = start_job(sagemaker, s3, sample_image("echo"), "Echo-Job", {"ECHO_LATENCY_MS": "300"},
                     BatchStrategy="SingleRecord", MaxConcurrentTransforms=1)

    during = sagemaker.describe_transform_job(TransformJobName="Echo-Job")
    assert during["TransformJobStatus"] == "InProgress"
    assert "TransformEndTime" not in during and "FailureReason" not in during

    sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="Echo-Job", WaiterConfig=FAST_WAIT)
    done = sagemaker.describe_transform_job(TransformJobName="Echo-Job")
    assert done["TransformJobStatus"] == "Completed"
    assert done["CreationTime"] <= done["TransformStartTime"] <= done["TransformEndTime"]
    assert "FailureReason" not in done
    assert s3.get_object(Bucket="jobs", Key="out/data.csv.out")["Body"].read() == body
    log = server.log.read_text()
    assert "bte serve: transform job Echo-Job InProgress\n" in log and "bte serve: transform job Echo-Job Completed\n" in log


def test_the_waiter_raises_on_failed_with_the_failure_reason(sagemaker, s3, sample_image):
    start_job(sagemaker, s3, sample_image("echo"), "fails", {"ECHO_FAIL_EVERY_N": "1"}, bucket="fails")

    with pytest.raises(WaiterError) as caught:
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="fails", WaiterConfig=FAST_WAIT)
    assert "Failed" in str(caught.value)
    failed = sagemaker.describe_transform_job(TransformJobName="fails")
    assert failed["TransformJobStatus"] == "Failed"
    # only the service's text: bte's explanation stays in the store and the logs
    assert failed["FailureReason"] == "AlgorithmError: See job logs for more information"
    assert "BteFailureDetail" not in failed
    assert "TransformEndTime" in failed


def test_a_duplicate_job_name_is_resource_in_use(sagemaker, s3, sample_image):
    start_job(sagemaker, s3, sample_image("echo"), "twice", bucket="twice")
    request = job_request("twice", "s3://twice/in/", "s3://twice/other/", ModelName="twice-model")

    with pytest.raises(sagemaker.exceptions.ResourceInUse) as caught:
        sagemaker.create_transform_job(**request)
    assert caught.value.response["Error"]["Message"] == (
        "Job name must be unique within an AWS account and region, and a job with this name already exists "
        "(arn:aws:sagemaker:us-east-1:000000000000:transform-job/twice)"
    )


def test_with_s3_endpoint_url_jobs_read_and_write_that_s3(tmp_path, s3_server, s3_bucket, sample_image):
    external = s3_server.client()
    external.put_object(Bucket=s3_bucket, Key="in/x.csv", Body=b"7\n8\n")
    server = BteServer(tmp_path / "state", "--s3-endpoint-url", s3_server.endpoint_url).start()
    try:
        sagemaker = server.client("sagemaker")
        sagemaker.create_model(**model_request("ext", sample_image("echo")))
        sagemaker.create_transform_job(**job_request(
            "external-s3", f"s3://{s3_bucket}/in/", f"s3://{s3_bucket}/out/", ModelName="ext"))
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="external-s3", WaiterConfig=FAST_WAIT)
        assert external.get_object(Bucket=s3_bucket, Key="out/x.csv.out")["Body"].read() == b"7\n8\n"
        assert server.client("s3").list_buckets()["Buckets"] == []  # the server's own S3 was not used
    finally:
        server.stop()
