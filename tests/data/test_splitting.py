"""SplitType (reference 6.2): split then join loses and reorders nothing; framing errors
name the byte offset; bte's Line choices (reference 10, item 3) are pinned."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.data import BadRecordFraming, iter_records, recordio_encode, tfrecord_encode
from emulator.data.framing import RECORDIO_MAGIC_BYTES, crc32c, masked_crc32c
from tests.data.helpers import PROPERTY, cut, cuts, line_bytes

payloads = st.lists(st.one_of(st.binary(max_size=60),
                              st.sampled_from([RECORDIO_MAGIC_BYTES, b"a" + RECORDIO_MAGIC_BYTES * 2 + b"z"])),
                    max_size=12)


def reference_lines(data: bytes) -> list[bytes]:
    """Straightforward Line splitting: every line keeps its newline."""
    parts = data.split(b"\n")
    return [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


@PROPERTY
@given(data=line_bytes, at=cuts)
def test_line_split_then_join_is_identity(data: bytes, at: list[int]) -> None:
    records = list(iter_records(cut(data, at), "Line"))
    assert b"".join(r.data for r in records) == data
    assert [r.data for r in records] == reference_lines(data)
    assert [r.index for r in records] == list(range(len(records)))
    assert all(data[r.offset:r.end_offset] == r.data for r in records)


@PROPERTY
@given(data=st.binary(max_size=300), at=cuts)
def test_none_split_is_the_whole_object(data: bytes, at: list[int]) -> None:
    records = list(iter_records(cut(data, at), "None"))
    assert [r.data for r in records] == ([data] if data else [])


@PROPERTY
@given(items=payloads, at=cuts)
def test_tfrecord_split_then_join_is_identity(items: list[bytes], at: list[int]) -> None:
    data = b"".join(tfrecord_encode(p) for p in items)
    records = list(iter_records(cut(data, at), "TFRecord"))
    assert [r.payload for r in records] == items
    assert b"".join(r.data for r in records) == data


@PROPERTY
@given(items=payloads, at=cuts)
def test_recordio_split_then_join_is_identity(items: list[bytes], at: list[int]) -> None:
    data = b"".join(recordio_encode(p) for p in items)
    records = list(iter_records(cut(data, at), "RecordIO"))
    assert [r.payload for r in records] == items
    assert b"".join(r.data for r in records) == data
    assert all(len(r.data) % 4 == 0 for r in records)  # padding stays in the raw bytes


def test_crc32c_check_value() -> None:
    # The standard CRC-32C check value, and TensorFlow's mask of it.
    assert crc32c(b"123456789") == 0xE3069283
    crc = 0xE3069283
    assert masked_crc32c(b"123456789") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def test_6_2_tfrecord_framing_is_length_crc_data_crc() -> None:
    """Row 6.2 TFRecord: u64 length, u32 masked CRC of length, data, u32 masked CRC of data."""
    framed = tfrecord_encode(b"hello")
    assert framed[:8] == struct.pack("<Q", 5)
    assert framed[8:12] == struct.pack("<I", masked_crc32c(framed[:8]))
    assert framed[12:17] == b"hello"
    assert framed[17:] == struct.pack("<I", masked_crc32c(b"hello"))


def test_tfrecord_bad_data_crc_names_record_and_offset() -> None:
    good = tfrecord_encode(b"first")
    bad = bytearray(tfrecord_encode(b"second"))
    bad[14] ^= 0xFF
    with pytest.raises(BadRecordFraming) as err:
        list(iter_records([good + bytes(bad)], "TFRecord", source="s3://b/in.tfrecord"))
    text = str(err.value)
    assert "s3://b/in.tfrecord" in text and "record 1" in text
    assert f"byte offset {len(good)}" in text and "CRC of the 6 data bytes" in text


def test_tfrecord_bad_length_crc_is_an_error() -> None:
    bad = bytearray(tfrecord_encode(b"x" * 10))
    bad[0] = 200  # length now disagrees with its CRC
    with pytest.raises(BadRecordFraming, match="CRC of the length field.*byte offset 0|byte offset 0.*CRC of the length"):
        list(iter_records([bytes(bad)], "TFRecord"))


def test_tfrecord_truncated_object_is_an_error() -> None:
    data = tfrecord_encode(b"x" * 10)
    with pytest.raises(BadRecordFraming, match="object ends"):
        list(iter_records([data[:-3]], "TFRecord"))
    with pytest.raises(BadRecordFraming, match="5 bytes into a 12-byte record header"):
        list(iter_records([data + data[:5]], "TFRecord"))


def test_recordio_bad_magic_names_offset() -> None:
    good = recordio_encode(b"abcd")
    with pytest.raises(BadRecordFraming, match=rf"record 1 \(0-based\) at byte offset {len(good)}.*magic"):
        list(iter_records([good + b"\0" * 8], "RecordIO"))


def test_recordio_multipart_record_reassembles_the_magic() -> None:
    payload = b"x" + RECORDIO_MAGIC_BYTES + b"y"
    (record,) = iter_records([recordio_encode(payload)], "RecordIO")
    assert record.payload == payload


def test_10_3_line_keeps_newline_crlf_is_a_byte_blank_line_is_a_record() -> None:
    """Unknown 10.3 (bte's choice): `\\n` only separates, records keep it, `\\r` stays,
    a blank line is a record, the last line without newline is a record without one."""
    records = [r.data for r in iter_records([b"a\r\n\nb"], "Line")]
    assert records == [b"a\r\n", b"\n", b"b"]


def test_10_6_empty_object_has_no_records() -> None:
    """Unknown 10.6 (bte's choice): a 0-byte object has no records, for every SplitType."""
    for split in ("None", "Line", "RecordIO", "TFRecord"):
        assert list(iter_records([b""], split)) == []


def test_6_2_binary_input_is_never_decoded() -> None:
    """Row 6.2 None: images are bytes in, bytes out (invalid UTF-8 and NULs untouched)."""
    png = b"\x89PNG\r\n\x1a\n\x00\xff\xfe" * 100
    (record,) = iter_records([png[:7], png[7:]], "None")
    assert record.data == png
