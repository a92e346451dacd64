"""Describe responses are filled the way the real service fills them (reference 2.4)."""

from __future__ import annotations

import datetime as dt

from emulator.spec import describe_model, describe_transform_job, model_arn, parse_model, parse_transform_job, transform_job_arn
from tests.spec.builders import model_request, transform_job_request

CREATED = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)


def test_defaults_filled_and_unsent_members_absent_right_after_create() -> None:
    spec = parse_transform_job(transform_job_request())
    arn = transform_job_arn(spec.name)
    assert describe_transform_job(spec, arn=arn, status="InProgress", creation_time=CREATED) == {
        "TransformJobName": "my-job-1",
        "TransformJobArn": "arn:aws:sagemaker:us-east-1:000000000000:transform-job/my-job-1",
        "TransformJobStatus": "InProgress",
        "ModelName": "my-model",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/input"}},
            "ContentType": "text/csv",
            "CompressionType": "None",
            "SplitType": "None",
        },
        "TransformOutput": {"S3OutputPath": "s3://bucket/output", "AssembleWith": "None", "KmsKeyId": ""},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        "CreationTime": CREATED,
        "DataProcessing": {"InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"},
    }


def test_members_sent_come_back_as_sent_and_tags_never() -> None:
    request = transform_job_request(
        MaxConcurrentTransforms=2,
        MaxPayloadInMB=6,
        BatchStrategy="MultiRecord",
        ModelClientConfig={"InvocationsMaxRetries": 1},
        Environment={},
        DataProcessing={"JoinSource": "Input"},
        Tags=[{"Key": "k", "Value": "v"}],
    )
    described = describe_transform_job(parse_transform_job(request), arn="a", status="InProgress", creation_time=CREATED)
    assert described["MaxConcurrentTransforms"] == 2
    assert described["MaxPayloadInMB"] == 6
    assert described["BatchStrategy"] == "MultiRecord"
    assert described["ModelClientConfig"] == {"InvocationsMaxRetries": 1}
    assert described["Environment"] == {}
    assert described["DataProcessing"] == {"InputFilter": "$", "JoinSource": "Input", "OutputFilter": "$"}
    assert "Tags" not in described and "LastModifiedTime" not in described


def test_terminal_job_carries_times_and_failure_reason() -> None:
    spec = parse_transform_job(transform_job_request())
    started, ended = CREATED + dt.timedelta(minutes=3), CREATED + dt.timedelta(minutes=5)
    described = describe_transform_job(
        spec, arn="a", status="Failed", creation_time=CREATED, start_time=started, end_time=ended,
        failure_reason="ClientError: See job logs for more information",
    )
    assert described["TransformStartTime"] == started
    assert described["TransformEndTime"] == ended
    assert described["FailureReason"] == "ClientError: See job logs for more information"
    assert list(described)[:4] == ["TransformJobName", "TransformJobArn", "TransformJobStatus", "FailureReason"]


def test_describe_does_not_change_the_spec() -> None:
    spec = parse_transform_job(transform_job_request())
    describe_transform_job(spec, arn="a", status="InProgress", creation_time=CREATED)["TransformInput"]["SplitType"] = "Line"
    assert "SplitType" not in spec.request["TransformInput"]


def test_describe_model() -> None:
    spec = parse_model(model_request())
    assert describe_model(spec, arn=model_arn("My-Model"), creation_time=CREATED) == {
        "ModelName": "my-model",
        "PrimaryContainer": model_request()["PrimaryContainer"],
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "CreationTime": CREATED,
        "ModelArn": "arn:aws:sagemaker:us-east-1:000000000000:model/my-model",
        "EnableNetworkIsolation": False,
    }


def test_arns_lower_case_the_name_only() -> None:
    assert transform_job_arn("Batch-Transform-2022-04-18-00-26-41", "eu-west-1", "123456789012") == (
        "arn:aws:sagemaker:eu-west-1:123456789012:transform-job/batch-transform-2022-04-18-00-26-41"
    )
    assert model_arn("MyModel") == "arn:aws:sagemaker:us-east-1:000000000000:model/mymodel"
