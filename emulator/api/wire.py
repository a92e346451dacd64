"""AWS JSON 1.1 as botocore speaks it: errors, and results shaped by botocore's output shapes.

Errors go out as ``{"__type": <code>, "message": <text>}`` with the service's HTTP status;
botocore raises ``ClientError`` with that code and text (and the modeled exception class,
``client.exceptions.ResourceInUse``, where the code names a modeled shape). Results are
walked along the operation's output shape: members that are None are dropped and
timestamps become epoch seconds, the form the JSON protocol uses.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Any

from emulator.spec.errors import ServiceError

if TYPE_CHECKING:
    from botocore.model import Shape

CONTENT_TYPE = "application/x-amz-json-1.1"


class AwsError(Exception):
    """An error answer: ``code`` goes to ``__type``, ``message`` to ``message``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    @classmethod
    def from_service_error(cls, err: ServiceError) -> AwsError:
        return cls(err.code, err.message, err.http_status)


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def request_id() -> str:
    return str(uuid.uuid4())


def error_body(err: AwsError) -> bytes:
    return json.dumps({"__type": err.code, "message": err.message}).encode()


def parse_body(body: bytes) -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}`` as botocore sends for no input."""
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except ValueError as exc:
        raise AwsError("SerializationException", f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(params, dict):
        raise AwsError("SerializationException", "The request body must be a JSON object")
    return params


def serialize(shape: Shape | None, value: Any) -> Any:
    """``value`` as the JSON protocol sends it for ``shape`` (None members dropped)."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        return {
            key: serialize(members.get(key), item)
            for key, item in value.items()
            if item is not None
        }
    if kind == "list":
        return [serialize(shape.member, item) for item in value]
    if kind == "map":
        return {key: serialize(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return epoch(value)
    return value


def epoch(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return round(value.timestamp(), 3)
    return round(float(value), 3)


def timestamp_param(value: Any) -> float:
    """A timestamp member of a request (epoch number, or an ISO 8601 string) as epoch seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    raise validation(f"Value '{value}' is not a timestamp")
