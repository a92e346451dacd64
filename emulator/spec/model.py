"""botocore's SageMaker service model: the one source of shapes, enums and limits.

The model is read from the JSON files botocore ships (the same data boto3 validates and
serialises with), once per process. botocore is imported only here and only when a
shape is first needed, so importing ``emulator.spec`` stays cheap and works where
botocore is not installed (a model container that only wants a constant).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from emulator.spec.errors import BteError, UnknownOperation

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

    from emulator.spec.shape_cache import CachedShape, ShapeCache

SERVICE_NAME = "sagemaker"


@functools.cache
def service_model() -> ServiceModel:
    """The SageMaker service model of the installed botocore."""
    import botocore.exceptions
    import botocore.loaders
    import botocore.model

    from emulator.spec import shape_cache

    try:
        data = botocore.loaders.create_loader().load_service_model(SERVICE_NAME, "service-2")
    except botocore.exceptions.BotoCoreError as err:  # a broken botocore install
        raise BteError(f"cannot load botocore's {SERVICE_NAME} service model: {err}") from err
    if _cached() is None:
        shape_cache.write(data)  # for the next process's run path
    return botocore.model.ServiceModel(data, service_name=SERVICE_NAME)


@functools.cache
def _cached() -> ShapeCache | None:
    """The run path's shapes without botocore (emulator/spec/shape_cache.py), once written."""
    from emulator.spec import shape_cache

    return shape_cache.load()


def operation_model(operation: str) -> OperationModel:
    """The model of one operation, e.g. ``"CreateTransformJob"``."""
    import botocore.model

    try:
        return service_model().operation_model(operation)
    except botocore.model.OperationNotFoundError as err:
        raise UnknownOperation(f"Operation {operation} is not supported by the SageMaker service model.") from err


def input_shape(operation: str) -> StructureShape | CachedShape | None:
    """The request shape of ``operation``; None for an operation that takes no input."""
    cached = _cached()
    if cached is not None and operation in cached.operations:
        name = cached.operations[operation]
        return cached.shape(name) if name else None
    return operation_model(operation).input_shape


def output_shape(operation: str) -> StructureShape | None:
    """The response shape of ``operation``; None for an operation that returns nothing."""
    return operation_model(operation).output_shape


def shape(name: str) -> Shape:
    """A named shape, e.g. ``"TransformInstanceType"``."""
    return service_model().shape_for(name)


def enum_values(name: str) -> tuple[str, ...]:
    """The enum of a named string shape, in the model's order."""
    cached = _cached()
    if cached is not None and cached.has_shape(name):
        return tuple(cached.shape(name).enum)
    return tuple(shape(name).enum)


@functools.cache
def instance_types() -> frozenset[str]:
    """Every instance type a transform job may name (shape ``TransformInstanceType``)."""
    return frozenset(enum_values("TransformInstanceType"))
