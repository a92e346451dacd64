"""CreateTransformJob: from the request dict boto3 takes to a validated, typed spec.

:class:`TransformJobSpec` holds what the planner and engine need, with the service's
defaults already applied where the service applies them (SplitType, CompressionType,
AssembleWith "None"; DataProcessing "$"/"$"/"None"; ModelClientConfig 600 s / 3
retries). Values the service decides at run time (MaxConcurrentTransforms,
MaxPayloadInMB, BatchStrategy: request, then the container's /execution-parameters,
then defaults) stay None when unset, so that the planner can do that resolution.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.spec.validation import validate

OPERATION = "CreateTransformJob"
DEFAULT_INVOCATIONS_TIMEOUT_S = 600
DEFAULT_INVOCATIONS_MAX_RETRIES = 3
DEFAULT_JSON_PATH = "$"
NONE = "None"  # the service's spelling of "no splitting / compression / assembly / join"


@dataclass(frozen=True)
class TransformJobSpec:
    """A valid CreateTransformJob request, with the service's defaults applied."""

    name: str
    model_name: str
    data_type: str  # "S3Prefix" | "ManifestFile"
    input_uri: str  # s3:// or https:// (or, on bte's own path, file:// or a local path)
    content_type: str | None
    compression_type: str  # "None" | "Gzip"
    split_type: str  # "None" | "Line" | "RecordIO" | "TFRecord"
    output_path: str
    accept: str | None
    assemble_with: str  # "None" | "Line"
    kms_key_id: str | None
    instance_type: str
    instance_count: int
    max_concurrent_transforms: int | None  # None when unset or 0 (0 means "ask the container")
    max_payload_in_mb: int | None  # None when unset; 0 is meaningful (no limit, chunked)
    batch_strategy: str | None  # "MultiRecord" | "SingleRecord" | None when unset
    environment: dict[str, str]
    invocations_timeout_s: int
    invocations_max_retries: int
    input_filter: str
    output_filter: str
    join_source: str  # "None" | "Input"
    request: dict[str, Any] = field(repr=False, compare=False)  # the request as sent, for Describe


def parse_transform_job(
    params: Mapping[str, Any], *, allow_local_uris: bool = False, allow_unknown_members: bool = False
) -> TransformJobSpec:
    """Validate ``params`` as a CreateTransformJob request and build its spec.

    Raises :class:`emulator.spec.errors.RequestValidationError` with every violation.
    """
    validate(OPERATION, params, allow_local_uris=allow_local_uris, allow_unknown_members=allow_unknown_members)
    request: dict[str, Any] = copy.deepcopy(dict(params))
    transform_input = request["TransformInput"]
    s3_source = transform_input["DataSource"]["S3DataSource"]
    transform_output = request["TransformOutput"]
    resources = request["TransformResources"]
    client_config = request.get("ModelClientConfig") or {}
    processing = request.get("DataProcessing") or {}
    concurrency = request.get("MaxConcurrentTransforms")
    return TransformJobSpec(
        name=request["TransformJobName"],
        model_name=request["ModelName"],
        data_type=s3_source["S3DataType"],
        input_uri=s3_source["S3Uri"],
        content_type=transform_input.get("ContentType"),
        compression_type=transform_input.get("CompressionType") or NONE,
        split_type=transform_input.get("SplitType") or NONE,
        output_path=transform_output["S3OutputPath"],
        accept=transform_output.get("Accept"),
        assemble_with=transform_output.get("AssembleWith") or NONE,
        kms_key_id=transform_output.get("KmsKeyId") or None,
        instance_type=resources["InstanceType"],
        instance_count=resources["InstanceCount"],
        max_concurrent_transforms=concurrency or None,
        max_payload_in_mb=request.get("MaxPayloadInMB"),
        batch_strategy=request.get("BatchStrategy"),
        environment=dict(request.get("Environment") or {}),
        invocations_timeout_s=_or_default(client_config.get("InvocationsTimeoutInSeconds"), DEFAULT_INVOCATIONS_TIMEOUT_S),
        invocations_max_retries=_or_default(client_config.get("InvocationsMaxRetries"), DEFAULT_INVOCATIONS_MAX_RETRIES),
        input_filter=processing.get("InputFilter") or DEFAULT_JSON_PATH,
        output_filter=processing.get("OutputFilter") or DEFAULT_JSON_PATH,
        join_source=processing.get("JoinSource") or NONE,
        request=request,
    )


def _or_default(value: int | None, default: int) -> int:
    # 0 retries is a real choice, so test for None rather than falsiness.
    return default if value is None else value
