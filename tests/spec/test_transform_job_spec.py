"""parse_transform_job: the service's defaults, and what stays unset for the planner."""

from __future__ import annotations

import pytest

from emulator.spec import RequestValidationError, parse_transform_job
from tests.spec.builders import transform_job_request


def test_defaults_of_a_minimal_request() -> None:
    spec = parse_transform_job(transform_job_request())
    assert (spec.name, spec.model_name) == ("my-job-1", "my-model")
    assert (spec.data_type, spec.input_uri, spec.content_type) == ("S3Prefix", "s3://bucket/input", "text/csv")
    assert (spec.compression_type, spec.split_type) == ("None", "None")
    assert (spec.output_path, spec.accept, spec.assemble_with, spec.kms_key_id) == ("s3://bucket/output", None, "None", None)
    assert (spec.instance_type, spec.instance_count) == ("ml.m5.large", 1)
    assert (spec.max_concurrent_transforms, spec.max_payload_in_mb, spec.batch_strategy) == (None, None, None)
    assert spec.environment == {}
    assert (spec.invocations_timeout_s, spec.invocations_max_retries) == (600, 3)
    assert (spec.input_filter, spec.output_filter, spec.join_source) == ("$", "$", "None")


def test_values_as_sent() -> None:
    spec = parse_transform_job(
        transform_job_request(
            MaxConcurrentTransforms=4,
            MaxPayloadInMB=0,
            BatchStrategy="SingleRecord",
            Environment={"A": "1"},
            ModelClientConfig={"InvocationsTimeoutInSeconds": 30, "InvocationsMaxRetries": 0},
            DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input"},
            TransformInput__SplitType="Line",
            TransformInput__CompressionType="Gzip",
            TransformOutput__AssembleWith="Line",
            TransformOutput__Accept="application/jsonlines",
            TransformOutput__KmsKeyId="key-1",
        )
    )
    assert (spec.max_concurrent_transforms, spec.max_payload_in_mb, spec.batch_strategy) == (4, 0, "SingleRecord")
    assert spec.environment == {"A": "1"}
    assert (spec.invocations_timeout_s, spec.invocations_max_retries) == (30, 0)
    assert (spec.input_filter, spec.output_filter, spec.join_source) == ("$[1:]", "$", "Input")
    assert (spec.split_type, spec.compression_type, spec.assemble_with) == ("Line", "Gzip", "Line")
    assert (spec.accept, spec.kms_key_id) == ("application/jsonlines", "key-1")


def test_zero_concurrency_means_ask_the_container() -> None:
    assert parse_transform_job(transform_job_request(MaxConcurrentTransforms=0)).max_concurrent_transforms is None


def test_request_is_kept_unchanged_and_detached() -> None:
    request = transform_job_request(Environment={"A": "1"})
    spec = parse_transform_job(request)
    assert spec.request == request
    request["Environment"]["A"] = "changed"
    assert spec.request["Environment"] == {"A": "1"}
    assert spec.environment == {"A": "1"}


def test_invalid_request_raises_before_building() -> None:
    with pytest.raises(RequestValidationError, match="^1 validation error detected: Value null at 'transformInput'"):
        parse_transform_job({k: v for k, v in transform_job_request().items() if k != "TransformInput"})
