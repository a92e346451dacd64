"""Input lint: things in the input a user should hear about before (or while) it runs.

The data plane stays faithful (a CSV header goes to the first mini-batch only; a quoted
newline splits a record); lint only *tells*. ``lint_input`` looks at the head of one
object (the plan reads the first MB or so), ``lint_job`` at the job's settings. Each
warning has a stable ``code``, a one-line ``message`` and a one-line ``fix``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emulator.data.errors import DataError, RecordTooLarge
from emulator.data.processing import CSV, JSONLINES, data_format
from emulator.data.reader import ChunkReader
from emulator.data.records import read_records

UTF8_BOM = b"\xef\xbb\xbf"
PAYLOAD_PRODUCT_LIMIT_MB = 100  # MaxConcurrentTransforms x MaxPayloadInMB must not exceed it
_HEADER_SAMPLE_LINES = 20
Warn = Callable[[str, str, str], None]


@dataclass(frozen=True)
class InputWarning:
    code: str
    source: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.message} Fix: {self.fix}"


def lint_input(head: bytes, *, source: str, split_type: str, content_type: str | None,
               max_payload_bytes: int | None, total_size: int | None) -> list[InputWarning]:
    """Warnings for one object, from its first bytes ``head`` (decompressed) and its size."""
    out: list[InputWarning] = []

    def warn(code: str, message: str, fix: str) -> None:
        out.append(InputWarning(code, source, message, fix))

    if total_size == 0 or (total_size is None and not head):
        warn("EmptyInput", "the object is empty; it yields no mini-batch and an empty output.",
             "remove it from the input prefix or manifest if it is there by mistake.")
        return out
    if split_type == "None":
        if max_payload_bytes is not None and total_size is not None and total_size > max_payload_bytes:
            warn("ObjectTooLarge",
                 f"the object is {total_size} bytes but SplitType None sends it whole and "
                 f"MaxPayloadInMB allows {max_payload_bytes} bytes; the file will fail.",
                 "set SplitType to Line/RecordIO/TFRecord, or raise MaxPayloadInMB.")
        return out
    fmt = data_format(content_type) or (CSV if source.lower().endswith(".csv") else None)
    if split_type == "Line":
        _lint_text(head, fmt, warn)
    if max_payload_bytes is not None:
        _lint_sizes(head, source, split_type, max_payload_bytes, total_size, warn)
    return out


def _lint_text(head: bytes, fmt: str | None, w: Warn) -> None:
    if head.startswith(UTF8_BOM):
        w("Utf8Bom", "the object starts with a UTF-8 byte-order mark; it is sent as part of "
                     "the first record and may break the container's parser.",
          "save the file as UTF-8 without BOM.")
    if b"\r\n" in head:
        w("CrLf", "lines end with \\r\\n; SplitType Line splits on \\n only, so every record "
                  "keeps a trailing \\r.",
          "convert the file to \\n line endings (dos2unix).")
    lines = head.removeprefix(UTF8_BOM).split(b"\n")
    if len(lines) > 1:
        lines.pop()  # the last piece may be cut by the end of the head (or empty)
    if fmt in (CSV, JSONLINES) and any(not line.strip(b"\r") for line in lines):
        w("BlankLines", "the object has blank lines; each is a record of its own and is sent "
                        "to the model as an empty line.",
          "remove blank lines from the file.")
    if fmt == CSV:
        if _has_header(lines):
            w("CsvHeader", "the first line looks like a CSV header (not numeric while the rows "
                           "below are); it is record 0 and goes to the model with the first "
                           "mini-batch only, as on SageMaker.",
              "remove the header row from the file, or make the model skip it.")
        if _quoted_newline(head):
            w("CsvQuotedNewline", "a quoted CSV cell contains a newline; SplitType Line splits "
                                  "there too, so that row reaches the model in two broken "
                                  "records, as on SageMaker.",
              "remove newlines from quoted cells (or replace them with spaces).")


def _is_number(cell: bytes) -> bool:
    try:
        float(cell.strip().strip(b'"'))
        return True
    except ValueError:
        return False


def _has_header(lines: list[bytes]) -> bool:
    rows = [line.rstrip(b"\r").split(b",") for line in lines[:_HEADER_SAMPLE_LINES] if line.strip()]
    if len(rows) < 2:
        return False
    first_numeric = all(_is_number(c) for c in rows[0])
    rest_numeric = all(_is_number(c) for row in rows[1:] for c in row if c.strip())
    return not first_numeric and rest_numeric


def _quoted_newline(head: bytes) -> bool:
    """Whether a newline falls inside a quoted cell (RFC 4180 quoting, "" is an escape)."""
    inside = False
    for line in head.split(b"\n")[:-1]:  # each of these lines is followed by a newline
        if inside:
            return True
        inside = (inside + line.count(b'"')) % 2 == 1
    return inside  # the newline after the last complete line is inside quotes


def _lint_sizes(head: bytes, source: str, split_type: str, limit: int, total_size: int | None,
                w: Warn) -> None:
    cut = total_size is None or len(head) < total_size  # the head is not the whole object
    try:
        for _ in read_records(ChunkReader([head]), split_type, source=source, limit=limit):
            pass
    except RecordTooLarge as err:
        # A Line record that runs into the end of the head may go on; framed sizes are exact.
        running_on = (split_type == "Line" and err.offset + err.size >= len(head)
                      and not head.endswith(b"\n"))
        at_least = "at least " if cut and running_on else ""
        w("RecordTooLarge",
          f"record {err.index} at byte offset {err.offset} is {at_least}{err.size} bytes, over "
          f"the {limit}-byte MaxPayloadInMB limit; the file will fail.",
          "raise MaxPayloadInMB, or split that record.")
    except DataError as err:
        if not cut:  # a record cut by the end of the head is expected; anything else is real
            w("BadFraming", err.message, f"check that the object is {split_type} data.")


def lint_job(*, max_concurrent_transforms: int | None, max_payload_in_mb: int | None) -> list[InputWarning]:
    """Warnings about the job's own settings."""
    if max_concurrent_transforms and max_payload_in_mb and \
            max_concurrent_transforms * max_payload_in_mb > PAYLOAD_PRODUCT_LIMIT_MB:
        return [InputWarning(
            "PayloadTimesConcurrency", "",
            f"MaxConcurrentTransforms x MaxPayloadInMB = {max_concurrent_transforms} x "
            f"{max_payload_in_mb} = {max_concurrent_transforms * max_payload_in_mb} MB, over "
            f"the {PAYLOAD_PRODUCT_LIMIT_MB} MB SageMaker allows; the service refuses this job.",
            "lower MaxConcurrentTransforms or MaxPayloadInMB so that their product is at most 100.")]
    return []
