"""Mini-batches (reference 6.3): limits, greedy maximality, oversize failures, and the
reference's rows on BatchStrategy, MaxPayloadInMB and SplitType None."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.data import (
    MB,
    MiniBatch,
    RecordTooLarge,
    iter_minibatches,
    max_payload_bytes,
    recordio_encode,
    tfrecord_encode,
)
from emulator.data.framing import RECORDIO_MAGIC_BYTES
from tests.data.helpers import PROPERTY, BytesAt, cut, cuts, line_bytes
from tests.data.test_splitting import reference_lines

limits = st.integers(min_value=1, max_value=80)


def reference_greedy(sizes: list[int], limit: int) -> list[list[int]] | int:
    """Plain greedy batching over record sizes: the batches (as lists of record indexes),
    or the index of the first record over the limit."""
    batches: list[list[int]] = []
    current: list[int] = []
    total = 0
    for i, size in enumerate(sizes):
        if size > limit:
            return i
        if current and total + size > limit:
            batches.append(current)
            current, total = [], 0
        current.append(i)
        total += size
    if current:
        batches.append(current)
    return batches


def batches(data_chunks: list[bytes] | BytesAt, split: str, strategy: str, limit: int | None) -> list[MiniBatch]:
    return list(iter_minibatches(data_chunks, split_type=split, batch_strategy=strategy,
                                 max_payload_bytes=limit, source="s3://bucket/in"))


def check_against_reference(data: bytes, raw_records: list[bytes], chunks: list[bytes] | BytesAt,
                            split: str, limit: int) -> None:
    expected = reference_greedy([len(r) for r in raw_records], limit)
    if isinstance(expected, int):
        with pytest.raises(RecordTooLarge) as err:
            batches(chunks, split, "MultiRecord", limit)
        offset = sum(len(r) for r in raw_records[:expected])
        assert (err.value.index, err.value.offset, err.value.size) == (expected, offset, len(raw_records[expected]))
        return
    got = batches(chunks, split, "MultiRecord", limit)
    assert [list(range(b.first_record, b.first_record + b.record_count)) for b in got] == expected
    for i, b in enumerate(got):
        assert b.index == i
        assert len(b.body) <= limit  # never over the limit
        assert b.body == b"".join(raw_records[b.first_record:b.first_record + b.record_count])
        assert data[b.start_offset:b.end_offset] == b.body
        nxt = b.first_record + b.record_count
        if nxt < len(raw_records):  # maximal: the next record would not have fit
            assert len(b.body) + len(raw_records[nxt]) > limit
    assert b"".join(b.body for b in got) == data


@PROPERTY
@given(data=line_bytes, limit=limits)
def test_line_multirecord_read_by_offset_is_greedy_bounded_and_lossless(data: bytes, limit: int) -> None:
    """From an object readable at any offset (a local file), the cut is found by looking
    back from the limit and each body is read once; the batches are the same."""
    check_against_reference(data, reference_lines(data), BytesAt(data), "Line", limit)


def test_line_multirecord_by_offset_reads_little_more_than_the_bodies() -> None:
    data = b"".join(b"%d,%s\n" % (i, b"x" * (i % 50)) for i in range(20_000))
    src = BytesAt(data)
    got = list(iter_minibatches(src, split_type="Line", batch_strategy="MultiRecord", max_payload_bytes=100_000))
    assert b"".join(b.body for b in got) == data
    # each body once, plus one 64 KiB look-back window per cut
    assert src.bytes_read <= len(data) + len(got) * (1 << 16)


def test_a_record_longer_than_the_look_back_window_is_cut_after_it() -> None:
    """The look-back grows until it finds the newline before a long record."""
    data = b"a\n" + b"b" * 200_000 + b"\n"
    got = list(iter_minibatches(BytesAt(data), split_type="Line", batch_strategy="MultiRecord",
                                max_payload_bytes=200_001))
    assert [(b.body, b.first_record, b.record_count) for b in got] == [(b"a\n", 0, 1), (data[2:], 1, 1)]


@PROPERTY
@given(data=line_bytes, at=cuts, limit=limits)
def test_line_multirecord_is_greedy_bounded_and_lossless(data: bytes, at: list[int], limit: int) -> None:
    check_against_reference(data, reference_lines(data), cut(data, at), "Line", limit)


@PROPERTY
@given(items=st.lists(st.binary(max_size=40), max_size=10), at=cuts, limit=st.integers(16, 120))
def test_tfrecord_multirecord_is_greedy_bounded_and_lossless(items: list[bytes], at: list[int], limit: int) -> None:
    raw = [tfrecord_encode(p) for p in items]
    data = b"".join(raw)
    check_against_reference(data, raw, cut(data, at), "TFRecord", limit)


@PROPERTY
@given(items=st.lists(st.one_of(st.binary(max_size=40), st.just(b"q" + RECORDIO_MAGIC_BYTES)), max_size=10),
       at=cuts, limit=st.integers(8, 120))
def test_recordio_multirecord_is_greedy_bounded_and_lossless(items: list[bytes], at: list[int], limit: int) -> None:
    raw = [recordio_encode(p) for p in items]
    data = b"".join(raw)
    check_against_reference(data, raw, cut(data, at), "RecordIO", limit)


@PROPERTY
@given(data=line_bytes, at=cuts, limit=limits)
def test_line_singlerecord_one_record_a_request(data: bytes, at: list[int], limit: int) -> None:
    records = reference_lines(data)
    too_big = [i for i, r in enumerate(records) if len(r) > limit]
    if too_big:
        with pytest.raises(RecordTooLarge) as err:
            batches(cut(data, at), "Line", "SingleRecord", limit)
        assert err.value.index == too_big[0]
        return
    got = batches(cut(data, at), "Line", "SingleRecord", limit)
    assert [b.body for b in got] == records
    assert all(b.record_count == 1 and b.first_record == b.index for b in got)


@PROPERTY
@given(items=st.lists(st.binary(max_size=40), max_size=8), at=cuts)
def test_binary_singlerecord_sends_payload_without_framing(items: list[bytes], at: list[int]) -> None:
    """Row 6.2 padding: 'padding is removed if BatchStrategy is SingleRecord; not removed
    if MultiRecord' (bte reads framing as part of the padding)."""
    for split, encode in (("TFRecord", tfrecord_encode), ("RecordIO", recordio_encode)):
        data = b"".join(encode(p) for p in items)
        assert [b.body for b in batches(cut(data, at), split, "SingleRecord", 64)] == items


@PROPERTY
@given(data=st.binary(max_size=300), at=cuts, limit=st.integers(1, 400),
       strategy=st.sampled_from(["MultiRecord", "SingleRecord"]))
def test_6_2_split_none_is_one_payload_whatever_batch_strategy(data: bytes, at: list[int], limit: int,
                                                               strategy: str) -> None:
    """Row 6.2 None: the whole object is one payload, regardless of BatchStrategy; fails if
    larger than MaxPayloadInMB."""
    if len(data) > limit:
        with pytest.raises(RecordTooLarge, match="SplitType None sends the whole object") as err:
            batches(cut(data, at), "None", strategy, limit)
        assert err.value.size == len(data)
        return
    got = batches(cut(data, at), "None", strategy, limit)
    assert [b.body for b in got] == ([data] if data else [])


def test_6_3_record_over_the_limit_fails_the_file_with_a_useful_message() -> None:
    """Row 6.3: a record bigger than MaxPayloadInMB is an error for that file."""
    data = b"ok\n" + b"x" * 30 + b"\nok\n"
    with pytest.raises(RecordTooLarge) as err:
        batches([data[:5], data[5:]], "Line", "MultiRecord", 16)
    text = str(err.value)
    for part in ("s3://bucket/in", "record 1 (0-based)", "byte offset 3", "31 bytes", "16 bytes",
                 "Raise MaxPayloadInMB"):
        assert part in text


def test_6_3_oversize_record_is_measured_without_buffering_it() -> None:
    limit = 1000
    chunks = (b"y" * 4096 for _ in range(2048))  # one 8 MiB line, given lazily
    with pytest.raises(RecordTooLarge) as err:
        list(iter_minibatches(chunks, split_type="Line", batch_strategy="MultiRecord",
                              max_payload_bytes=limit))
    assert err.value.size == 8 * MB


def test_6_2_multirecord_line_body_is_records_joined_by_newlines() -> None:
    """Row 6.2 (I-HFNB227): a MultiRecord body for Line is the records joined by newlines."""
    data = b'{"a":1}\n{"a":2}\n{"a":3}\n'
    (batch,) = batches([data], "Line", "MultiRecord", 6 * MB)
    assert batch.body == b'{"a":1}\n{"a":2}\n{"a":3}\n'
    assert batch.record_count == 3


def test_6_2_quoted_newline_splits_the_record() -> None:
    """Row 6.2 Line: CSV newlines inside quoted fields become record boundaries."""
    got = batches([b'1,"two\nlines"\n3,4\n'], "Line", "SingleRecord", 100)
    assert [b.body for b in got] == [b'1,"two\n', b'lines"\n', b"3,4\n"]


def test_6_3_csv_header_goes_only_to_the_first_minibatch() -> None:
    """Row 6.3: the header line is record #1 and lands only in the first mini-batch."""
    data = b"f1,f2\n" + b"1,2\n" * 20
    got = batches([data], "Line", "MultiRecord", 24)
    assert got[0].body.startswith(b"f1,f2\n")
    assert all(b"f1" not in b.body for b in got[1:]) and len(got) > 2


def test_6_3_never_mixes_two_files() -> None:
    """Row 6.3: mini-batches never combine records of two files; each object is cut on its own
    and its last mini-batch ends with that object even when the next file's records would fit."""
    a = batches([b"1\n2\n"], "Line", "MultiRecord", 100)
    b = batches([b"3\n"], "Line", "MultiRecord", 100)
    assert [x.body for x in a] == [b"1\n2\n"] and [x.body for x in b] == [b"3\n"]


def test_6_3_singlerecord_vs_multirecord() -> None:
    """Row 6.3: SingleRecord is one record a request; MultiRecord as many whole records as fit."""
    data = b"aa\nbb\ncc\n"
    assert [b.body for b in batches([data], "Line", "SingleRecord", 6)] == [b"aa\n", b"bb\n", b"cc\n"]
    assert [b.body for b in batches([data], "Line", "MultiRecord", 6)] == [b"aa\nbb\n", b"cc\n"]


def test_4_mb_is_two_to_the_twentieth() -> None:
    """Section 4 / unknown 10.8 (bte's choice): MaxPayloadInMB counts 2^20 bytes; 0 is no limit."""
    assert max_payload_bytes(6) == 6 * 1024 * 1024
    assert max_payload_bytes(0) is None and max_payload_bytes(None) is None
    data = b"x" * (MB - 1) + b"\n"  # exactly 1 MiB with its newline: fits MaxPayloadInMB=1
    assert len(batches([data], "Line", "SingleRecord", max_payload_bytes(1))) == 1


def test_max_payload_zero_puts_the_whole_file_in_one_batch() -> None:
    """MaxPayloadInMB=0 (bte's choice): no limit; MultiRecord sends the whole object at once."""
    data = b"r\n" * 1000
    for split in ("Line", "None"):
        (batch,) = batches([data[:7], data[7:]], split, "MultiRecord", None)
        assert batch.body == data
    assert len(batches([data], "Line", "SingleRecord", None)) == 1000


def test_10_6_empty_object_yields_no_minibatch() -> None:
    """Unknown 10.6 (bte's choice): an empty object yields no mini-batch for any SplitType."""
    for split in ("None", "Line", "RecordIO", "TFRecord"):
        for strategy in ("MultiRecord", "SingleRecord"):
            assert batches([b""], split, strategy, 10) == []


def test_last_line_without_newline_is_sent_without_one() -> None:
    got = batches([b"a\nb"], "Line", "MultiRecord", 100)
    assert [(b.body, b.record_count) for b in got] == [(b"a\nb", 2)]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="SplitType"):
        batches([b""], "Lines", "MultiRecord", 10)
    with pytest.raises(ValueError, match="BatchStrategy"):
        batches([b""], "Line", "MULTI_RECORD", 10)
    with pytest.raises(ValueError, match="positive"):
        batches([b""], "Line", "MultiRecord", 0)


@PROPERTY
@given(data=line_bytes, at=cuts, limit=limits)
def test_uncounted_multirecord_cuts_the_same_bodies(data: bytes, at: list[int], limit: int) -> None:
    """count_records=False (the engine's fast path) changes only the record numbers."""
    def run(count: bool, by_offset: bool) -> list[tuple[bytes, int, int]] | str:
        source = BytesAt(data) if by_offset else cut(data, at)
        try:
            return [(b.body, b.start_offset, b.end_offset) for b in iter_minibatches(
                source, split_type="Line", batch_strategy="MultiRecord",
                max_payload_bytes=limit, count_records=count)]
        except RecordTooLarge as err:
            return f"{err.offset}:{err.size}"
    assert run(True, False) == run(False, False) == run(False, True)


def test_uncounted_oversize_error_still_names_the_offset() -> None:
    with pytest.raises(RecordTooLarge, match="s3://b/k: the record at byte offset 3 is 20 bytes"):
        list(iter_minibatches([b"ab\n" + b"x" * 19 + b"\n"], split_type="Line", batch_strategy="MultiRecord",
                              max_payload_bytes=10, source="s3://b/k", count_records=False))


def test_6_2_tfrecord_multirecord_body_is_concatenated_framed_records() -> None:
    """Row 6.2 (EX-TFR): for TFRecord + MultiRecord the body is complete framed records."""
    raw = [tfrecord_encode(b"one"), tfrecord_encode(b"two"), tfrecord_encode(b"three")]
    (batch,) = batches([b"".join(raw)], "TFRecord", "MultiRecord", 1000)
    assert batch.body == b"".join(raw) and batch.record_count == 3


def test_6_2_recordio_records_keep_padding_in_multirecord() -> None:
    """Row 6.2 RecordIO: MXNet records; MultiRecord keeps the padding, SingleRecord drops it."""
    raw = recordio_encode(b"abcde")  # 5 data bytes + 3 padding
    assert len(raw) == 16
    assert batches([raw * 2], "RecordIO", "MultiRecord", 100)[0].body == raw * 2
    assert [b.body for b in batches([raw * 2], "RecordIO", "SingleRecord", 100)] == [b"abcde", b"abcde"]


def test_singlerecord_limit_applies_to_the_body_sent() -> None:
    """A 20-byte TFRecord payload is 36 bytes framed: it fits a 20-byte limit alone
    (SingleRecord sends the payload) but not in a MultiRecord body."""
    data = tfrecord_encode(b"p" * 20)
    assert [b.body for b in batches([data], "TFRecord", "SingleRecord", 20)] == [b"p" * 20]
    with pytest.raises(RecordTooLarge, match="36 bytes"):
        batches([data], "TFRecord", "MultiRecord", 20)
    with pytest.raises(RecordTooLarge, match="21 bytes"):
        batches([tfrecord_encode(b"p" * 21)], "TFRecord", "SingleRecord", 20)


@PROPERTY
@given(data=line_bytes, at=cuts, limit=limits, split=st.sampled_from(["Line", "None"]),
       strategy=st.sampled_from(["MultiRecord", "SingleRecord"]))
def test_a_positional_reader_gives_the_same_minibatches_as_its_chunks(data: bytes, at: list[int], limit: int,
                                                                     split: str, strategy: str) -> None:
    def run(source: list[bytes] | BytesAt) -> list[tuple[bytes, int, int, int, int]] | str:
        try:
            return [(bytes(b.body), b.first_record, b.record_count, b.start_offset, b.end_offset)
                    for b in iter_minibatches(source, split_type=split, batch_strategy=strategy,
                                              max_payload_bytes=limit)]
        except RecordTooLarge as err:
            return str(err)
    assert run(BytesAt(data)) == run(cut(data, at))


@PROPERTY
@given(data=line_bytes, limit=limits)
def test_line_multirecord_by_offset_with_a_tiny_look_back_window(data: bytes, limit: int) -> None:
    """The look-back window doubles until it finds a newline or reaches the body's start:
    with a 3-byte first window, every input exercises that growth."""
    import emulator.data.batching as batching

    saved = batching.CUT_WINDOW
    batching.CUT_WINDOW = 3
    try:
        check_against_reference(data, reference_lines(data), BytesAt(data), "Line", limit)
    finally:
        batching.CUT_WINDOW = saved
