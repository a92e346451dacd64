"""Every SageMaker operation bte serves, its success and its error answers, through boto3.

No container runs here: jobs name an image that does not exist, so they fail at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.api.server import BteServer
from tests.engine.jobs import job_request, model_request

MISSING_IMAGE = "bte-test/not-built:latest"
ARN = "arn:aws:sagemaker:us-east-1:000000000000"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BteServer]:
    """One server for the module (each test uses its own names): starting one costs seconds."""
    srv = BteServer(tmp_path_factory.mktemp("operations") / "state").start()
    yield srv
    srv.stop()


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    err = caught.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_models_create_describe_list_delete(sagemaker):
    arn = sagemaker.create_model(**model_request("Model-A", MISSING_IMAGE, {"K": "v"}))["ModelArn"]
    assert arn == f"{ARN}:model/model-a"
    described = sagemaker.describe_model(ModelName="Model-A")
    assert described["ModelName"] == "Model-A" and described["ModelArn"] == arn
    assert described["PrimaryContainer"] == {"Image": MISSING_IMAGE, "Environment": {"K": "v"}}
    assert described["EnableNetworkIsolation"] is False
    sagemaker.create_model(**model_request("model-b", MISSING_IMAGE))

    names = [m["ModelName"] for m in sagemaker.list_models(NameContains="model-")["Models"]]
    assert names == ["model-b", "Model-A"]  # newest first, as the service's default
    ascending = sagemaker.list_models(NameContains="model-", SortBy="Name", SortOrder="Ascending")["Models"]
    assert [m["ModelName"] for m in ascending] == ["Model-A", "model-b"]
    assert [m["ModelName"] for m in sagemaker.list_models(NameContains="model-a")["Models"]] == ["Model-A"]
    pages = sagemaker.get_paginator("list_models").paginate(NameContains="model-", PaginationConfig={"PageSize": 1})
    assert [m["ModelName"] for page in pages for m in page["Models"]] == ["model-b", "Model-A"]

    sagemaker.delete_model(ModelName="Model-A")
    with pytest.raises(ClientError) as caught:
        sagemaker.describe_model(ModelName="Model-A")
    assert error(caught) == ("ValidationException", f'Could not find model "{arn}".', 400)


def test_model_errors(sagemaker):
    sagemaker.create_model(**model_request("dup", MISSING_IMAGE))
    with pytest.raises(ClientError) as caught:
        sagemaker.create_model(**model_request("dup", MISSING_IMAGE))
    assert error(caught) == ("ValidationException", f'Cannot create already existing model "{ARN}:model/dup".', 400)

    with pytest.raises(ClientError) as caught:
        sagemaker.delete_model(ModelName="gone")
    assert error(caught)[1] == f'Could not find model "{ARN}:model/gone".'

    with pytest.raises(ClientError) as caught:
        sagemaker.create_model(**model_request("bad_name", MISSING_IMAGE))
    code, message, _ = error(caught)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value 'bad_name' at 'modelName' failed to satisfy "
                              "constraint: Member must satisfy regular expression pattern")

    local = model_request("local", MISSING_IMAGE)
    local["PrimaryContainer"]["ModelDataUrl"] = "file:///etc"
    with pytest.raises(ClientError) as caught:
        sagemaker.create_model(**local)
    assert error(caught)[0] == "ValidationException" and "file:///etc" in error(caught)[1]


def test_tags_add_list_delete(sagemaker):
    arn = sagemaker.create_model(**model_request("tagged", MISSING_IMAGE), Tags=[{"Key": "team", "Value": "a"}])["ModelArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "cost", "Value": "1"}, {"Key": "team", "Value": "b"}])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "1"}]
    many = [f"k{i:02d}" for i in range(60)]
    for start in (0, 30):
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": k, "Value": ""} for k in many[start:start + 30]])
    pages = list(sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn, PaginationConfig={"PageSize": 50}))
    assert [len(page["Tags"]) for page in pages] == [50, 12]
    assert [t["Key"] for page in pages for t in page["Tags"]] == ["team", "cost", *many]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["team", *many[:30]])
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=many[30:])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "cost", "Value": "1"}]

    with pytest.raises(ClientError) as caught:
        sagemaker.list_tags(ResourceArn=f"{ARN}:model/nothing")
    assert error(caught) == ("ValidationException", f"Resource {ARN}:model/nothing does not exist.", 400)


def make_input(s3: Any, bucket: str) -> None:
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="in/a.csv", Body=b"1\n")


def test_transform_job_errors(sagemaker, s3):
    make_input(s3, "ops")
    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(**job_request("no-model", "s3://ops/in/", "s3://ops/out/", ModelName="absent"))
    assert error(caught) == ("ValidationException", f'Could not find model "{ARN}:model/absent".', 400)

    sagemaker.create_model(**model_request("echo", MISSING_IMAGE))
    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(**job_request("empty", "s3://ops/nothing/", "s3://ops/out/"))
    code, message, _ = error(caught)
    assert code == "ValidationException" and message.startswith('No S3 objects found under S3 URL "s3://ops/nothing/"')

    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(**job_request("local", "file:///etc/", "s3://ops/out/"))
    assert error(caught)[0] == "ValidationException" and "file:///etc/" in error(caught)[1]

    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(**job_request("big", "s3://ops/in/", "s3://ops/out/", MaxPayloadInMB=101))
    assert "at 'maxPayloadInMB' failed to satisfy constraint: Member must have value less than or equal to 100" in error(caught)[1]

    for call in (sagemaker.describe_transform_job, sagemaker.stop_transform_job):
        with pytest.raises(ClientError) as caught:
            call(TransformJobName="never")
        assert error(caught) == ("ValidationException", "Could not find requested job with name never", 400)


def test_a_job_that_cannot_start_fails_and_stopping_it_then_is_refused(sagemaker, s3):
    make_input(s3, "doomed")
    sagemaker.create_model(**model_request("doomed-model", MISSING_IMAGE))
    sagemaker.create_transform_job(**job_request("doomed", "s3://doomed/in/", "s3://doomed/out/", ModelName="doomed-model"))
    with pytest.raises(Exception):
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(
            TransformJobName="doomed", WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    failed = sagemaker.describe_transform_job(TransformJobName="doomed")
    assert failed["TransformJobStatus"] == "Failed" and failed["FailureReason"]
    assert failed["TransformInput"]["SplitType"] == "Line" and failed["TransformOutput"]["KmsKeyId"] == ""
    assert failed["DataProcessing"] == {"InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"}
    with pytest.raises(ClientError) as caught:
        sagemaker.stop_transform_job(TransformJobName="doomed")
    assert error(caught) == (
        "ValidationException", "The request was rejected because the transform job is in status Failed.", 400)


def test_an_operation_bte_lacks_names_itself_and_what_bte_implements(sagemaker):
    with pytest.raises(ClientError) as caught:
        sagemaker.list_endpoints()
    code, message, status = error(caught)
    assert (code, status) == ("NotImplemented", 501)
    assert message.startswith("bte does not implement the SageMaker operation ListEndpoints. It implements: AddTags,")
    assert "CreateTransformJob" in message


@pytest.mark.parametrize("target", ["SageMaker.NoSuchOperation", "Bogus_20200101.Thing"])
def test_an_unknown_target_is_unknown_operation_exception(server, target):
    answer = requests.post(server.url, data=b"{}", timeout=10, headers={
        "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    assert answer.status_code == 400
    assert answer.json()["__type"] == "UnknownOperationException"
    assert answer.headers["x-amzn-RequestId"]


def test_a_body_that_is_not_json_is_a_serialization_exception(server):
    answer = requests.post(server.url, data=b"{not json", timeout=10, headers={
        "X-Amz-Target": "SageMaker.ListModels", "Content-Type": "application/x-amz-json-1.1"})
    assert answer.status_code == 400 and answer.json()["__type"] == "SerializationException"


def test_describe_returns_every_field_sent_and_tags_go_to_list_tags(sagemaker, s3):
    make_input(s3, "full")
    sagemaker.create_model(**model_request("full-model", MISSING_IMAGE))
    request = job_request(
        "Full-Job", "s3://full/in/", "s3://full/out/", ModelName="full-model",
        MaxConcurrentTransforms=2, MaxPayloadInMB=3, BatchStrategy="MultiRecord", Environment={"A": "1"},
        ModelClientConfig={"InvocationsTimeoutInSeconds": 30, "InvocationsMaxRetries": 1},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input"},
        DataCaptureConfig={"DestinationS3Uri": "s3://full/capture/", "GenerateInferenceId": True},
        ExperimentConfig={"ExperimentName": "exp"},
        TransformOutput={"Accept": "text/csv"},
        Tags=[{"Key": "owner", "Value": "me"}],
    )
    arn = sagemaker.create_transform_job(**request)["TransformJobArn"]
    described = sagemaker.describe_transform_job(TransformJobName="Full-Job")
    for key in ("MaxConcurrentTransforms", "MaxPayloadInMB", "BatchStrategy", "Environment", "ModelClientConfig",
                "DataCaptureConfig", "ExperimentConfig"):
        assert described[key] == request[key], key
    assert described["DataProcessing"] == {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$"}
    assert described["TransformOutput"] == {"S3OutputPath": "s3://full/out/", "AssembleWith": "Line", "Accept": "text/csv",
                                            "KmsKeyId": ""}
    assert described["TransformInput"]["CompressionType"] == "None"
    assert described["TransformJobArn"] == arn and described["ModelName"] == "full-model"
    assert "Tags" not in described and "LastModifiedTime" not in described
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "me"}]
