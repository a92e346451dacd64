"""Checks a raw JSON response body against botocore's output shape: no unknown key, no
wrong type, no missing required member; error bodies carry exactly __type and message."""

from __future__ import annotations

import json
from typing import Any

import botocore.session

_SESSION = botocore.session.get_session()


def problems(service: str, operation: str, status: int, body: bytes) -> list[str]:
    data = json.loads(body) if body else {}
    if status != 200:
        if set(data) != {"__type", "message"} or not all(isinstance(v, str) for v in data.values()):
            return [f"{operation}: error body {data!r} is not {{'__type', 'message'}}"]
        return []
    shape = _SESSION.get_service_model(service).operation_model(operation).output_shape
    out: list[str] = []
    _check(shape, data, operation, out)
    return out


def _check(shape: Any, value: Any, path: str, out: list[str]) -> None:
    if shape is None:
        if value:
            out.append(f"{path}: the operation has no output, got {value!r}")
        return
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object, got {value!r}")
            return
        for key, item in value.items():
            if key not in shape.members:
                out.append(f"{path}.{key}: not a member of {shape.name}")
            else:
                _check(shape.members[key], item, f"{path}.{key}", out)
        out.extend(f"{path}.{key}: required, missing" for key in shape.required_members if key not in value)
    elif kind == "list":
        if not isinstance(value, list):
            out.append(f"{path}: expected a list, got {value!r}")
            return
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]", out)
    elif kind == "map":
        if not isinstance(value, dict):
            out.append(f"{path}: expected a map, got {value!r}")
            return
        for key, item in value.items():
            _check(shape.value, item, f"{path}.{key}", out)
    else:
        ok = {
            "string": lambda v: isinstance(v, str) and (not shape.enum or v in shape.enum),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "timestamp": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "blob": lambda v: isinstance(v, str),
        }[kind]
        if not ok(value):
            out.append(f"{path}: {value!r} is not a valid {kind} ({shape.name})")


class ShapeWatch:
    """Hooked on a boto3 client: checks every answer's raw body as it arrives."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.checked: list[str] = []
        self.problems: list[str] = []

    def __call__(self, http_response: Any, model: Any, **_: Any) -> None:
        self.checked.append(model.name)
        self.problems += problems(self.service, model.name, http_response.status_code, http_response.content)

    def attach(self, client: Any) -> Any:
        client.meta.events.register(f"after-call.{client.meta.service_model.endpoint_prefix}", self)
        return client
