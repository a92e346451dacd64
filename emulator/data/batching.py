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
bytes ahead and cuts after the last newline there (``rfind``), so no Python code runs per
record. From an object that can be read at any offset (a local file, see
``PositionalReader``) the cut is found by reading only a small window before the limit,
and then the body is read in one call: every input byte is copied once, as by a plain
read. From plain chunks the body is joined from them: one copy more.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import Protocol, runtime_checkable

from emulator.data.errors import DataError, RecordTooLarge
from emulator.data.reader import ChunkReader
from emulator.data.records import LINE_SEPARATOR, SPLIT_TYPES, Record, read_records, raise_line_too_large

BATCH_STRATEGIES = ("MultiRecord", "SingleRecord")
UNCOUNTED = -1  # first_record / record_count when iter_minibatches(count_records=False)
MB = 2**20  # MaxPayloadInMB counts mebibytes (reference section 4; AWS's own code uses 2^20)


def max_payload_bytes(max_payload_in_mb: int | None) -> int | None:
    """The body limit in bytes for a MaxPayloadInMB value; 0 (or None) means no limit."""
    return max_payload_in_mb * MB if max_payload_in_mb else None


@runtime_checkable
class PositionalReader(Protocol):
    """An object whose bytes can be read at any offset, such as storage's reader of a
    local file. ``read_at`` returns ``n`` bytes, fewer only where the object ends."""

    @property
    def size(self) -> int: ...

    def read_at(self, offset: int, n: int, /) -> bytes: ...


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
        records = ("" if self.record_count == UNCOUNTED else
                   f"records {self.first_record}..{self.first_record + self.record_count - 1}, ")
        return f"{where}mini-batch {self.index} ({records}bytes {self.start_offset}..{self.end_offset})"


def iter_minibatches(chunks: Iterable[bytes] | PositionalReader, *, split_type: str, batch_strategy: str,
                     max_payload_bytes: int | None, source: str = "",
                     count_records: bool = True) -> Iterator[MiniBatch]:
    """The mini-batches of one object, in order, streaming; see the module docstring.

    ``chunks`` is the object's bytes as an iterable of chunks, or a ``PositionalReader``
    (read with ``read_at`` by Line + MultiRecord under a limit, otherwise iterated).

    ``count_records=False`` skips counting the newlines of Line + MultiRecord bodies (most of
    the cost of that path): ``first_record`` and ``record_count`` are then
    ``UNCOUNTED`` (-1) for it; bodies and byte offsets are the same either way. Other
    split types and strategies always count, since they find every record anyway."""
    if split_type not in SPLIT_TYPES:
        raise ValueError(f"SplitType must be one of {', '.join(SPLIT_TYPES)}, not {split_type!r}")
    if batch_strategy not in BATCH_STRATEGIES:
        raise ValueError(f"BatchStrategy must be one of {', '.join(BATCH_STRATEGIES)}, "
                         f"not {batch_strategy!r}")
    if max_payload_bytes is not None and max_payload_bytes <= 0:
        raise ValueError("max_payload_bytes must be positive, or None for no limit")
    limit = max_payload_bytes
    if split_type == "Line" and batch_strategy == "MultiRecord" and limit is not None \
            and isinstance(chunks, PositionalReader):
        return _line_multirecord_positional(chunks, limit, source, count_records)
    if isinstance(chunks, PositionalReader):
        chunks = _chunks_from(chunks, 0)
    if split_type == "Line" and batch_strategy == "MultiRecord":
        return _line_multirecord(iter(chunks), limit, source, count_records)
    if split_type == "Line":
        return _line_singlerecord(iter(chunks), limit, source)
    reader = ChunkReader(chunks)
    if split_type == "None" or batch_strategy == "SingleRecord":
        return _single(reader, split_type, limit, source)
    return _multirecord(reader, split_type, limit, source)


def _single(reader: ChunkReader, split_type: str, limit: int | None,
            source: str) -> Iterator[MiniBatch]:
    for rec in read_records(reader, split_type, source=source, limit=limit, limit_on_payload=True):
        yield MiniBatch(rec.index, rec.payload, rec.index, 1, rec.offset, rec.end_offset)


def _line_singlerecord(chunks: Iterator[bytes], limit: int | None,
                       source: str) -> Iterator[MiniBatch]:
    """Line + SingleRecord, one chunk at a time: the complete lines of a chunk are split in
    one C call (``splitlines`` when the chunk has no ``\r``, which it would also split on)."""
    carry: list[bytes] = []  # the start of a line that continues in later chunks
    carry_len = 0
    offset = index = 0
    for chunk in chunks:
        chunk = bytes(chunk)  # no copy for bytes; bodies must be bytes whatever came in
        cut = chunk.rfind(LINE_SEPARATOR) + 1
        if not cut:
            if chunk:
                carry.append(chunk)
                carry_len += len(chunk)
                if limit is not None and carry_len > limit:
                    raise_line_too_large(ChunkReader(chain(carry, chunks)), source, index, limit, offset)
            continue
        carry.append(chunk[:cut] if cut < len(chunk) else chunk)
        block = carry[0] if len(carry) == 1 else b"".join(carry)
        lines = block.splitlines(keepends=True) if b"\r" not in block else [
            line + LINE_SEPARATOR for line in block.split(LINE_SEPARATOR)[:-1]]
        if limit is not None and max(map(len, lines)) > limit:
            at = offset
            for i, line in enumerate(lines):
                if len(line) > limit:
                    raise RecordTooLarge(source=source, index=index + i, offset=at,
                                         size=len(line), limit=limit)
                at += len(line)
        for line in lines:
            yield MiniBatch(index, line, index, 1, offset, offset + len(line))
            offset += len(line)
            index += 1
        carry = [chunk[cut:]] if cut < len(chunk) else []
        carry_len = len(chunk) - cut
        if limit is not None and carry_len > limit:
            raise_line_too_large(ChunkReader(chain(carry, chunks)), source, index, limit, offset)
    if carry_len:
        last = b"".join(carry)  # the last line, without a final newline
        yield MiniBatch(index, last, index, 1, offset, offset + len(last))


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


def _line_multirecord(chunks: Iterator[bytes], limit: int | None, source: str,
                      count_records: bool) -> Iterator[MiniBatch]:
    """Line + MultiRecord over raw chunks, copying each byte once: the body is joined
    straight from slices of the chunks it spans (or is a chunk itself when one fits
    exactly), and the cut is found with ``rfind`` on at most a chunk or two."""
    pending: deque[bytes] = deque()  # chunks not yet consumed; the first starts at ``head``
    head = 0
    have = 0  # unconsumed bytes in ``pending``
    offset = 0  # absolute offset of the first unconsumed byte
    index = record = 0
    eof = False
    while True:
        while not eof and (limit is None or have <= limit):
            chunk = next(chunks, None)
            if chunk is None:
                eof = True
            elif chunk:
                pending.append(bytes(chunk))
                have += len(chunk)
        if not have:
            return
        size = have if limit is None or have <= limit else _last_newline_within(pending, head, limit)
        if size < 0:  # no newline within the limit: the first record is too large
            rest = chain([pending[0][head:]], islice(pending, 1, None), chunks)
            raise_line_too_large(ChunkReader(rest), source, record if count_records else UNCOUNTED,
                                 limit or 0, offset)
        parts: list[bytes | memoryview] = []  # views: a partial chunk is copied once, by the join
        need = size
        while need:
            chunk = pending[0]
            take = min(need, len(chunk) - head)
            parts.append(chunk if head == 0 and take == len(chunk) else memoryview(chunk)[head:head + take])
            need -= take
            head += take
            if head == len(chunk):
                pending.popleft()
                head = 0
        first = parts[0]
        body = first if len(parts) == 1 and isinstance(first, bytes) else b"".join(parts)
        del parts, first  # let the chunks go now, so the allocator can reuse their memory
        have -= size
        batch = _line_batch(index, body, record, offset, count_records)
        yield batch
        record += batch.record_count if count_records else 0
        offset += size
        index += 1


def _line_batch(index: int, body: bytes, record: int, offset: int, count_records: bool) -> MiniBatch:
    """A Line + MultiRecord mini-batch of ``body``, which starts at byte ``offset``; its
    records are numbered from ``record``, or left UNCOUNTED."""
    if not count_records:
        return MiniBatch(index, body, UNCOUNTED, UNCOUNTED, offset, offset + len(body))
    count = body.count(LINE_SEPARATOR) + (0 if body.endswith(LINE_SEPARATOR) else 1)
    return MiniBatch(index, body, record, count, offset, offset + len(body))


READ_CHUNK = 1 << 20  # how much a PositionalReader is read at a time where it is iterated
CUT_WINDOW = 1 << 16  # the first look back from the limit for the last newline


def _chunks_from(src: PositionalReader, offset: int) -> Iterator[bytes]:
    while chunk := src.read_at(offset, READ_CHUNK):
        yield chunk
        offset += len(chunk)


def _line_multirecord_positional(src: PositionalReader, limit: int, source: str,
                                 count_records: bool) -> Iterator[MiniBatch]:
    """Line + MultiRecord by offsets: the body that starts at ``offset`` ends after the
    last newline before ``offset + limit``, found by reading backwards from there in
    growing windows (one 64 KiB read, unless records are longer); the body is then read
    in one call."""
    total = src.size
    offset = index = record = 0
    while offset < total:
        size = total - offset if total - offset <= limit else _last_newline_before(src, offset, limit)
        if not size:  # no newline within the limit: the first record is too large
            raise_line_too_large(ChunkReader(_chunks_from(src, offset)), source,
                                 record if count_records else UNCOUNTED, limit, offset)
        body = src.read_at(offset, size)
        if len(body) < size:
            raise DataError(f"{source or 'the input'} became shorter while it was read (it ended at byte "
                            f"{offset + len(body)}, not {total}). Do not change inputs while a job runs.")
        batch = _line_batch(index, body, record, offset, count_records)
        yield batch
        record += batch.record_count if count_records else 0
        offset += size
        index += 1


def _last_newline_before(src: PositionalReader, offset: int, limit: int) -> int:
    """Length of the longest prefix of at most ``limit`` bytes from ``offset`` that ends
    with a newline, or 0."""
    end, window = offset + limit, CUT_WINDOW
    while end > offset:
        start = max(offset, end - window)
        found = src.read_at(start, end - start).rfind(LINE_SEPARATOR)
        if found >= 0:
            return start + found + 1 - offset
        end, window = start, 2 * window
    return 0


def _last_newline_within(pending: deque[bytes], head: int, limit: int) -> int:
    """Length of the longest prefix (of at most ``limit`` bytes) of the unconsumed data that
    ends with a newline, or -1. Searches backwards from the limit, chunk by chunk."""
    # Find the chunk holding the byte at position ``limit - 1`` (relative to ``head``).
    starts = []
    pos = -head
    for chunk in pending:
        starts.append(pos)
        if pos + len(chunk) >= limit:
            break
        pos += len(chunk)
    for i in range(len(starts) - 1, -1, -1):
        chunk, start = pending[i], starts[i]
        lo = head if i == 0 else 0
        nl = chunk.rfind(LINE_SEPARATOR, lo, min(len(chunk), limit - start))
        if nl >= 0:
            return start + nl + 1
    return -1
