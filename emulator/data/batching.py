"""Mini-batches: the request bodies one object is cut into (reference section 6.3).

- SingleRecord: one record a request; the body is the record's ``payload`` (see records.py).
- MultiRecord: as many whole records as fit in the limit, greedily, in order. The body is
  the records' bytes as they sit in the object, i.e. one contiguous slice of it: Line
  records joined by (and each keeping) their newline, TFRecord/RecordIO records framed.
  A batch never holds records of two objects: each call sees one object.
- SplitType None: the whole object is one mini-batch, whatever the BatchStrategy.
- A record larger than the limit fails the object with RecordTooLarge.
- ``max_payload_bytes=None`` (MaxPayloadInMB=0) means no limit: SplitType None and every
  MultiRecord object become one mini-batch (bte's choice; the engine streams the former).
- An empty object has no records and so no mini-batch.

Line + MultiRecord is the hot path: instead of splitting every record, it looks ``limit``
bytes ahead and cuts after the last newline there (``bytes.rfind``), so the cost per byte
is a copy and a newline count, both done in C.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from emulator.data.reader import ChunkReader
from emulator.data.records import LINE_SEPARATOR, SPLIT_TYPES, Record, read_records, raise_line_too_large

BATCH_STRATEGIES = ("MultiRecord", "SingleRecord")
MB = 2**20  # MaxPayloadInMB counts mebibytes (reference section 4; AWS's own code uses 2^20)


def max_payload_bytes(max_payload_in_mb: int | None) -> int | None:
    """The body limit in bytes for a MaxPayloadInMB value; 0 (or None) means no limit."""
    return max_payload_in_mb * MB if max_payload_in_mb else None


@dataclass(frozen=True, slots=True)
class MiniBatch:
    index: int  # 0-based position of the mini-batch within its object
    body: bytes  # exactly the bytes to POST to /invocations
    first_record: int  # index (0-based) of its first record within the object
    record_count: int
    start_offset: int  # byte offset in the (decompressed) object where it starts
    end_offset: int  # exclusive

    def describe(self, source: str = "") -> str:
        """Where this mini-batch is, for error messages."""
        where = f"{source}: " if source else ""
        return (f"{where}mini-batch {self.index} (records {self.first_record}.."
                f"{self.first_record + self.record_count - 1}, bytes {self.start_offset}.."
                f"{self.end_offset})")


def iter_minibatches(chunks: Iterable[bytes], *, split_type: str, batch_strategy: str,
                     max_payload_bytes: int | None, source: str = "") -> Iterator[MiniBatch]:
    """The mini-batches of one object, in order, streaming; see the module docstring."""
    if split_type not in SPLIT_TYPES:
        raise ValueError(f"SplitType must be one of {', '.join(SPLIT_TYPES)}, not {split_type!r}")
    if batch_strategy not in BATCH_STRATEGIES:
        raise ValueError(f"BatchStrategy must be one of {', '.join(BATCH_STRATEGIES)}, "
                         f"not {batch_strategy!r}")
    if max_payload_bytes is not None and max_payload_bytes <= 0:
        raise ValueError("max_payload_bytes must be positive, or None for no limit")
    reader = ChunkReader(chunks)
    limit = max_payload_bytes
    if split_type == "Line" and batch_strategy == "MultiRecord":
        return _line_multirecord(reader, limit, source)
    if split_type == "None" or batch_strategy == "SingleRecord":
        return _single(reader, split_type, limit, source)
    return _multirecord(reader, split_type, limit, source)


def _single(reader: ChunkReader, split_type: str, limit: int | None,
            source: str) -> Iterator[MiniBatch]:
    for rec in read_records(reader, split_type, source=source, limit=limit, limit_on_payload=True):
        yield MiniBatch(rec.index, rec.payload, rec.index, 1, rec.offset, rec.end_offset)


def _multirecord(reader: ChunkReader, split_type: str, limit: int | None,
                 source: str) -> Iterator[MiniBatch]:
    """Greedy batching for the framed split types: add records while the body fits."""
    held: list[Record] = []
    size = 0
    index = 0

    def flush() -> MiniBatch:
        body = held[0].data if len(held) == 1 else b"".join(r.data for r in held)
        return MiniBatch(index, body, held[0].index, len(held), held[0].offset, held[-1].end_offset)

    for rec in read_records(reader, split_type, source=source, limit=limit):
        if held and limit is not None and size + len(rec.data) > limit:
            yield flush()
            index += 1
            held, size = [], 0
        held.append(rec)
        size += len(rec.data)
    if held:
        yield flush()


def _line_multirecord(reader: ChunkReader, limit: int | None, source: str) -> Iterator[MiniBatch]:
    index = 0
    record = 0
    while True:
        if limit is None:
            reader.fill_all()
            size = reader.available
        elif reader.fill(limit + 1):
            # More than ``limit`` bytes remain: cut after the last newline within the limit.
            nl = reader.rfind(LINE_SEPARATOR, 0, limit)
            if nl < 0:
                raise_line_too_large(reader, source, record, limit)
            size = nl + 1
        else:
            size = reader.available  # the rest of the object fits
        if not size:
            return
        start = reader.offset
        body = reader.take(size)
        count = body.count(LINE_SEPARATOR) + (0 if body.endswith(LINE_SEPARATOR) else 1)
        yield MiniBatch(index, body, record, count, start, start + size)
        index += 1
        record += count
