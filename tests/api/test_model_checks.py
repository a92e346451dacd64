"""CreateTransformJob through `bte serve` refuses the models the service refuses, with its text."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.engine.jobs import job_request, model_request
from tests.test_model_checks import MODEL_DATA_SOURCE, S3_DATA_SOURCE

pytestmark = pytest.mark.docker


def test_create_transform_job_refuses_a_model_data_source_model(sagemaker, s3, sample_image, docker_client):
    s3.create_bucket(Bucket="jobs")
    s3.put_object(Bucket="jobs", Key="in/a.csv", Body=b"1\n")
    model = model_request("uses-data-source", sample_image("echo"))
    model["PrimaryContainer"]["ModelDataSource"] = S3_DATA_SOURCE
    sagemaker.create_model(**model)  # CreateModel accepts it, as the service does
    with pytest.raises(ClientError) as refused:
        sagemaker.create_transform_job(**job_request("api-data-source", "s3://jobs/in/", "s3://jobs/out/",
                                                     ModelName="uses-data-source"))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == MODEL_DATA_SOURCE
    with pytest.raises(ClientError) as missing:
        sagemaker.describe_transform_job(TransformJobName="api-data-source")
    assert missing.value.response["Error"]["Message"] == "Could not find requested job with name api-data-source"
    assert docker_client.containers.list(all=True, filters={"label": "bte.job=api-data-source"}) == []
