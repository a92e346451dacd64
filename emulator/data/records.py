"""Splitting a stream of bytes into records, per SplitType (reference section 6.2).

Every record carries two byte strings:

- ``data``: the record's bytes exactly as they sit in the object (a Line record with its
  trailing ``\\n``; a TFRecord/RecordIO record with its framing and padding). The ``data``
  of all records, in order, joined, is the object again: nothing is lost or reordered.
- ``payload``: what a SingleRecord request sends. For Line it is ``data`` itself (the
  newline stays: bte's choice, as SDK local mode does). For TFRecord and RecordIO it is the
  record's content without framing or padding ("padding is removed if BatchStrategy is
  SingleRecord; not removed if MultiRecord", API reference on SplitType).

The Line rules are bte's choices where the service is silent (reference section 10, item 3),
and they all live here:

- ``LINE_SEPARATOR`` (``\\n``) is the only separator; ``\\r`` is an ordinary byte, so a CRLF
  file's records end in ``\\r\\n`` (input lint warns about it).
- A record keeps its trailing newline; the last line of an object without a final newline
  is a record without one.
- A blank line is a record (its data is ``\\n``), faithful to the bytes; lint warns.
- An empty object has no records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from emulator.data import framing
from emulator.data.errors import BadRecordFraming, RecordTooLarge
from emulator.data.reader import ChunkReader

SPLIT_TYPES = ("None", "Line", "RecordIO", "TFRecord")
LINE_SEPARATOR = b"\n"


@dataclass(frozen=True, slots=True)
class Record:
    index: int  # 0-based position within the object
    offset: int  # byte offset of ``data`` within the (decompressed) object
    data: bytes  # raw bytes as in the object, separator/framing included
    payload: bytes  # the bytes a SingleRecord request sends

    @property
    def end_offset(self) -> int:
        return self.offset + len(self.data)


def iter_records(chunks: Iterable[bytes], split_type: str, source: str = "") -> Iterator[Record]:
    """All records of one object, in order (no size limit; for lint, counting and tests)."""
    return read_records(ChunkReader(chunks), split_type, source=source)


def read_records(reader: ChunkReader, split_type: str, *, source: str = "",
                 limit: int | None = None, limit_on_payload: bool = False) -> Iterator[Record]:
    """Records from ``reader``. With ``limit``, a record whose ``data`` (or ``payload`` when
    ``limit_on_payload``) is longer raises RecordTooLarge before it is buffered whole."""
    if split_type == "None":
        return _whole(reader, source, limit)
    if split_type == "Line":
        return _lines(reader, source, limit)
    if split_type == "TFRecord":
        return _tfrecords(reader, source, limit, limit_on_payload)
    if split_type == "RecordIO":
        return _recordio(reader, source, limit, limit_on_payload)
    raise ValueError(f"SplitType must be one of {', '.join(SPLIT_TYPES)}, not {split_type!r}")


def _whole(reader: ChunkReader, source: str, limit: int | None) -> Iterator[Record]:
    if limit is None:
        reader.fill_all()
    elif reader.fill(limit + 1):
        raise RecordTooLarge(source=source, index=0, offset=0, size=reader.skip_rest(), limit=limit, whole_object=True)
    if reader.available:
        data = reader.take(reader.available)
        yield Record(0, 0, data, data)


def _lines(reader: ChunkReader, source: str, limit: int | None) -> Iterator[Record]:
    index = 0
    scanned = 0  # bytes already searched for a newline, so a long line is searched once
    while True:
        nl = reader.find(LINE_SEPARATOR, scanned)
        if nl < 0:
            scanned = reader.available
            if limit is not None and scanned > limit:
                raise_line_too_large(reader, source, index, limit)
            if reader.grow():
                continue
            if not reader.available:
                return
            size = reader.available  # last line, no final newline
        else:
            size = nl + 1
        if limit is not None and size > limit:
            raise_line_too_large(reader, source, index, limit)
        offset = reader.offset
        data = reader.take(size)
        yield Record(index, offset, data, data)
        index += 1
        scanned = 0


def raise_line_too_large(reader: ChunkReader, source: str, index: int, limit: int,
                         offset: int | None = None) -> None:
    """Raise RecordTooLarge for the line starting at the reader's position (absolute
    ``offset`` if the reader was started mid-object), measuring it in bounded memory."""
    offset = reader.offset if offset is None else offset
    raise RecordTooLarge(source=source, index=index, offset=offset,
                         size=reader.skip_through(LINE_SEPARATOR), limit=limit)


def _tfrecords(reader: ChunkReader, source: str, limit: int | None,
               on_payload: bool) -> Iterator[Record]:
    index = 0
    while reader.fill(framing.TFRECORD_HEADER) or reader.available:
        offset = reader.offset

        def bad(problem: str) -> BadRecordFraming:
            return BadRecordFraming(source=source, split_type="TFRecord", index=index,
                                    offset=offset, problem=problem)

        if reader.available < framing.TFRECORD_HEADER:
            raise bad(f"the object ends {reader.available} bytes into a 12-byte record header")
        length, problem = framing.tfrecord_length(reader.peek(framing.TFRECORD_HEADER))
        if problem:
            raise bad(problem)
        framed = framing.TFRECORD_HEADER + length + framing.TFRECORD_FOOTER
        if limit is not None and (length if on_payload else framed) > limit:
            raise RecordTooLarge(source=source, index=index, offset=offset,
                                 size=length if on_payload else framed, limit=limit)
        if not reader.fill(framed):
            raise bad(f"the header declares {length} data bytes but the object ends "
                      f"{reader.available - framing.TFRECORD_HEADER} bytes after the header")
        data = reader.take(framed)
        payload = data[framing.TFRECORD_HEADER:framing.TFRECORD_HEADER + length]
        problem = framing.tfrecord_data_problem(payload, data[-framing.TFRECORD_FOOTER:])
        if problem:
            raise bad(problem)
        yield Record(index, offset, data, payload)
        index += 1


def _recordio(reader: ChunkReader, source: str, limit: int | None,
              on_payload: bool) -> Iterator[Record]:
    index = 0
    while reader.fill(framing.RECORDIO_HEADER) or reader.available:
        offset = reader.offset
        framed = 0  # bytes of this record so far, headers and padding included
        payload_size = 0
        parts: list[bytes] = []  # raw framed parts
        content: list[bytes] = []  # payload parts
        expect_more = True
        first = True
        while expect_more:
            if not reader.fill(framing.RECORDIO_HEADER):
                raise BadRecordFraming(
                    source=source, split_type="RecordIO", index=index, offset=offset,
                    problem=(f"the object ends {reader.available} bytes into an 8-byte header at "
                             f"offset {reader.offset}" if reader.available or first else
                             "the object ends inside a record split in parts (no final part)"))
            cflag, length, problem = framing.recordio_header(reader.peek(framing.RECORDIO_HEADER))
            if problem is None and cflag not in ((0, 1) if first else (2, 3)):
                problem = f"unexpected part flag {cflag} at offset {reader.offset}"
            if problem:
                raise BadRecordFraming(source=source, split_type="RecordIO", index=index,
                                       offset=offset, problem=problem)
            size = framing.RECORDIO_HEADER + length + framing.recordio_padding(length)
            framed += size
            payload_size += length + (0 if first else len(framing.RECORDIO_MAGIC_BYTES))
            expect_more = cflag in (1, 2)
            if limit is not None and (payload_size if on_payload else framed) > limit:
                # Oversize: walk the remaining part headers without buffering the data.
                reader.skip(size)
                while expect_more and reader.fill(framing.RECORDIO_HEADER):
                    cflag, length, _ = framing.recordio_header(reader.peek(framing.RECORDIO_HEADER))
                    size = framing.RECORDIO_HEADER + length + framing.recordio_padding(length)
                    framed += size
                    payload_size += length + len(framing.RECORDIO_MAGIC_BYTES)
                    expect_more = cflag in (1, 2)
                    reader.skip(size)
                raise RecordTooLarge(source=source, index=index, offset=offset,
                                     size=payload_size if on_payload else framed, limit=limit)
            if not reader.fill(size):
                raise BadRecordFraming(
                    source=source, split_type="RecordIO", index=index, offset=offset,
                    problem=(f"a header at offset {reader.offset} declares {length} data bytes "
                             f"(plus padding) but the object ends first"))
            part = reader.take(size)
            parts.append(part)
            content.append(part[framing.RECORDIO_HEADER:framing.RECORDIO_HEADER + length])
            first = False
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        yield Record(index, offset, data, framing.RECORDIO_MAGIC_BYTES.join(content))
        index += 1
