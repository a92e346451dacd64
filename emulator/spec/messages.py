"""The words of validation messages, in the service's ``Value … at … failed to satisfy constraint`` form.

Renderings follow the service's Java code: ``null`` unquoted, maps ``{K=V}``, lists
``[a, b]``, booleans ``true``/``false``; a member the model marks sensitive prints as
``Value at '<path>'`` without its value. Type errors and unknown members are bte's own
texts (the service answers malformed JSON differently, and ignores unknown members);
docs/validation.md lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping


def constraint_message(value: object, path: str, constraint: str, *, sensitive: bool = False) -> str:
    """One violation in the service's words: ``Value '<v>' at '<path>' failed to satisfy constraint: …``."""
    if sensitive:
        shown = "Value"
    elif value is None:
        shown = "Value null"
    else:
        shown = f"Value '{render_value(value)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def render_value(value: object) -> str:
    """A value as the service's Java code prints it (``{K=V}``, ``[a, b]``, ``true``, ``null``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}={render_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def camel(name: str) -> str:
    """The path spelling of a member name: ``MaxPayloadInMB`` -> ``maxPayloadInMB``."""
    return name[:1].lower() + name[1:]


def join_path(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


_TYPE_WORDS = {
    "structure": "structure (a JSON object)",
    "map": "map (a JSON object)",
    "list": "list (a JSON array)",
    "timestamp": "timestamp (a datetime, epoch seconds or ISO 8601 text)",
}


def json_type(value: object) -> str:
    """The JSON word for a Python value's type (for type-error messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def type_error(kind: str, value: object) -> str:
    """``Member must be of type integer, not string`` (bte's wording)."""
    return f"Member must be of type {_TYPE_WORDS.get(kind, kind)}, not {json_type(value)}"


def unknown_member(key: str, path: str, known: tuple[str, ...], request_label: str) -> str:
    """``Unknown member 'SplitTyp' at 'transformInput': valid members are [...]; did you mean 'SplitType'?``"""
    where = f"at '{path}'" if path else f"in {request_label}"
    valid = "valid members are [" + ", ".join(known) + "]" if known else "it takes no members"
    text = f"Unknown member '{key}' {where}: {valid}"
    by_lower = {name.lower(): name for name in known}
    import difflib  # only for an unknown member's message

    guess = by_lower.get(key.lower()) or next(iter(difflib.get_close_matches(key, known, n=1, cutoff=0.6)), None)
    return text + (f"; did you mean '{guess}'?" if guess else "")
