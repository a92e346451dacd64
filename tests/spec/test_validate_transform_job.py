"""CreateTransformJob validation: each constraint kind, with the exact text the user reads."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.spec import RequestValidationError, ValidationException, validate
from tests.spec.builders import DELETE, transform_job_request

NAME_PATTERN = "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"


def error_of(request: dict[str, Any], **options: bool) -> str:
    with pytest.raises(RequestValidationError) as info:
        validate("CreateTransformJob", request, **options)
    assert isinstance(info.value, ValidationException)
    assert info.value.code == "ValidationException"
    return str(info.value)


def test_a_complete_valid_request_passes() -> None:
    validate("CreateTransformJob", transform_job_request())


def test_every_optional_member_set_to_a_valid_value_passes() -> None:
    request = transform_job_request(
        MaxConcurrentTransforms=4,
        MaxPayloadInMB=25,
        BatchStrategy="SingleRecord",
        ModelClientConfig={"InvocationsTimeoutInSeconds": 3600, "InvocationsMaxRetries": 0},
        Environment={"LOG_LEVEL": "debug", "_X1": ""},
        TransformInput__CompressionType="Gzip",
        TransformInput__SplitType="Line",
        TransformOutput__Accept="text/csv",
        TransformOutput__AssembleWith="Line",
        TransformOutput__KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/abc-123",
        DataProcessing={"InputFilter": "$[1:]", "OutputFilter": "$[0,-1]", "JoinSource": "Input"},
        Tags=[{"Key": "team é", "Value": "ml:batch/1"}],
    )
    validate("CreateTransformJob", request)


def test_missing_required_member_is_not_null() -> None:
    assert error_of(transform_job_request(TransformOutput__S3OutputPath=DELETE)) == (
        "1 validation error detected: Value null at 'transformOutput.s3OutputPath' "
        "failed to satisfy constraint: Member must not be null"
    )


def test_json_null_counts_as_missing() -> None:
    assert "Value null at 'modelName' failed to satisfy constraint: Member must not be null" in error_of(
        transform_job_request(ModelName=None)
    )


def test_model_name_longer_than_63() -> None:
    name = "a" * 64
    assert error_of(transform_job_request(ModelName=name)) == (
        f"1 validation error detected: Value '{name}' at 'modelName' "
        "failed to satisfy constraint: Member must have length less than or equal to 63"
    )


def test_job_name_longer_than_63_breaks_length_and_pattern() -> None:
    # The pattern's {0,62} caps the length too, so the service reports both.
    name = "a" * 64
    assert error_of(transform_job_request(TransformJobName=name)) == (
        f"2 validation errors detected: Value '{name}' at 'transformJobName' "
        "failed to satisfy constraint: Member must have length less than or equal to 63; "
        f"Value '{name}' at 'transformJobName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


def test_empty_name_breaks_length_and_pattern() -> None:
    assert error_of(transform_job_request(TransformJobName="")) == (
        "2 validation errors detected: "
        "Value '' at 'transformJobName' failed to satisfy constraint: Member must have length greater than or equal to 1; "
        f"Value '' at 'transformJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


def test_name_with_underscore_breaks_the_pattern() -> None:
    assert error_of(transform_job_request(TransformJobName="x_y")) == (
        "1 validation error detected: Value 'x_y' at 'transformJobName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


@pytest.mark.parametrize("name", ["-job", "job-", "job.1", "job 1"])
def test_pattern_is_a_full_match(name: str) -> None:
    assert f"Value '{name}' at 'transformJobName'" in error_of(transform_job_request(TransformJobName=name))


def test_enum_split_type_lines() -> None:
    assert error_of(transform_job_request(TransformInput__SplitType="Lines")) == (
        "1 validation error detected: Value 'Lines' at 'transformInput.splitType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [None, Line, RecordIO, TFRecord]"
    )


def test_enum_batch_strategy() -> None:
    assert error_of(transform_job_request(BatchStrategy="MULTI_RECORD")).endswith(
        "Value 'MULTI_RECORD' at 'batchStrategy' failed to satisfy constraint: "
        "Member must satisfy enum value set: [MultiRecord, SingleRecord]"
    )


def test_instance_type_outside_the_enum() -> None:
    message = error_of(transform_job_request(TransformResources__InstanceType="local"))
    assert message.startswith(
        "1 validation error detected: Value 'local' at 'transformResources.instanceType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ml.m4.xlarge, "
    )


def test_range_invocations_max_retries() -> None:
    assert error_of(transform_job_request(ModelClientConfig={"InvocationsMaxRetries": 4})) == (
        "1 validation error detected: Value '4' at 'modelClientConfig.invocationsMaxRetries' "
        "failed to satisfy constraint: Member must have value less than or equal to 3"
    )


def test_range_invocations_timeout() -> None:
    assert error_of(transform_job_request(ModelClientConfig={"InvocationsTimeoutInSeconds": 3601})).endswith(
        "at 'modelClientConfig.invocationsTimeoutInSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 3600"
    )


def test_range_minimum_instance_count() -> None:
    assert error_of(transform_job_request(TransformResources__InstanceCount=0)) == (
        "1 validation error detected: Value '0' at 'transformResources.instanceCount' "
        "failed to satisfy constraint: Member must have value greater than or equal to 1"
    )


def test_integers_are_java_ints() -> None:
    assert error_of(transform_job_request(MaxConcurrentTransforms=2**31)) == (
        "1 validation error detected: Value '2147483648' at 'maxConcurrentTransforms' "
        "failed to satisfy constraint: Member must have value less than or equal to 2147483647"
    )


def test_instance_count_above_the_documented_maximum() -> None:
    assert error_of(transform_job_request(TransformResources__InstanceCount=101)) == (
        "1 validation error detected: Value '101' at 'transformResources.instanceCount' "
        "failed to satisfy constraint: Member must have value less than or equal to 100"
    )


def test_max_payload_above_100() -> None:
    assert error_of(transform_job_request(MaxPayloadInMB=101)) == (
        "1 validation error detected: Value '101' at 'maxPayloadInMB' "
        "failed to satisfy constraint: Member must have value less than or equal to 100"
    )


def test_max_payload_of_100_and_of_0_pass() -> None:
    validate("CreateTransformJob", transform_job_request(MaxPayloadInMB=100, MaxConcurrentTransforms=1))
    validate("CreateTransformJob", transform_job_request(MaxPayloadInMB=0, MaxConcurrentTransforms=64))


def test_product_of_concurrency_and_payload_above_100() -> None:
    assert error_of(transform_job_request(MaxConcurrentTransforms=20, MaxPayloadInMB=6)) == (
        "1 validation error detected: Value '120' at 'maxConcurrentTransforms * maxPayloadInMB' "
        "failed to satisfy constraint: The product of MaxConcurrentTransforms (20) and MaxPayloadInMB (6) "
        "must be less than or equal to 100"
    )


def test_product_rule_needs_both_members() -> None:
    validate("CreateTransformJob", transform_job_request(MaxConcurrentTransforms=1000))
    validate("CreateTransformJob", transform_job_request(MaxConcurrentTransforms=10, MaxPayloadInMB=10))


def test_payload_above_100_is_one_message_not_two() -> None:
    message = error_of(transform_job_request(MaxConcurrentTransforms=2, MaxPayloadInMB=101))
    assert message.startswith("1 validation error detected: Value '101' at 'maxPayloadInMB'")


def test_augmented_manifest_is_refused_for_transform() -> None:
    request = transform_job_request(TransformInput__DataSource__S3DataSource__S3DataType="AugmentedManifestFile")
    assert error_of(request) == (
        "1 validation error detected: Value 'AugmentedManifestFile' at 'transformInput.dataSource.s3DataSource.s3DataType' "
        "failed to satisfy constraint: Member must satisfy enum value set: [ManifestFile, S3Prefix] "
        "(batch transform does not support AugmentedManifestFile)"
    )


def test_environment_with_more_than_16_entries() -> None:
    environment = {f"VAR_{i}": "x" for i in range(17)}
    message = error_of(transform_job_request(Environment=environment))
    assert message.startswith("1 validation error detected: Value '{VAR_0=x, VAR_1=x, ")
    assert message.endswith(
        "VAR_16=x}' at 'environment' failed to satisfy constraint: Member must have length less than or equal to 16"
    )


def test_environment_key_and_value_rules() -> None:
    message = error_of(transform_job_request(Environment={"bad-key": "v", "GOOD": 5}))
    assert message == (
        "2 validation errors detected: Value 'bad-key' at 'environment' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ^[a-zA-Z_][a-zA-Z0-9_]{0,1023}]; "
        "Value '5' at 'environment.GOOD' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must be of type string, not integer]"
    )


def test_type_error_string_for_integer() -> None:
    assert error_of(transform_job_request(TransformResources__InstanceCount="2")) == (
        "1 validation error detected: Value '2' at 'transformResources.instanceCount' "
        "failed to satisfy constraint: Member must be of type integer, not string"
    )


@pytest.mark.parametrize("value", [True, 2.0])
def test_type_error_boolean_or_float_for_integer(value: object) -> None:
    assert "Member must be of type integer, not " in error_of(transform_job_request(MaxPayloadInMB=value))


def test_type_error_for_a_structure() -> None:
    assert error_of(transform_job_request(TransformOutput="s3://bucket/out")) == (
        "1 validation error detected: Value 's3://bucket/out' at 'transformOutput' failed to satisfy constraint: "
        "Member must be of type structure (a JSON object), not string"
    )


def test_list_items_are_named_with_their_1_based_index() -> None:
    tags = [{"Key": "ok", "Value": "ok"}, {"Key": "a#b", "Value": "ok"}]
    assert error_of(transform_job_request(Tags=tags)) == (
        "1 validation error detected: Value 'a#b' at 'tags.2.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"
    )


def test_unknown_member_names_the_path_and_the_valid_members() -> None:
    assert error_of(transform_job_request(TransformInput__SplitTyp="Line")) == (
        "1 validation error detected: Unknown member 'SplitTyp' at 'transformInput': valid members are "
        "[DataSource, ContentType, CompressionType, SplitType]; did you mean 'SplitType'?"
    )


def test_unknown_top_level_member() -> None:
    message = error_of(transform_job_request(maxPayloadInMB=6))
    assert message.startswith(
        "1 validation error detected: Unknown member 'maxPayloadInMB' in the CreateTransformJob request: "
        "valid members are [TransformJobName, ModelName, "
    )
    assert message.endswith("; did you mean 'MaxPayloadInMB'?")


def test_unknown_members_can_be_allowed_for_newer_clients() -> None:
    validate("CreateTransformJob", transform_job_request(SomeFutureMember=1), allow_unknown_members=True)


def test_several_violations_are_reported_together_with_the_count() -> None:
    request = transform_job_request(
        TransformJobName="x_y",
        TransformInput__SplitType="Lines",
        ModelClientConfig={"InvocationsMaxRetries": 4},
        MaxPayloadInMB=101,
    )
    with pytest.raises(RequestValidationError) as info:
        validate("CreateTransformJob", request)
    assert str(info.value).startswith("4 validation errors detected: Value 'x_y' at 'transformJobName'")
    assert len(info.value.violations) == 4
    assert str(info.value) == "4 validation errors detected: " + "; ".join(info.value.violations)
    paths = [v.split(" at '")[1].split("'")[0] for v in info.value.violations]
    assert paths == ["transformJobName", "modelClientConfig.invocationsMaxRetries", "transformInput.splitType", "maxPayloadInMB"]


def test_request_that_is_not_an_object() -> None:
    assert error_of(["not", "an", "object"]) == (  # type: ignore[arg-type]
        "1 validation error detected: Value '[not, an, object]' at 'request' failed to satisfy constraint: "
        "Member must be of type structure (a JSON object), not array"
    )
