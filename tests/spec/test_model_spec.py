"""CreateModel: validation and the spec the engine reads."""

from __future__ import annotations

import pytest

from emulator.spec import (
    RequestValidationError,
    ValidationException,
    check_model_for_batch,
    parse_model,
    validate,
)
from tests.spec.builders import DELETE, model_request


def test_primary_container_model() -> None:
    model = parse_model(model_request())
    assert model.name == "my-model"
    assert model.primary_container.image == "bte-sample:latest"
    assert model.primary_container.model_data_url == "s3://bucket/model/model.tar.gz"
    assert model.primary_container.environment == {"MODEL_FLAVOUR": "sklearn"}
    assert model.primary_container.mode == "SingleModel"
    assert model.containers == (model.primary_container,)
    assert model.execution_role_arn == "arn:aws:iam::123456789012:role/SageMakerRole"
    assert not model.is_pipeline


def test_pipeline_model_lists_every_container_in_order() -> None:
    containers = [{"Image": "pre:1"}, {"Image": "model:1", "Environment": {"A": "1"}}]
    model = parse_model(model_request(PrimaryContainer=DELETE, Containers=containers))
    assert [c.image for c in model.containers] == ["pre:1", "model:1"]
    assert model.primary_container.image == "pre:1"
    assert model.is_pipeline


def test_model_name_pattern_message() -> None:
    with pytest.raises(RequestValidationError) as info:
        validate("CreateModel", model_request(ModelName="codeqwen1.5-7b-chat"))
    assert str(info.value) == (
        "1 validation error detected: Value 'codeqwen1.5-7b-chat' at 'modelName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"
    )


def test_container_environment_allows_100_entries_not_101() -> None:
    environment = {f"K{i}": "v" for i in range(100)}
    parse_model(model_request(PrimaryContainer__Environment=environment))
    environment["K100"] = "v"
    with pytest.raises(RequestValidationError) as info:
        parse_model(model_request(PrimaryContainer__Environment=environment))
    assert str(info.value).endswith(
        "at 'primaryContainer.environment' failed to satisfy constraint: Member must have length less than or equal to 100"
    )


def test_model_needs_a_container() -> None:
    with pytest.raises(RequestValidationError) as info:
        parse_model(model_request(PrimaryContainer=DELETE))
    assert str(info.value) == (
        "1 validation error detected: Value null at 'primaryContainer' failed to satisfy constraint: "
        "Member must not be null when Containers is not given"
    )


def test_model_cannot_have_both_container_forms() -> None:
    with pytest.raises(RequestValidationError) as info:
        parse_model(model_request(Containers=[{"Image": "x:1"}]))
    assert str(info.value) == (
        "1 validation error detected: Value at 'containers' failed to satisfy constraint: Member must be null "
        "when PrimaryContainer is given (a model has either PrimaryContainer or Containers)"
    )


def test_empty_pipeline_is_refused() -> None:
    with pytest.raises(RequestValidationError, match="Value '\\[\\]' at 'containers' failed to satisfy constraint: "
                       "Member must have length greater than or equal to 1"):
        parse_model(model_request(PrimaryContainer=DELETE, Containers=[]))


def test_model_data_source_is_accepted_by_create_model_but_refused_for_batch() -> None:
    source = {"S3DataSource": {"S3Uri": "s3://bucket/model/", "S3DataType": "S3Prefix", "CompressionType": "None"}}
    model = parse_model(model_request(PrimaryContainer__ModelDataUrl=DELETE, PrimaryContainer__ModelDataSource=source))
    with pytest.raises(ValidationException) as info:
        check_model_for_batch(model)
    assert str(info.value) == (
        "SageMaker Batch currently doesn't support Model entity with container definitions "
        "which use ModelDataSource attribute"
    )
    check_model_for_batch(parse_model(model_request()))
