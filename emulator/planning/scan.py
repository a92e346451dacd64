"""Scanning one input object: the mini-batches a run will send, predicted by the run's own code.

``scan_object`` is pure: storage hands it the object's bytes (an iterable of chunks, or a
``PositionalReader`` for a local file, exactly what the engine gets) and it drives
``data.iter_minibatches`` with the run's parameters, so the plan and the run cannot
disagree on a cut. It keeps figures, not bodies: memory stays at one mini-batch. On the
way it feeds every byte of a Line object to ``TextLint`` and, with an InputFilter, filters
every mini-batch as the engine would, so a record that fails the filter is found here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from emulator import data
from emulator.data.lint import InputWarning, empty_input, object_too_large, record_too_large, text_warnings
from emulator.data.text_lint import TextLint

FIRST_BYTES = 160  # how much of the first mini-batch the plan shows


@dataclass(frozen=True)
class BatchSpan:
    """One predicted mini-batch: where it sits in the (decompressed) object, and what is sent."""

    index: int
    start: int
    end: int  # exclusive
    records: int
    sent_bytes: int  # the body's length after InputFilter (the range's length without one)


@dataclass
class ObjectScan:
    """What one input object will do under one set of execution parameters."""

    size: int = 0  # bytes scanned (decompressed)
    records: int = 0
    batches: int = 0
    min_bytes: int = 0
    max_bytes: int = 0
    min_records: int = 0
    max_records: int = 0
    first_bytes: bytes = b""  # the first mini-batch's first bytes, as the container receives them
    first_record: bytes = b""  # the first record, before InputFilter
    complete: bool = True  # False when --sample stopped early or the scan hit a failure
    failure: str | None = None  # why the run will fail this file
    streamed: bool = False  # SplitType None with MaxPayloadInMB 0: one request, streamed
    spans: list[BatchSpan] | None = None
    warnings: list[InputWarning] = field(default_factory=list)

    def add(self, span: BatchSpan) -> None:
        first = self.batches == 0
        self.batches += 1
        self.records += span.records
        self.size = span.end
        self.min_bytes = span.sent_bytes if first else min(self.min_bytes, span.sent_bytes)
        self.max_bytes = max(self.max_bytes, span.sent_bytes)
        self.min_records = span.records if first else min(self.min_records, span.records)
        self.max_records = max(self.max_records, span.records)
        if self.spans is not None:
            self.spans.append(span)


def scan_object(
    chunks: Iterable[bytes] | data.PositionalReader,
    *,
    source: str,
    split_type: str,
    batch_strategy: str,
    max_payload_bytes: int | None,
    text_format: str | None,
    processing: data.DataProcessing | None = None,
    sample_batches: int | None = None,
    keep_spans: bool = False,
    on_progress: Callable[[int], None] = lambda offset: None,
) -> ObjectScan:
    """Predict one object's mini-batches. ``on_progress`` gets the decompressed offset
    reached after each mini-batch."""
    scan = ObjectScan(spans=[] if keep_spans else None)
    if split_type == "None" and max_payload_bytes is None and (processing is None or processing.is_identity):
        _streamed(scan, chunks, on_progress)
        if not scan.batches:
            scan.warnings.append(empty_input(source))
        return scan
    lint = TextLint(text_format) if split_type == "Line" else None
    filtering = processing is not None and not processing.input_filter.is_root
    batches: Iterator[data.MiniBatch] = data.iter_minibatches(
        chunks, split_type=split_type, batch_strategy=batch_strategy,
        max_payload_bytes=max_payload_bytes, source=source)
    try:
        for batch in batches:
            if sample_batches is not None and scan.batches >= sample_batches:
                scan.complete = False
                break
            body = processing.filter_input(batch, source) if processing and filtering else batch.body
            if scan.batches == 0:
                scan.first_bytes = body[:FIRST_BYTES]
                scan.first_record = _first_record(batch.body, split_type)
            if lint:
                lint.feed(batch.body)
            scan.add(BatchSpan(batch.index, batch.start_offset, batch.end_offset, batch.record_count, len(body)))
            on_progress(batch.end_offset)
    except data.RecordTooLarge as err:
        scan.complete = False
        scan.failure = str(err)
        scan.warnings.append(_too_large(err, split_type))
    except data.DataProcessingError as err:
        scan.complete = False
        scan.failure = str(err)
        scan.warnings.append(InputWarning(
            "InputFilterFails", source, f"InputFilter cannot apply: {err.message}; the file will fail.",
            "change TransformInput's DataProcessing.InputFilter to a path every record has, or fix the input."))
    except data.DataError as err:
        scan.complete = False
        scan.failure = str(err)
        scan.warnings.append(InputWarning("BadFraming", source, err.message,
                                          f"check that the object is {split_type} data."))
    finally:
        close = getattr(batches, "close", None)
        if close:
            close()
    if scan.batches == 0 and scan.complete:
        scan.warnings.insert(0, empty_input(source))
    if lint:
        scan.warnings[:0] = text_warnings(lint.codes(complete=scan.complete), source)
    return scan


def _streamed(scan: ObjectScan, chunks: Iterable[bytes] | data.PositionalReader,
              on_progress: Callable[[int], None]) -> None:
    """One request with the whole object; only its size is needed."""
    scan.streamed = True
    if isinstance(chunks, data.PositionalReader):
        size = chunks.size
        scan.first_bytes = chunks.read_at(0, FIRST_BYTES)
    else:
        size = 0
        for chunk in chunks:
            if size < FIRST_BYTES:
                scan.first_bytes += chunk[: FIRST_BYTES - size]
            size += len(chunk)
            on_progress(size)
    if size:
        scan.add(BatchSpan(0, 0, size, 1, size))
    on_progress(size)


def _first_record(body: bytes, split_type: str) -> bytes:
    if split_type == "Line":
        cut = body.find(b"\n")
        return body if cut < 0 else body[: cut + 1]
    return body[:FIRST_BYTES]


def _too_large(err: data.RecordTooLarge, split_type: str) -> InputWarning:
    return object_too_large(err.source, err.size, err.limit) if split_type == "None" else record_too_large(err)
