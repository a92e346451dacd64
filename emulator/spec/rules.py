"""Cross-field and documentation-only rules that the service model cannot express.

The service enforces these (its documentation says "cannot"), but botocore's model has
no field for them, and the service's wording is not public. bte answers in the same
``Value … at … failed to satisfy constraint: …`` form; each text is listed in
docs/validation.md so that it is easy to change when a real message is seen.

CreateTransformJob:
* ``MaxPayloadInMB`` <= 100 (API reference for MaxPayloadInMB);
* ``MaxConcurrentTransforms x MaxPayloadInMB`` <= 100 when both are given (same page);
  checked only when MaxPayloadInMB itself is within 100, so one mistake is one message;
* ``TransformResources.InstanceCount`` <= 100 (the member's doc says "the maximum is
  100"; the model gives only a minimum);
* ``S3DataType`` is S3Prefix or ManifestFile (the doc lists AugmentedManifestFile as not
  compatible with transform; Converse is for other job types).

CreateModel: exactly one of ``PrimaryContainer`` and ``Containers``; ``Containers`` not empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emulator.spec.model import enum_values
from emulator.spec.messages import constraint_message

MAX_PAYLOAD_IN_MB = 100
MAX_PAYLOAD_TIMES_CONCURRENCY = 100
MAX_INSTANCE_COUNT = 100
TRANSFORM_DATA_TYPES = frozenset({"S3Prefix", "ManifestFile"})

Rule = Callable[[Mapping[str, Any]], list[str]]


def rule_violations(operation: str, params: Mapping[str, Any]) -> list[str]:
    """The messages of the extra rules of ``operation`` (none for most operations)."""
    rule = _RULES.get(operation)
    return rule(params) if rule else []


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _get(params: Mapping[str, Any], *names: str) -> object:
    current: object = params
    for name in names:
        if not isinstance(current, Mapping):
            return None
        current = current.get(name)
    return current


def _create_transform_job(params: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    payload = _int(params.get("MaxPayloadInMB"))
    concurrency = _int(params.get("MaxConcurrentTransforms"))
    if payload is not None and payload > MAX_PAYLOAD_IN_MB:
        out.append(
            constraint_message(payload, "maxPayloadInMB", f"Member must have value less than or equal to {MAX_PAYLOAD_IN_MB}")
        )
    elif payload is not None and concurrency is not None and payload >= 0 and concurrency >= 0:
        product = payload * concurrency
        if product > MAX_PAYLOAD_TIMES_CONCURRENCY:
            out.append(
                constraint_message(
                    product,
                    "maxConcurrentTransforms * maxPayloadInMB",
                    f"The product of MaxConcurrentTransforms ({concurrency}) and MaxPayloadInMB ({payload}) "
                    f"must be less than or equal to {MAX_PAYLOAD_TIMES_CONCURRENCY}",
                )
            )
    count = _int(_get(params, "TransformResources", "InstanceCount"))
    if count is not None and count > MAX_INSTANCE_COUNT:
        out.append(
            constraint_message(
                count, "transformResources.instanceCount", f"Member must have value less than or equal to {MAX_INSTANCE_COUNT}"
            )
        )
    data_type = _get(params, "TransformInput", "DataSource", "S3DataSource", "S3DataType")
    all_types = enum_values("S3DataType")
    if isinstance(data_type, str) and data_type in all_types and data_type not in TRANSFORM_DATA_TYPES:
        allowed = ", ".join(t for t in all_types if t in TRANSFORM_DATA_TYPES)
        out.append(
            constraint_message(
                data_type,
                "transformInput.dataSource.s3DataSource.s3DataType",
                f"Member must satisfy enum value set: [{allowed}] (batch transform does not support {data_type})",
            )
        )
    return out


def _create_model(params: Mapping[str, Any]) -> list[str]:
    has_primary = params.get("PrimaryContainer") is not None
    has_containers = params.get("Containers") is not None
    if not has_primary and not has_containers:
        return [constraint_message(None, "primaryContainer", "Member must not be null when Containers is not given")]
    if has_primary and has_containers:
        return [
            constraint_message(
                None,
                "containers",
                "Member must be null when PrimaryContainer is given (a model has either PrimaryContainer or Containers)",
                sensitive=True,  # prints "Value at …": the list itself is not worth echoing
            )
        ]
    containers = params.get("Containers")
    if has_containers and isinstance(containers, list) and not containers:
        return [constraint_message(containers, "containers", "Member must have length greater than or equal to 1")]
    return []


_RULES: dict[str, Rule] = {
    "CreateTransformJob": _create_transform_job,
    "CreateModel": _create_model,
}
