"""The JSONPath subset DataProcessing accepts (reference section 6.6; AWS developer guide
"Associate prediction results with input records").

Supported: ``$``; ``.name``; ``*`` (``.*`` or ``[*]``); ``['a','b']`` (also written
``.['a','b']``; no dotted names inside the brackets); ``[i]`` and ``[i,j,k]`` with negative
indexes (``-1`` is the last); one slice ``[start:end]`` with either end optional.

Results: ``.name``, ``[i]`` give the element itself; ``['a','b']`` gives an object with
those keys; ``[i,j]``, a slice and ``*`` give a list, and the segments after them apply to
each element of that list (JsonPath's "indefinite path").

Slice end: the developer guide says ``$[1:4]`` selects "the second through fifth columns"
(end inclusive) while the JsonPath library it links excludes the end. bte follows the
guide, the service's own word: ``SLICE_END_INCLUSIVE``. An index outside the record is an
error (JsonPathIndexOutOfRange); a slice is clipped to the record, as in JsonPath.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulator.data.errors import JsonPathIndexOutOfRange, JsonPathNoMatch, UnsupportedJsonPath

SLICE_END_INCLUSIVE = True  # see the module docstring; the one place this choice lives


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Names:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Indexes:
    indexes: tuple[int, ...]


@dataclass(frozen=True)
class Slice:
    start: int | None
    end: int | None


@dataclass(frozen=True)
class Wildcard:
    pass


Segment = Name | Names | Index | Indexes | Slice | Wildcard
_SPREADING = (Indexes, Slice, Wildcard)
_INT = re.compile(r"-?\d+")
_NAME = re.compile(r"[^.\[\]'\"\s*]+")


def _invalid(path: str, detail: str) -> UnsupportedJsonPath:
    return UnsupportedJsonPath(f"Invalid JsonPath: {path}: {detail}")


@dataclass(frozen=True)
class JsonPath:
    text: str
    segments: tuple[Segment, ...]

    @property
    def is_root(self) -> bool:
        return not self.segments

    def select(self, value: Any) -> Any:
        """Apply the path to a parsed record."""
        current, spread = value, False
        for seg in self.segments:
            if spread:
                items = [_apply(self.text, seg, item) for item in current]
                current = [x for group in items for x in group] if isinstance(seg, _SPREADING) else items
            else:
                current = _apply(self.text, seg, current)
                spread = isinstance(seg, _SPREADING)
        return current


def parse_json_path(text: str) -> JsonPath:
    """Parse ``text``; raises UnsupportedJsonPath (the service's wording where known)."""
    path = text.strip()
    if not path.startswith("$"):
        raise _invalid(text, "a path must start with $ (for example $, $[1:] or $.features)")
    i = 1
    segments: list[Segment] = []
    while i < len(path):
        if path.startswith("..", i):
            raise _invalid(text, "deep scan (..) is not supported")
        if path[i] == "." and i + 1 < len(path) and path[i + 1] == "[":
            i += 1  # `.['a','b']` is the guide's spelling of `['a','b']`
        if path[i] == ".":
            if path.startswith("*", i + 1):
                segments.append(Wildcard())
                i += 2
                continue
            m = _NAME.match(path, i + 1)
            if not m:
                raise _invalid(text, f"expected a field name after '.' at position {i}")
            segments.append(Name(m.group()))
            i = m.end()
        elif path[i] == "[":
            close = _closing_bracket(path, i)
            if close < 0:
                raise _invalid(text, f"'[' at position {i} is not closed")
            segments.append(_bracket(text, path[i + 1:close]))
            i = close + 1
        else:
            raise _invalid(text, f"unexpected {path[i]!r} at position {i}")
    return JsonPath(text, tuple(segments))


def _closing_bracket(path: str, start: int) -> int:
    quote = ""
    for j in range(start + 1, len(path)):
        c = path[j]
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "]":
            return j
    return -1


def _bracket(text: str, inner: str) -> Segment:
    body = inner.strip()
    if body == "*":
        return Wildcard()
    items = [p.strip() for p in _split_commas(body)]
    if any(":" in p for p in items):
        if len(items) > 1:
            raise UnsupportedJsonPath(
                f"Invalid JsonPath: {text}: only single range filters of format (eg: [1:5]) "
                f"are supported. Format [{inner}] is not supported")
        parts = items[0].split(":")
        if len(parts) != 2 or any(p.strip() and not _INT.fullmatch(p.strip()) for p in parts):
            raise _invalid(text, f"[{inner}] is not a slice of the form [start:end] (no step)")
        start, end = (int(p) if p.strip() else None for p in parts)
        return Slice(start, end)
    if all(_INT.fullmatch(p) for p in items):
        ints = tuple(int(p) for p in items)
        return Index(ints[0]) if len(ints) == 1 else Indexes(ints)
    names = []
    for p in items:
        if len(p) >= 2 and p[0] == p[-1] and p[0] in "'\"":
            name = p[1:-1]
            if "." in name or "[" in name:
                raise _invalid(text, f"nested paths inside brackets ({p}) are not supported; "
                                     f"select the parent field instead")
            names.append(name)
        else:
            raise _invalid(text, f"[{inner}] must hold indexes, one slice, '*' or quoted names")
    return Name(names[0]) if len(names) == 1 else Names(tuple(names))


def _split_commas(body: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    quote = ""
    for c in body:
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == ",":
            out.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    out.append("".join(cur))
    return out


def _apply(path: str, seg: Segment, value: Any) -> Any:
    if isinstance(seg, Name | Names):
        if not isinstance(value, dict):
            raise JsonPathNoMatch(f"Invalid JsonPath: {path}: field selection applied to a "
                                  f"{_kind(value)}, not an object")
        keys = (seg.name,) if isinstance(seg, Name) else seg.names
        missing = [k for k in keys if k not in value]
        if missing:
            raise JsonPathNoMatch(f"Invalid JsonPath: {path}: the record has no field "
                                  f"{', '.join(map(repr, missing))} (it has "
                                  f"{', '.join(map(repr, list(value)[:10])) or 'none'})")
        return value[seg.name] if isinstance(seg, Name) else {k: value[k] for k in keys}
    if isinstance(seg, Wildcard):
        if isinstance(value, dict):
            return list(value.values())
        if isinstance(value, list):
            return list(value)
        raise JsonPathNoMatch(f"Invalid JsonPath: {path}: '*' applied to {_kind(value)}")
    if not isinstance(value, list):
        raise JsonPathNoMatch(f"Invalid JsonPath: {path}: an index applied to {_kind(value)}, "
                              f"not an array")
    if isinstance(seg, Slice):
        return value[slice(seg.start, _slice_stop(seg.end))]
    indexes = (seg.index,) if isinstance(seg, Index) else seg.indexes
    for i in indexes:
        if not -len(value) <= i < len(value):
            raise JsonPathIndexOutOfRange(
                f"Invalid JsonPath: {path}: index {i} is out of range for a record of "
                f"{len(value)} element(s). Fix the filter, or the records that are shorter.")
    return value[seg.index] if isinstance(seg, Index) else [value[i] for i in indexes]


def _slice_stop(end: int | None) -> int | None:
    if end is None or not SLICE_END_INCLUSIVE:
        return end
    return None if end == -1 else end + 1


def _kind(value: Any) -> str:
    """The JSON kind of ``value`` with its article, for messages."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")
