"""The SageMaker request and response shapes, validated the way the service validates them.

The bottom room of bte: it imports nothing of ours, and botocore only when a shape is
first needed (see :mod:`emulator.spec.model`). Shapes, enums and limits come from
botocore's SageMaker service model; the few rules the model cannot express live in
:mod:`emulator.spec.rules`. docs/validation.md lists every message bte chose itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Each name is imported on first use: `bte run` forks its container starter before bte's
# imports (emulator/runtime/forked_start.py), and importing the whole room for one error
# class (emulator.spec.errors) put 20 ms before that fork.
_LAZY = {
    "model_arn": "arns", "transform_job_arn": "arns",
    "describe_model": "describe", "describe_transform_job": "describe",
    "RequestValidationError": "errors", "ValidationException": "errors",
    "ContainerSpec": "model_spec", "ModelSpec": "model_spec", "check_model_for_batch": "model_spec",
    "parse_model": "model_spec",
    "TransformJobSpec": "transform_job", "parse_transform_job": "transform_job",
    "find_violations": "validation", "is_local_uri": "validation", "validate": "validation",
}

if TYPE_CHECKING:
    from emulator.spec.arns import model_arn, transform_job_arn
    from emulator.spec.describe import describe_model, describe_transform_job
    from emulator.spec.errors import RequestValidationError, ValidationException
    from emulator.spec.model_spec import ContainerSpec, ModelSpec, check_model_for_batch, parse_model
    from emulator.spec.transform_job import TransformJobSpec, parse_transform_job
    from emulator.spec.validation import find_violations, is_local_uri, validate

    INSTANCE_TYPES: frozenset[str]

__all__ = [
    "INSTANCE_TYPES",
    "ContainerSpec",
    "ModelSpec",
    "RequestValidationError",
    "TransformJobSpec",
    "ValidationException",
    "check_model_for_batch",
    "describe_model",
    "describe_transform_job",
    "find_violations",
    "is_local_uri",
    "model_arn",
    "parse_model",
    "parse_transform_job",
    "transform_job_arn",
    "validate",
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(f"emulator.spec.{_LAZY[name]}"), name)
    # INSTANCE_TYPES needs the service model; load it on first use, not at import.
    if name == "INSTANCE_TYPES":
        from emulator.spec.model import instance_types

        return instance_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
