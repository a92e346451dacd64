"""Check a request against the service model and answer the way the service does.

Every constraint in botocore's SageMaker model is checked (required members, types,
enums, lengths, value ranges, full-match patterns), plus the cross-field rules of
:mod:`emulator.spec.rules`. All violations are collected and raised together as one
:class:`RequestValidationError`, whose text is the service's::

    2 validation errors detected: Value 'x_y' at 'transformJobName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62};
    Value null at 'transformOutput.s3OutputPath' failed to satisfy constraint: Member must not be null

Paths and renderings (documented in docs/validation.md):

* members: lowerCamelCase names joined with ``.`` (``transformInput.splitType``);
* list items: ``tags.2.member.key`` (1-based, AWS's Coral form);
* map entries: a bad key is reported at the map (``Value 'bad-key' at 'environment' ...
  Map keys must satisfy constraint: [...]``), a bad value at ``environment.<key>``
  (``Map value must satisfy constraint: [...]``);
* values print as Java would: ``null`` unquoted, maps ``{K=V}``, lists ``[a, b]``; a
  member the model marks sensitive prints as ``Value at '<path>'`` without the value.

bte's own additions, in the same style: type errors (``Member must be of type integer,
not string``), unknown members (the service ignores them, boto3 refuses them before
sending; bte refuses them by default, naming the valid members), and local paths or
``file://`` URIs in S3Uri, S3OutputPath and ModelDataUrl when ``allow_local_uris``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.spec.errors import RequestValidationError
from emulator.spec.messages import camel, constraint_message, join_path, type_error, unknown_member
from emulator.spec.model import input_shape
from emulator.spec.patterns import display_pattern, full_match
from emulator.spec.rules import rule_violations

if TYPE_CHECKING:
    from botocore.model import MapShape, Shape, StructureShape

# (structure shape, member) whose value may be a local path or file:// URI on bte's own path.
LOCAL_URI_MEMBERS = frozenset(
    {("TransformS3DataSource", "S3Uri"), ("TransformOutput", "S3OutputPath"), ("ContainerDefinition", "ModelDataUrl")}
)
LOCAL_URI_HINT = " or be a local path or file:// URI"
_URI_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]+:")
_JAVA_BOUNDS: dict[str, tuple[int, int]] = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_SCALAR_TYPES = {"string", "integer", "long", "float", "double", "boolean", "timestamp", "blob"}


@dataclass(frozen=True)
class _Options:
    allow_local_uris: bool
    allow_unknown_members: bool
    request_label: str


def validate(
    operation: str, params: object, *, allow_local_uris: bool = False, allow_unknown_members: bool = False
) -> None:
    """Raise :class:`RequestValidationError` listing every violation in ``params``; else return."""
    messages = find_violations(
        operation, params, allow_local_uris=allow_local_uris, allow_unknown_members=allow_unknown_members
    )
    if messages:
        raise RequestValidationError(messages)


def find_violations(
    operation: str, params: object, *, allow_local_uris: bool = False, allow_unknown_members: bool = False
) -> list[str]:
    """Every violation message for ``params`` as a request of ``operation``, in model order."""
    shape = input_shape(operation)
    options = _Options(allow_local_uris, allow_unknown_members, f"the {operation} request")
    out: list[str] = []
    if shape is None:
        if isinstance(params, Mapping) and params and not allow_unknown_members:
            out.extend(unknown_member(str(key), "", (), options.request_label) for key in params)
        return out
    _check_structure(shape, params, "", out, options)
    if isinstance(params, Mapping):
        out.extend(rule_violations(operation, params))
    return out


def is_local_uri(value: str) -> bool:
    """bte's extension: a ``file://`` URI or a plain (absolute or relative) path, not empty."""
    if value.startswith("file://"):
        return len(value) > len("file://")
    return bool(value) and _URI_SCHEME_RE.match(value) is None


def _check(shape: Shape, value: object, path: str, out: list[str], options: _Options, local_uri_ok: bool) -> None:
    kind = shape.type_name
    if kind == "structure":
        _check_structure(shape, value, path, out, options)
    elif kind == "list":
        _check_list(shape, value, path, out, options)
    elif kind == "map":
        _check_map(shape, value, path, out, options)
    else:
        sensitive = bool(shape.metadata.get("sensitive"))
        for constraint in scalar_constraints(shape, value, local_uri_ok=local_uri_ok):
            out.append(constraint_message(value, path, constraint, sensitive=sensitive))


def _check_structure(shape: StructureShape, value: object, path: str, out: list[str], options: _Options) -> None:
    if not isinstance(value, Mapping):
        out.append(constraint_message(value, path or "request", type_error("structure", value)))
        return
    for name, member in shape.members.items():
        child_path = join_path(path, camel(name))
        child = value.get(name)
        if child is None:  # JSON null counts as absent, as on the service
            if name in shape.required_members:
                out.append(constraint_message(None, child_path, "Member must not be null"))
            continue
        local_uri_ok = options.allow_local_uris and (shape.name, name) in LOCAL_URI_MEMBERS
        _check(member, child, child_path, out, options, local_uri_ok)
    if not options.allow_unknown_members:
        known = tuple(shape.members)
        out.extend(unknown_member(str(key), path, known, options.request_label) for key in value if key not in shape.members)


def _check_list(shape: Shape, value: object, path: str, out: list[str], options: _Options) -> None:
    if not isinstance(value, (list, tuple)):
        out.append(constraint_message(value, path, type_error("list", value)))
        return
    out.extend(constraint_message(value, path, c) for c in _length_constraints(shape, len(value)))
    item_shape = shape.member
    for index, item in enumerate(value, start=1):
        item_path = f"{path}.{index}.member"
        if item is None:
            out.append(constraint_message(None, item_path, "Member must not be null"))
        else:
            _check(item_shape, item, item_path, out, options, False)


def _check_map(shape: MapShape, value: object, path: str, out: list[str], options: _Options) -> None:
    if not isinstance(value, Mapping):
        out.append(constraint_message(value, path, type_error("map", value)))
        return
    out.extend(constraint_message(value, path, c) for c in _length_constraints(shape, len(value)))
    for key, item in value.items():
        key_rules = scalar_constraints(shape.key, key)
        if key_rules:
            out.append(constraint_message(key, path, "Map keys must satisfy constraint: [" + ", ".join(key_rules) + "]"))
        item_path = f"{path}.{key}"
        if item is None:
            out.append(constraint_message(None, item_path, "Map value must satisfy constraint: [Member must not be null]"))
        elif shape.value.type_name in _SCALAR_TYPES:
            value_rules = scalar_constraints(shape.value, item)
            if value_rules:
                text = "Map value must satisfy constraint: [" + ", ".join(value_rules) + "]"
                out.append(constraint_message(item, item_path, text, sensitive=bool(shape.value.metadata.get("sensitive"))))
        else:
            _check(shape.value, item, item_path, out, options, False)


def scalar_constraints(shape: Shape, value: object, *, local_uri_ok: bool = False) -> list[str]:
    """The constraint texts a scalar ``value`` breaks (empty when it is valid)."""
    kind = shape.type_name
    wrong_type = _scalar_type_error(kind, value)
    if wrong_type:
        return [wrong_type]
    meta = shape.metadata
    broken: list[str] = []
    if kind == "string":
        assert isinstance(value, str)
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            broken.append("Member must satisfy enum value set: [" + ", ".join(enum) + "]")
        broken.extend(_length_constraints(shape, len(value)))
        pattern = meta.get("pattern")
        if pattern and not full_match(pattern, value) and not (local_uri_ok and is_local_uri(value)):
            hint = LOCAL_URI_HINT if local_uri_ok else ""
            broken.append(f"Member must satisfy regular expression pattern: {display_pattern(pattern)}{hint}")
    elif kind in ("integer", "long", "float", "double"):
        assert isinstance(value, (int, float))
        # The service reads integer/long members into Java int/long: their bounds apply too.
        low, high = _JAVA_BOUNDS.get(kind, (None, None))
        low = meta.get("min", low)
        high = meta.get("max", high)
        if low is not None and value < low:
            broken.append(f"Member must have value greater than or equal to {low}")
        if high is not None and value > high:
            broken.append(f"Member must have value less than or equal to {high}")
    elif kind == "blob":
        assert isinstance(value, (str, bytes, bytearray))
        broken.extend(_length_constraints(shape, len(value)))
    return broken


def _length_constraints(shape: Shape, length: int) -> list[str]:
    meta = shape.metadata
    broken: list[str] = []
    if "min" in meta and length < meta["min"]:
        broken.append(f"Member must have length greater than or equal to {meta['min']}")
    if "max" in meta and length > meta["max"]:
        broken.append(f"Member must have length less than or equal to {meta['max']}")
    return broken


def _scalar_type_error(kind: str, value: object) -> str | None:
    ok: bool
    if kind == "string":
        ok = isinstance(value, str)
    elif kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind in ("float", "double"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "timestamp":
        ok = _is_timestamp(value)
    elif kind == "blob":
        ok = isinstance(value, (str, bytes, bytearray))
    else:
        ok = True
    return None if ok else type_error(kind, value)


def _is_timestamp(value: object) -> bool:
    if isinstance(value, dt.datetime):
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    if isinstance(value, str):
        try:
            float(value)
            return True
        except ValueError:
            pass
        try:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return True
        except ValueError:
            return False
    return False


