"""bte's extension: local paths and file:// URIs, only when the caller asks for them."""

from __future__ import annotations

import pytest

from emulator.spec import RequestValidationError, is_local_uri, parse_model, parse_transform_job, validate
from tests.spec.builders import model_request, transform_job_request

S3_PATTERN = "^(https|s3)://([^/]+)/?(.*)"


@pytest.mark.parametrize("uri", ["file:///data/input", "/data/input", "data/input", "./in.csv", "in.csv"])
def test_local_input_and_output_accepted_when_allowed(uri: str) -> None:
    request = transform_job_request(
        TransformInput__DataSource__S3DataSource__S3Uri=uri, TransformOutput__S3OutputPath=uri + "-out"
    )
    spec = parse_transform_job(request, allow_local_uris=True)
    assert spec.input_uri == uri
    assert spec.output_path == uri + "-out"


def test_local_input_refused_on_the_aws_path_like_the_service() -> None:
    request = transform_job_request(TransformInput__DataSource__S3DataSource__S3Uri="file:///data/input")
    with pytest.raises(RequestValidationError) as info:
        validate("CreateTransformJob", request)
    assert str(info.value) == (
        "1 validation error detected: Value 'file:///data/input' at 'transformInput.dataSource.s3DataSource.s3Uri' "
        f"failed to satisfy constraint: Member must satisfy regular expression pattern: {S3_PATTERN}"
    )


@pytest.mark.parametrize("uri", ["gs://bucket/x", "s3:/bucket/x", "file://", ""])
def test_other_schemes_still_refused_when_local_allowed(uri: str) -> None:
    request = transform_job_request(TransformOutput__S3OutputPath=uri)
    with pytest.raises(RequestValidationError) as info:
        validate("CreateTransformJob", request, allow_local_uris=True)
    assert str(info.value).endswith(
        f"Value '{uri}' at 'transformOutput.s3OutputPath' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {S3_PATTERN} or be a local path or file:// URI"
    )


def test_s3_uris_still_pass_when_local_allowed() -> None:
    validate("CreateTransformJob", transform_job_request(), allow_local_uris=True)


def test_local_uris_only_in_the_three_uri_members() -> None:
    request = transform_job_request(DataCaptureConfig={"DestinationS3Uri": "/tmp/capture"})
    with pytest.raises(RequestValidationError, match="at 'dataCaptureConfig.destinationS3Uri'"):
        validate("CreateTransformJob", request, allow_local_uris=True)


def test_local_model_data_url() -> None:
    request = model_request(PrimaryContainer__ModelDataUrl="file:///models/model.tar.gz")
    assert parse_model(request, allow_local_uris=True).primary_container.model_data_url == "file:///models/model.tar.gz"
    with pytest.raises(RequestValidationError, match="at 'primaryContainer.modelDataUrl'"):
        parse_model(request)


def test_is_local_uri() -> None:
    assert is_local_uri("file:///x") and is_local_uri("x/y") and is_local_uri("/x") and is_local_uri("C:\\data")
    assert not is_local_uri("s3://b/k") and not is_local_uri("https://h/k") and not is_local_uri("")
