"""CompressionType Gzip (reference 6.1) and input lint (typed warnings with a fix)."""

from __future__ import annotations

import gzip
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.data import (
    BadCompression,
    InputWarning,
    gunzip,
    iter_minibatches,
    lint_input,
    lint_job,
    tfrecord_encode,
)
from tests.data.helpers import PROPERTY, cut, cuts

# -- Gzip -----------------------------------------------------------------------------------


@PROPERTY
@given(members=st.lists(st.binary(max_size=500), min_size=1, max_size=3), at=cuts)
def test_gunzip_streams_and_restores_every_member(members: list[bytes], at: list[int]) -> None:
    data = b"".join(gzip.compress(m) for m in members)
    assert b"".join(gunzip(cut(data, at))) == b"".join(members)


def test_6_1_gzip_objects_are_decompressed_before_splitting() -> None:
    """Row 6.1 Gzip: objects are decompressed before splitting."""
    data = b"".join(b"%d,x\n" % i for i in range(1000))
    packed = gzip.compress(data)
    chunks = [packed[i:i + 100] for i in range(0, len(packed), 100)]
    got = list(iter_minibatches(gunzip(chunks), split_type="Line", batch_strategy="MultiRecord",
                                max_payload_bytes=1000))
    assert b"".join(b.body for b in got) == data and len(got) > 5


def test_gunzip_bounds_each_piece() -> None:
    bomb = gzip.compress(b"\0" * (20 << 20))  # 20 MiB of zeros in ~20 KB
    pieces = list(gunzip([bomb]))
    assert max(len(p) for p in pieces) <= 1 << 20 and sum(map(len, pieces)) == 20 << 20


def test_gunzip_errors_name_the_object() -> None:
    with pytest.raises(BadCompression, match="s3://b/x.gz: not a valid gzip stream.*CompressionType None"):
        list(gunzip([b"plain text, not gzip"], source="s3://b/x.gz"))
    packed = gzip.compress(os.urandom(5000))
    with pytest.raises(BadCompression, match="truncated"):
        list(gunzip([packed[:2000]]))


# -- lint -----------------------------------------------------------------------------------


def codes(head: bytes, **kw: object) -> list[str]:
    args: dict[str, object] = dict(source="s3://b/in.csv", split_type="Line", content_type="text/csv",
                                   max_payload_bytes=6 << 20, total_size=len(head))
    args.update(kw)
    warnings = lint_input(head, **args)  # type: ignore[arg-type]
    for w in warnings:
        assert isinstance(w, InputWarning) and w.fix and "\n" not in w.fix and w.source == args["source"]
    return [w.code for w in warnings]


def test_lint_csv_header_row() -> None:
    assert codes(b"age,income\n31,5000\n45,7000.5\n") == ["CsvHeader"]
    assert codes(b"31,5000\n45,7000\n") == []
    assert codes(b"a,b\nc,d\n") == []  # all text: not a header pattern


def test_lint_quoted_newline_crlf_bom_blank_lines() -> None:
    assert "CsvQuotedNewline" in codes(b'1,"two\nlines"\n3,4\n')
    assert codes(b"1,2\r\n3,4\r\n") == ["CrLf"]
    assert codes(b"\xef\xbb\xbf1,2\n") == ["Utf8Bom"]
    assert codes(b"1,2\n\n3,4\n") == ["BlankLines"]
    assert codes(b'{"a":1}\n\n', content_type="application/jsonlines", source="s3://b/x.jsonl") == ["BlankLines"]


def test_lint_empty_object() -> None:
    assert codes(b"", total_size=0) == ["EmptyInput"]


def test_lint_record_over_the_limit() -> None:
    (w,) = lint_input(b"1\n" + b"9" * 50 + b"\n", source="s3://b/x.csv", split_type="Line",
                      content_type="text/csv", max_payload_bytes=10, total_size=None)
    assert w.code == "RecordTooLarge" and "record 1 at byte offset 2 is 51 bytes" in w.message
    # A record cut by the end of the head is reported as a lower bound.
    (w,) = lint_input(b"9" * 50, source="x", split_type="Line", content_type=None,
                      max_payload_bytes=10, total_size=1000)
    assert "at least 50 bytes" in w.message
    # TFRecord: the header alone tells the size, even if the head ends before the data.
    head = tfrecord_encode(b"x" * 100)[:20]
    assert codes(head, split_type="TFRecord", content_type=None, max_payload_bytes=50,
                 total_size=116) == ["RecordTooLarge"]
    assert codes(b"x" * 100, split_type="None", content_type=None, max_payload_bytes=50,
                 total_size=100) == ["ObjectTooLarge"]


def test_lint_job_payload_times_concurrency() -> None:
    (w,) = lint_job(max_concurrent_transforms=20, max_payload_in_mb=6)
    assert w.code == "PayloadTimesConcurrency" and "120 MB" in w.message
    assert lint_job(max_concurrent_transforms=16, max_payload_in_mb=6) == []
    assert lint_job(max_concurrent_transforms=None, max_payload_in_mb=6) == []


def test_lint_edge_cases() -> None:
    assert codes(b'1,"open quote\n', total_size=None) == ["CsvQuotedNewline"]
    assert codes(b"\xef\xbb\xbf1,2\n3,4\n") == ["Utf8Bom"]  # the BOM does not make a "header"
    assert codes(b'1,"a ""quoted"" word"\n2,"b"\n') == []
