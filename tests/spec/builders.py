"""One builder per request: a complete, valid request; tests override only what they test."""

from __future__ import annotations

import copy
from typing import Any

DELETE = object()  # an override value that removes the member


def transform_job_request(**overrides: Any) -> dict[str, Any]:
    """A valid CreateTransformJob request; ``Path__To__Member=value`` overrides one member."""
    request: dict[str, Any] = {
        "TransformJobName": "my-job-1",
        "ModelName": "my-model",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/input"}},
            "ContentType": "text/csv",
        },
        "TransformOutput": {"S3OutputPath": "s3://bucket/output"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    return _apply(request, overrides)


def model_request(**overrides: Any) -> dict[str, Any]:
    """A valid CreateModel request; ``Path__To__Member=value`` overrides one member."""
    request: dict[str, Any] = {
        "ModelName": "my-model",
        "PrimaryContainer": {
            "Image": "bte-sample:latest",
            "ModelDataUrl": "s3://bucket/model/model.tar.gz",
            "Environment": {"MODEL_FLAVOUR": "sklearn"},
        },
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    }
    return _apply(request, overrides)


def _apply(request: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    request = copy.deepcopy(request)
    for dotted, value in overrides.items():
        *parents, last = dotted.split("__")
        node = request
        for name in parents:
            node = node.setdefault(name, {})
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return request
