"""Describe* responses, filled the way the real service fills them.

DescribeTransformJob (reference 2.4, observed responses and ACK fixtures):

* filled in although not sent: ``DataProcessing`` ``{"InputFilter": "$", "JoinSource":
  "None", "OutputFilter": "$"}``, ``TransformInput.CompressionType`` and ``SplitType``
  ``"None"``, ``TransformOutput.AssembleWith`` ``"None"`` and ``KmsKeyId`` ``""``;
* absent when not sent, even after the job ran: ``BatchStrategy``,
  ``MaxConcurrentTransforms``, ``MaxPayloadInMB``, ``ModelClientConfig``,
  ``TransformOutput.Accept``, ``TransformInput.ContentType``; ``Environment`` is absent
  when not sent and ``{}`` when sent empty;
* never present: ``Tags``, ``LastModifiedTime``;
* ``TransformStartTime``, ``TransformEndTime``, ``FailureReason`` only when given.

Datetimes stay ``datetime`` objects; the API layer serialises them.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from emulator.spec.model_spec import ModelSpec
from emulator.spec.transform_job import DEFAULT_JSON_PATH, NONE, TransformJobSpec

_AS_SENT = ("MaxConcurrentTransforms", "ModelClientConfig", "MaxPayloadInMB", "BatchStrategy", "Environment")


def describe_transform_job(
    spec: TransformJobSpec,
    *,
    arn: str,
    status: str,
    creation_time: dt.datetime,
    start_time: dt.datetime | None = None,
    end_time: dt.datetime | None = None,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    """The DescribeTransformJob response for a job created from ``spec``."""
    request = without_nulls(spec.request)
    out: dict[str, Any] = {
        "TransformJobName": spec.name,
        "TransformJobArn": arn,
        "TransformJobStatus": status,
    }
    if failure_reason is not None:
        out["FailureReason"] = failure_reason
    out["ModelName"] = spec.model_name
    out.update({key: request[key] for key in _AS_SENT if key in request})
    transform_input = request["TransformInput"]
    transform_input.setdefault("CompressionType", NONE)
    transform_input.setdefault("SplitType", NONE)
    out["TransformInput"] = transform_input
    transform_output = request["TransformOutput"]
    transform_output.setdefault("AssembleWith", NONE)
    transform_output.setdefault("KmsKeyId", "")
    out["TransformOutput"] = transform_output
    if "DataCaptureConfig" in request:
        out["DataCaptureConfig"] = request["DataCaptureConfig"]
    out["TransformResources"] = request["TransformResources"]
    out["CreationTime"] = creation_time
    if start_time is not None:
        out["TransformStartTime"] = start_time
    if end_time is not None:
        out["TransformEndTime"] = end_time
    processing = {"InputFilter": DEFAULT_JSON_PATH, "JoinSource": NONE, "OutputFilter": DEFAULT_JSON_PATH}
    processing.update(request.get("DataProcessing", {}))
    out["DataProcessing"] = processing
    if "ExperimentConfig" in request:
        out["ExperimentConfig"] = request["ExperimentConfig"]
    return out


def describe_model(spec: ModelSpec, *, arn: str, creation_time: dt.datetime) -> dict[str, Any]:
    """The DescribeModel response for a model created from ``spec``.

    Containers come back as sent; ``EnableNetworkIsolation`` is always present (false by
    default), as in responses printed by AWS's example notebooks. No Tags.
    """
    request = without_nulls(spec.request)
    out: dict[str, Any] = {"ModelName": spec.name}
    for key in ("PrimaryContainer", "Containers", "InferenceExecutionConfig", "ExecutionRoleArn", "VpcConfig"):
        if key in request:
            out[key] = request[key]
    out["CreationTime"] = creation_time
    out["ModelArn"] = arn
    out["EnableNetworkIsolation"] = bool(request.get("EnableNetworkIsolation", False))
    return out


def without_nulls(value: Any) -> Any:
    """A deep copy of ``value`` without members whose value is None (JSON null means absent)."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return copy.deepcopy(value)
