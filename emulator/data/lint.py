"""Input lint: things in the input a user should hear about before (or while) it runs.

The data plane stays faithful (a CSV header goes to the first mini-batch only; a quoted
newline splits a record); lint only *tells*. ``lint_input`` looks at the head of one
object (the plan reads the first MB or so), ``lint_job`` at the job's settings. Each
warning has a stable ``code``, a one-line ``message`` and a one-line ``fix``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

from emulator.data.errors import DataError, RecordTooLarge
from emulator.data.processing import CSV, data_format
from emulator.data.reader import ChunkReader
from emulator.data.records import read_records
from emulator.data.text_lint import GZIP_MAGIC, lint_text

PAYLOAD_PRODUCT_LIMIT_MB = 100  # MaxConcurrentTransforms x MaxPayloadInMB must not exceed it
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
    """Warnings for one object, from its first bytes ``head`` (decompressed) and its size.
    The plan's scan (emulator/planning) gives the same warnings over the whole object."""
    out: list[InputWarning] = []

    def warn(code: str, message: str, fix: str) -> None:
        out.append(InputWarning(code, source, message, fix))

    if total_size == 0 or (total_size is None and not head):
        out.append(empty_input(source))
        return out
    if split_type == "None":
        if max_payload_bytes is not None and total_size is not None and total_size > max_payload_bytes:
            out.append(object_too_large(source, total_size, max_payload_bytes))
        return out
    if split_type == "Line":
        complete = total_size is not None and len(head) >= total_size
        out += text_warnings(lint_text(head, text_format(content_type, source), complete=complete), source)
    if max_payload_bytes is not None:
        _lint_sizes(head, source, split_type, max_payload_bytes, total_size, warn)
    return out


def lint_head(raw_head: bytes, *, compression_type: str, source: str, split_type: str,
              content_type: str | None, max_payload_bytes: int | None, stored_size: int) -> list[InputWarning]:
    """``lint_input`` on an object's first stored bytes, decompressing them first for
    CompressionType Gzip; a mismatch between the bytes and CompressionType is a warning
    of its own, and no text check runs on bytes that are still compressed."""
    found = lint_compression(raw_head, compression_type, source)
    if found and compression_type == "Gzip":
        return found  # not gzip: the file fails before any record is read
    head, total = raw_head, stored_size  # type: tuple[bytes, int | None]
    if compression_type == "Gzip" and raw_head:
        head, total = _gunzip_head(raw_head), None
    return found + lint_input(head, source=source, split_type=split_type, content_type=content_type,
                              max_payload_bytes=max_payload_bytes, total_size=total)


def _gunzip_head(raw: bytes) -> bytes:
    """As much of a gzip stream's start as ``raw`` decompresses to (bounded)."""
    try:
        return zlib.decompressobj(wbits=31).decompress(raw, 4 * len(raw) + (1 << 16))
    except zlib.error:
        return b""


def text_format(content_type: str | None, source: str) -> str | None:
    """The format text checks assume: the ContentType's, else CSV for a ``.csv`` name."""
    return data_format(content_type) or (CSV if source.lower().endswith(".csv") else None)


def object_too_large(source: str, size: int, limit: int) -> InputWarning:
    return InputWarning("ObjectTooLarge", source,
                        f"the object is {size} bytes but SplitType None sends it whole and "
                        f"MaxPayloadInMB allows {limit} bytes; the file will fail.",
                        "set SplitType to Line/RecordIO/TFRecord, or raise MaxPayloadInMB.")


def empty_input(source: str) -> InputWarning:
    return InputWarning("EmptyInput", source,
                        "the object is empty; it yields no mini-batch and an empty output.",
                        "remove it from the input prefix or manifest if it is there by mistake.")


TEXT_WARNINGS = {
    "Utf8Bom": ("the object starts with a UTF-8 byte-order mark; it is sent as part of "
                "the first record and may break the container's parser.",
                "save the file as UTF-8 without BOM."),
    "CrLf": ("lines end with \\r\\n; SplitType Line splits on \\n only, so every record "
             "keeps a trailing \\r.",
             "convert the file to \\n line endings (dos2unix)."),
    "BlankLines": ("the object has blank lines; each is a record of its own and is sent "
                   "to the model as an empty line.",
                   "remove blank lines from the file."),
    "CsvHeader": ("the first line looks like a CSV header (csv.Sniffer: its cells differ in type "
                  "or length from the rows below); it is record 0 and goes to the model with the "
                  "first mini-batch only, as on SageMaker.",
                  "remove the header row from the file (or split it with `bte split FILE --parts N`, "
                  "which repeats the header in every part), or make the model skip it."),
    "CsvQuotedNewline": ("a quoted CSV cell contains a newline; SplitType Line splits "
                         "there too, so that row reaches the model in two broken "
                         "records, as on SageMaker.",
                         "remove newlines from quoted cells (or replace them with spaces)."),
}


def text_warnings(codes: list[str], source: str) -> list[InputWarning]:
    return [InputWarning(code, source, *TEXT_WARNINGS[code]) for code in codes]


def lint_compression(raw_head: bytes, compression_type: str, source: str) -> list[InputWarning]:
    """Whether the stored bytes agree with CompressionType (gzip's magic number, 1f 8b)."""
    if not raw_head:
        return []
    gzip = raw_head.startswith(GZIP_MAGIC)
    if compression_type == "None" and gzip:
        return [InputWarning(
            "GzipDeclaredNone", source,
            "the object is gzip-compressed but CompressionType is None: the model receives "
            "compressed bytes, split on whatever newline bytes they happen to hold.",
            'set TransformInput.CompressionType to "Gzip", or upload the object uncompressed.')]
    if compression_type == "Gzip" and not gzip:
        return [InputWarning(
            "NotGzip", source,
            "CompressionType is Gzip but the object is not gzip (it does not start with 1f 8b); "
            "the file will fail.",
            'set TransformInput.CompressionType to "None", or upload the object gzip-compressed.')]
    return []


def record_too_large(err: RecordTooLarge, *, at_least: bool = False) -> InputWarning:
    return InputWarning(
        "RecordTooLarge", err.source,
        f"record {err.index} at byte offset {err.offset} is {'at least ' if at_least else ''}{err.size} "
        f"bytes, over the {err.limit}-byte MaxPayloadInMB limit; the file will fail.",
        "raise MaxPayloadInMB, or split that record.")


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
        found = record_too_large(err, at_least=cut and running_on)
        w(found.code, found.message, found.fix)
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
