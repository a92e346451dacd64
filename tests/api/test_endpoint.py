"""One endpoint: S3, STS and CloudWatch Logs answer on the same port as SageMaker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.api.server import BteServer
from tests.api.test_transform_jobs import FAST_WAIT, start_job

GROUP = "/aws/sagemaker/TransformJobs"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BteServer]:
    srv = BteServer(tmp_path_factory.mktemp("endpoint") / "state").start()
    yield srv
    srv.stop()


def test_s3_upload_and_download_through_the_same_endpoint(s3, tmp_path):
    s3.create_bucket(Bucket="files")
    source = tmp_path / "up.bin"
    source.write_bytes(bytes(range(256)) * 40_000)  # ~10 MB: boto3 sends it in parts
    s3.upload_file(str(source), "files", "data/up.bin")
    target = tmp_path / "down.bin"
    s3.download_file("files", "data/up.bin", str(target))
    assert target.read_bytes() == source.read_bytes()
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="files")["Contents"]] == ["data/up.bin"]


def test_sts_get_caller_identity_names_the_account_of_bte_arns(server):
    identity = server.client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"


def test_a_service_bte_does_not_serve_is_refused_by_name(server):
    with pytest.raises(server.client("sqs").exceptions.ClientError) as caught:
        server.client("sqs").list_queues()
    assert "bte serve does not answer AmazonSQS; it answers SageMaker" in caught.value.response["Error"]["Message"]


def test_unknown_log_group_is_resource_not_found(logs):
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_log_streams(logGroupName="/aws/lambda/x")


@pytest.mark.docker
def test_logs_serve_the_container_log_and_the_data_log(sagemaker, s3, logs, sample_image):
    start_job(sagemaker, s3, sample_image("echo"), "logged", bucket="logged")
    sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="logged", WaiterConfig=FAST_WAIT)

    streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="logged/", orderBy="LogStreamName")
    names = [s["logStreamName"] for s in streams["logStreams"]]
    assert len(names) == 2
    container, data_log = names
    assert container.startswith("logged/i-") and data_log == container + "/data-log"
    instance_epoch = int(container.rsplit("-", 1)[1])
    assert abs(instance_epoch - sagemaker.describe_transform_job(TransformJobName="logged")["TransformStartTime"].timestamp()) < 60

    lines = [e["message"] for e in logs.get_log_events(logGroupName=GROUP, logStreamName=container, startFromHead=True)["events"]]
    assert any("bte serving: listening on" in line for line in lines), lines
    data = [e["message"] for e in logs.get_log_events(logGroupName=GROUP, logStreamName=data_log, startFromHead=True)["events"]]
    assert any("[sagemaker logs]: MaxConcurrentTransforms=" in line for line in data), data

    # As the SageMaker SDK reads a stream: from the head, then on with nextForwardToken until nothing is new.
    first = logs.get_log_events(logGroupName=GROUP, logStreamName=container, startFromHead=True, limit=2)
    second = logs.get_log_events(logGroupName=GROUP, logStreamName=container, startFromHead=True,
                                 nextToken=first["nextForwardToken"])
    assert [e["message"] for e in first["events"] + second["events"]] == lines
    last = logs.get_log_events(logGroupName=GROUP, logStreamName=container, startFromHead=True,
                               nextToken=second["nextForwardToken"])
    assert last["events"] == []

    # startTime applies before the limit: the first page from a late startTime is not empty.
    events = logs.get_log_events(logGroupName=GROUP, logStreamName=container, startFromHead=True)["events"]
    late = logs.get_log_events(logGroupName=GROUP, logStreamName=container, startFromHead=True,
                               startTime=events[-1]["timestamp"], limit=1)["events"]
    assert len(late) == 1 and late[0]["timestamp"] == events[-1]["timestamp"]

    # The SDK asks for min(InstanceCount, 50) streams and loops while a nextToken comes back.
    assert "nextToken" not in logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="logged/",
                                                        orderBy="LogStreamName", limit=1)
    found = logs.filter_log_events(logGroupName=GROUP, logStreamNamePrefix="logged/", filterPattern="MaxConcurrentTransforms")
    assert [e["logStreamName"] for e in found["events"]] == [data_log]


def test_unsigned_requests_go_to_s3(server, s3):
    s3.create_bucket(Bucket="public")
    s3.put_object(Bucket="public", Key="k", Body=b"hello")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "public", "Key": "k"})
    assert requests.get(url, timeout=10).content == b"hello"


def test_the_sdk_config_names_the_default_bucket_sts_would_give(server):
    # The SageMaker SDK asks STS at a fixed https URL for its default bucket's name; the config
    # file bte serve writes names that bucket, so no such call is needed.
    text = (server.state_dir / "sagemaker-config.yaml").read_text()
    account = server.client("sts").get_caller_identity()["Account"]
    assert f"DefaultS3Bucket: sagemaker-us-east-1-{account}\n" in text
    assert "TelemetryOptOut: true" in text
