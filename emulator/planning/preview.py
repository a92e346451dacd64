"""DataProcessing, shown on the first record: before and after InputFilter, and the line
the output gets for a sample answer after JoinSource and OutputFilter. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from emulator import data
from emulator.data.processing import CSV

CSV_ANSWER, JSON_ANSWER = b"0.5", b'{"score":0.5}'  # plausible answers unless --sample-answer gives one


@dataclass(frozen=True)
class ProcessingPreview:
    record: bytes  # the first record, as stored
    filtered: bytes | None  # what the model receives for it (None when the filter fails)
    answer: bytes  # the sample answer the output line is built from
    output: bytes | None  # what the record contributes to the .out (None when it fails)
    problem: str | None = None  # why a step failed on this record


def preview_processing(processing: data.DataProcessing, record: bytes, split_type: str,
                       answer: bytes | None = None) -> ProcessingPreview:
    newline = b"\n" if record.endswith(b"\n") else b""
    answer = (answer if answer is not None else _default_answer(processing)).rstrip(b"\n") + newline
    batch = data.MiniBatch(0, record, 0, 1, 0, len(record))
    try:
        filtered = processing.filter_input(batch, "first record")
    except data.DataError as err:
        return ProcessingPreview(record, None, answer, None, f"InputFilter: {err}")
    try:
        output = processing.finish_output(batch, answer, "first record")
    except data.DataError as err:
        return ProcessingPreview(record, filtered, answer, None, f"with this answer, {err}")
    return ProcessingPreview(record, filtered, answer, output)


def _default_answer(processing: data.DataProcessing) -> bytes:
    return CSV_ANSWER if processing.out_format in (CSV, None) else JSON_ANSWER
