"""CreateModel: from the request dict boto3 takes to a validated, typed spec.

A model has either ``PrimaryContainer`` (one container) or ``Containers`` (an inference
pipeline, up to 15). :class:`ModelSpec` gives both views: ``containers`` always lists
every container in order, and ``primary_container`` is the single container or, for a
pipeline, the first one (the one that receives the job's requests).

CreateModel accepts containers that use ``ModelDataSource``; it is CreateTransformJob
that refuses such a model. That check is :func:`check_model_for_batch`, for whoever
creates the job (the API and the Python API call it after looking the model up).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.spec.errors import ValidationException
from emulator.spec.validation import validate

OPERATION = "CreateModel"
MODEL_DATA_SOURCE_MESSAGE = (
    "SageMaker Batch currently doesn't support Model entity with container definitions "
    "which use ModelDataSource attribute"
)


@dataclass(frozen=True)
class ContainerSpec:
    """One ContainerDefinition of a model."""

    image: str | None
    model_data_url: str | None  # s3:// or https:// (or file:// / a local path on bte's own path)
    environment: dict[str, str]
    container_hostname: str | None
    mode: str  # "SingleModel" (default) | "MultiModel"
    model_data_source: dict[str, Any] | None  # present only to be refused by batch transform
    definition: dict[str, Any] = field(repr=False, compare=False)  # the ContainerDefinition as sent


@dataclass(frozen=True)
class ModelSpec:
    """A valid CreateModel request."""

    name: str
    primary_container: ContainerSpec
    containers: tuple[ContainerSpec, ...]
    execution_role_arn: str | None
    is_pipeline: bool  # True when the request used Containers
    enable_network_isolation: bool
    request: dict[str, Any] = field(repr=False, compare=False)  # the request as sent, for Describe


def parse_model(
    params: Mapping[str, Any], *, allow_local_uris: bool = False, allow_unknown_members: bool = False
) -> ModelSpec:
    """Validate ``params`` as a CreateModel request and build its spec.

    Raises :class:`emulator.spec.errors.RequestValidationError` with every violation.
    """
    validate(OPERATION, params, allow_local_uris=allow_local_uris, allow_unknown_members=allow_unknown_members)
    request: dict[str, Any] = copy.deepcopy(dict(params))
    if request.get("PrimaryContainer") is not None:
        containers: tuple[ContainerSpec, ...] = (_container(request["PrimaryContainer"]),)
        is_pipeline = False
    else:
        containers = tuple(_container(definition) for definition in request["Containers"])
        is_pipeline = True
    return ModelSpec(
        name=request["ModelName"],
        primary_container=containers[0],
        containers=containers,
        execution_role_arn=request.get("ExecutionRoleArn"),
        is_pipeline=is_pipeline,
        enable_network_isolation=bool(request.get("EnableNetworkIsolation", False)),
        request=request,
    )


def check_model_for_batch(model: ModelSpec) -> None:
    """Raise the service's ValidationException when a transform job names a model it cannot run.

    Today that is a model whose containers use ModelDataSource (reference 2.7, I-4777).
    """
    if any(container.model_data_source is not None for container in model.containers):
        raise ValidationException(MODEL_DATA_SOURCE_MESSAGE)


def _container(definition: dict[str, Any]) -> ContainerSpec:
    return ContainerSpec(
        image=definition.get("Image"),
        model_data_url=definition.get("ModelDataUrl"),
        environment=dict(definition.get("Environment") or {}),
        container_hostname=definition.get("ContainerHostname"),
        mode=definition.get("Mode") or "SingleModel",
        model_data_source=definition.get("ModelDataSource"),
        definition=definition,
    )
