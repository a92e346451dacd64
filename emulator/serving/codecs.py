"""The default ``input_fn`` and ``output_fn``: what a model gets when it defines only ``predict_fn``.

Decoding (request body -> the ``data`` given to ``predict_fn``), by Content-Type:

- ``text/csv``: a list of rows, one per non-empty line, each a list of cells; a cell that
  parses as a number becomes a ``float``, any other cell stays a ``str``.
- ``application/json``: the parsed JSON value.
- ``application/jsonlines`` (also ``application/x-jsonlines``, ``application/jsonl``): a
  list with one parsed value per non-empty line.

Encoding (prediction -> response body), by the Accept in use:

- ``text/csv``: one line per item of the prediction; an item that is a list/tuple becomes
  comma-separated cells, anything else one cell. A scalar prediction is one line.
- ``application/json``: ``json.dumps(prediction)``.
- ``application/jsonlines``: one JSON value per item of the prediction, one per line.

Lines are joined with ``\\n`` and the body has no trailing newline, so a SingleRecord
answer is exactly one record and AssembleWith=Line adds the only separator. Objects with
a ``tolist()`` method (numpy arrays) are converted first. Media-type parameters such as
``; charset=utf-8`` are ignored; bodies are UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

CSV = "text/csv"
JSON = "application/json"
JSONLINES = "application/jsonlines"
_JSONLINES_ALIASES = frozenset({JSONLINES, "application/x-jsonlines", "application/jsonl"})
SUPPORTED = (CSV, JSON, JSONLINES)


class UnsupportedContentType(Exception):
    """The request's Content-Type has no decoder; the shim answers 500, as the toolkit answers its UnsupportedFormatError."""


class NotAcceptable(Exception):
    """No media type in the Accept header has an encoder; the shim answers 500 (the toolkit's answer)."""


def media_type(header: str | None) -> str:
    """``'text/CSV; charset=utf-8'`` -> ``'text/csv'``; aliases of JSON Lines -> the canonical name."""
    if not header:
        return ""
    base = header.split(";", 1)[0].strip().lower()
    return JSONLINES if base in _JSONLINES_ALIASES else base


def default_input_fn(body: bytes | bytearray | str, content_type: str) -> Any:
    kind = media_type(content_type)
    if kind == CSV:
        return _decode_csv(body)
    if kind == JSON:
        return json.loads(body)
    if kind == JSONLINES:
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    raise UnsupportedContentType(
        f"Content-Type {content_type!r} is not supported by the default input_fn "
        f"(supported: {', '.join(SUPPORTED)}); define input_fn in inference.py to accept it"
    )


def default_output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    chosen = choose_accept(accept)
    prediction = _plain(prediction)
    if chosen == JSON:
        return json.dumps(prediction).encode(), JSON
    items = prediction if isinstance(prediction, (list, tuple)) else [prediction]
    if chosen == JSONLINES:
        return "\n".join(json.dumps(_plain(item)) for item in items).encode(), JSONLINES
    return _encode_csv(items), CSV


def choose_accept(accept: str) -> str:
    """The first media type of an Accept header (``a, b;q=0.5``) that has an encoder."""
    for part in accept.split(","):
        kind = media_type(part)
        if kind in SUPPORTED:
            return kind
    raise NotAcceptable(
        f"Accept {accept!r} has no encoder in the default output_fn "
        f"(supported: {', '.join(SUPPORTED)}); define output_fn in inference.py to produce it"
    )


def _decode_csv(body: bytes | bytearray | str) -> list[list[float | str]]:
    reader = csv.reader(io.StringIO(body if isinstance(body, str) else body.decode("utf-8")))
    return [[_cell(cell) for cell in row] for row in reader if row]


def _cell(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _encode_csv(items: list[Any] | tuple[Any, ...]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for item in items:
        item = _plain(item)
        writer.writerow(item if isinstance(item, (list, tuple)) else [item])
    return out.getvalue().removesuffix("\n").encode()


def _plain(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value
