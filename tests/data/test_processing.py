"""DataProcessing (reference 6.6): InputFilter, JoinSource and OutputFilter on CSV and JSON
agree with a straightforward reference implementation; the guide's examples and the
service's error texts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.data import (
    SLICE_END_INCLUSIVE,
    DataProcessing,
    DataProcessingError,
    JsonPathIndexOutOfRange,
    JsonPathNoMatch,
    MiniBatch,
    RecordCountMismatch,
    UnsupportedJsonPath,
    iter_minibatches,
    parse_json_path,
)
from tests.data.helpers import PROPERTY

# -- a straightforward reference -----------------------------------------------------------

small_int = st.integers(min_value=-7, max_value=7)
opt_int = st.one_of(st.none(), small_int)
index_paths = st.one_of(
    st.just(("root",)),
    st.tuples(st.just("index"), small_int),
    st.tuples(st.just("indexes"), st.lists(small_int, min_size=2, max_size=4)),
    st.tuples(st.just("slice"), opt_int, opt_int),
)


def render(spec: tuple[Any, ...]) -> str:
    kind = spec[0]
    if kind == "root":
        return "$"
    if kind == "index":
        return f"$[{spec[1]}]"
    if kind == "indexes":
        return "$[" + ",".join(map(str, spec[1])) + "]"
    return "$[" + ("" if spec[1] is None else str(spec[1])) + ":" + ("" if spec[2] is None else str(spec[2])) + "]"


def ref_select_row(row: list[str], spec: tuple[Any, ...]) -> list[str]:
    """Index selection as the guide describes it; IndexError for an index outside the row."""
    kind = spec[0]
    if kind == "root":
        return row
    if kind == "index":
        return [row[spec[1]]]
    if kind == "indexes":
        return [row[i] for i in spec[1]]
    start, end = spec[1], spec[2]
    stop = None if end is None or end == -1 else end + 1  # "[1:4]: second through fifth"
    return row[start:stop]


def model_csv(row: list[str]) -> list[str]:
    return [str(len(row)), row[0] if row else "e"]


csv_rows = st.lists(st.lists(st.text("abc019.", min_size=1, max_size=3), min_size=1, max_size=6),
                    min_size=1, max_size=6)


def one_batch(body: bytes) -> MiniBatch:
    (batch,) = iter_minibatches([body], split_type="Line", batch_strategy="MultiRecord", max_payload_bytes=None)
    return batch


@PROPERTY
@given(rows=csv_rows, in_spec=index_paths, out_spec=index_paths, join=st.booleans())
def test_csv_processing_agrees_with_reference(rows: list[list[str]], in_spec: tuple[Any, ...],
                                              out_spec: tuple[Any, ...], join: bool) -> None:
    dp = DataProcessing(input_filter=render(in_spec), output_filter=render(out_spec),
                        join_source="Input" if join else "None", content_type="text/csv",
                        accept="text/csv", split_type="Line")
    batch = one_batch(b"".join(",".join(r).encode() + b"\n" for r in rows))
    try:
        filtered = [ref_select_row(r, in_spec) for r in rows]
    except IndexError:
        with pytest.raises(JsonPathIndexOutOfRange):
            dp.filter_input(batch)
        return
    assert dp.filter_input(batch) == b"".join(",".join(f).encode() + b"\n" for f in filtered)
    outputs = [model_csv(f) for f in filtered]
    response = b"".join(",".join(o).encode() + b"\n" for o in outputs)
    try:
        expected = [ref_select_row(r + o if join else o, out_spec) for r, o in zip(rows, outputs)]
    except IndexError:
        with pytest.raises(JsonPathIndexOutOfRange):
            dp.finish_output(batch, response)
        return
    assert dp.finish_output(batch, response) == b"".join(",".join(e).encode() + b"\n" for e in expected)


json_values = st.one_of(
    st.fixed_dictionaries({"id": st.integers(0, 9)},
                          optional={"a": st.integers(), "b": st.lists(st.integers(), max_size=3),
                                    "SageMakerOutput": st.just("stale")}),
    st.integers(), st.lists(st.integers(), max_size=3),
)
json_in_paths = st.sampled_from(["$", "$.a", "$['id','a']", "$.b[0]"])
json_out_paths = st.sampled_from(["$", "$.SageMakerOutput", "$['id','SageMakerOutput']", "$.n"])


def ref_json_select(value: Any, path: str) -> Any:
    """The few JSON paths above, by hand; KeyError/TypeError/IndexError when they do not apply."""
    if path == "$":
        return value
    if path == "$.a":
        return value["a"]
    if path == "$.n":
        return value["n"]
    if path == "$.b[0]":
        return value["b"][0]
    if path == "$.SageMakerOutput":
        return value["SageMakerOutput"]
    keys = ["id", "a"] if path == "$['id','a']" else ["id", "SageMakerOutput"]
    return {k: value[k] for k in keys}


def dumps(v: Any) -> bytes:
    return json.dumps(v, separators=(",", ":")).encode()


@PROPERTY
@given(records=st.lists(json_values, min_size=1, max_size=5), in_path=json_in_paths,
       out_path=json_out_paths, join=st.booleans())
def test_json_lines_processing_agrees_with_reference(records: list[Any], in_path: str, out_path: str,
                                                     join: bool) -> None:
    dp = DataProcessing(input_filter=in_path, output_filter=out_path, join_source="Input" if join else "None",
                        content_type="application/jsonlines", accept="application/jsonlines", split_type="Line")
    batch = one_batch(b"".join(dumps(r) + b"\n" for r in records))
    try:
        filtered = [ref_json_select(r, in_path) for r in records]
    except (KeyError, TypeError, IndexError) as err:
        with pytest.raises(JsonPathIndexOutOfRange if isinstance(err, IndexError) else JsonPathNoMatch):
            dp.filter_input(batch)
        return
    assert dp.filter_input(batch) == b"".join(dumps(f) + b"\n" for f in filtered)
    outputs = [{"n": len(dumps(f))} for f in filtered]
    response = b"".join(dumps(o) + b"\n" for o in outputs)

    def joined(r: Any, o: Any) -> Any:
        if not join:
            return o
        return {**r, "SageMakerOutput": o} if isinstance(r, dict) else {"SageMakerInput": r, "SageMakerOutput": o}

    try:
        expected = [ref_json_select(joined(r, o), out_path) for r, o in zip(records, outputs)]
    except (KeyError, TypeError, IndexError):
        with pytest.raises(JsonPathNoMatch):
            dp.finish_output(batch, response)
        return
    assert dp.finish_output(batch, response) == b"".join(dumps(e) + b"\n" for e in expected)


# -- the reference's rows (6.6) ------------------------------------------------------------

def csv_dp(**kw: str) -> DataProcessing:
    return DataProcessing(content_type="text/csv", accept="text/csv", split_type="Line", **kw)


def test_6_6_csv_join_is_original_row_then_output() -> None:
    """Row 6.6: input [1,2,3], result [1] -> 1,2,3,1 (the original row, before InputFilter)."""
    dp = csv_dp(input_filter="$[1:]", join_source="Input")
    batch = one_batch(b"1,2,3\n")
    assert dp.filter_input(batch) == b"2,3\n"
    assert dp.finish_output(batch, b"1\n") == b"1,2,3,1\n"


def test_6_6_aws_sample_filters_id_and_prediction() -> None:
    """Row 6.6: the guide's sample, InputFilter $[1:] and OutputFilter $[0,-1]."""
    dp = csv_dp(input_filter="$[1:]", output_filter="$[0,-1]", join_source="Input")
    batch = one_batch(b"id1,5.1,3.5\nid2,4.9,3.0\n")
    assert dp.filter_input(batch) == b"5.1,3.5\n4.9,3.0\n"
    assert dp.finish_output(batch, b"0.9\n0.1\n") == b"id1,0.9\nid2,0.1\n"


def test_6_6_json_join_adds_sagemaker_output() -> None:
    """Row 6.6: {"key":1} + {"label":1} -> {"key":1,"SageMakerOutput":{"label":1}};
    an existing SageMakerOutput is overwritten; a non-object becomes SageMakerInput."""
    dp = DataProcessing(join_source="Input", content_type="application/jsonlines",
                        accept="application/jsonlines", split_type="Line")
    batch = one_batch(b'{"key":1}\n{"key":2,"SageMakerOutput":0}\n[3]\n')
    out = dp.finish_output(batch, b'{"label":1}\n{"label":0}\n{"label":3}\n')
    assert out == (b'{"key":1,"SageMakerOutput":{"label":1}}\n{"key":2,"SageMakerOutput":{"label":0}}\n'
                   b'{"SageMakerInput":[3],"SageMakerOutput":{"label":3}}\n')


def test_6_6_json_document_with_split_none_is_one_record() -> None:
    dp = DataProcessing(input_filter="$.features", output_filter="$['id','SageMakerOutput']",
                        join_source="Input", content_type="application/json", accept="application/json",
                        split_type="None")
    (batch,) = iter_minibatches([b'{"id":7,"features":[1,2]}'], split_type="None",
                                batch_strategy="MultiRecord", max_payload_bytes=100)
    assert dp.filter_input(batch) == b"[1,2]"
    assert dp.finish_output(batch, b'{"p":0.5}') == b'{"id":7,"SageMakerOutput":{"p":0.5}}'


def test_6_6_multiple_ranges_fail_with_the_service_text() -> None:
    """Row 6.6 (I-1112): the service's text for a path with two ranges."""
    with pytest.raises(UnsupportedJsonPath) as err:
        csv_dp(input_filter="$[0:2,246:]")
    assert str(err.value) == ("Invalid JsonPath: $[0:2,246:]: only single range filters of format "
                              "(eg: [1:5]) are supported. Format [0:2,246:] is not supported. "
                              "bte: the setting to fix is DataProcessing.InputFilter")


def test_6_6_nested_path_inside_brackets_is_unsupported() -> None:
    """Row 6.6: $.field1.['child1','child2'] is supported, ['child1','child2.grandchild'] is not."""
    assert parse_json_path("$.field1.['child1','child2']").select(
        {"field1": {"child1": 1, "child2": 2, "c3": 3}}) == {"child1": 1, "child2": 2}
    with pytest.raises(UnsupportedJsonPath, match="nested paths"):
        parse_json_path("$.field1.['child1','child2.grandchild']")


def test_6_6_subset_of_jsonpath() -> None:
    """Row 6.6: $, .name, *, ['a','b'], [i], [i,j,k], negative indexes, one slice."""
    doc = {"a": [10, 11, 12, 13, 14, 15], "b": {"c": 1}}
    assert parse_json_path("$").select(doc) == doc
    assert parse_json_path("$.b.c").select(doc) == 1
    assert parse_json_path("$.a[-1]").select(doc) == 15
    assert parse_json_path("$.a[0,2,-2]").select(doc) == [10, 12, 14]
    assert parse_json_path("$.*").select({"x": 1, "y": 2}) == [1, 2]
    assert parse_json_path("$[*]").select([1, 2]) == [1, 2]
    assert parse_json_path("$.a[:1]").select(doc) == [10, 11]
    assert parse_json_path("$.a[4:]").select(doc) == [14, 15]


def test_10_9_slice_end_is_inclusive() -> None:
    """Unknown 10.9 (bte's choice, per the guide's words): $[1:4] is the second through
    fifth columns; [:5] the first through the sixth."""
    assert SLICE_END_INCLUSIVE
    row = ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]
    assert parse_json_path("$[1:4]").select(row) == ["c2", "c3", "c4", "c5"]
    assert parse_json_path("$[:5]").select(row) == row[:6]


def test_6_6_output_filter_index_out_of_range_is_an_error() -> None:
    """Row 6.6: OutputFilter indexes outside the joined record -> error (naming batch and record)."""
    dp = csv_dp(output_filter="$[5]", join_source="Input")
    batch = one_batch(b"1,2\n")
    with pytest.raises(JsonPathIndexOutOfRange, match=r"s3://b/x.csv: mini-batch 0.*record 0.*index 5.*"
                                                      r"DataProcessing.OutputFilter$"):
        dp.finish_output(batch, b"9\n", source="s3://b/x.csv")


def test_6_6_output_filter_without_join_applies_to_the_output_alone() -> None:
    """Row 6.6 [UNK detail] (bte's choice): without JoinSource, OutputFilter sees the output record."""
    dp = csv_dp(output_filter="$[0]")
    assert dp.finish_output(one_batch(b"1,2\n3,4\n"), b"a,b\nc,d\n") == b"a\nc\n"


def test_6_6_record_count_mismatch_when_joining() -> None:
    """Row 6.6 [UNK] (bte's choice): a response with a different number of records fails."""
    dp = csv_dp(join_source="Input")
    with pytest.raises(RecordCountMismatch, match="request had 2 record.*response has 1"):
        dp.finish_output(one_batch(b"1\n2\n"), b"0.5\n")


def test_6_6_only_csv_and_json() -> None:
    """Row 6.6: DataProcessing works only for CSV and JSON / JSON Lines."""
    with pytest.raises(DataProcessingError, match="only on text/csv"):
        DataProcessing(input_filter="$[0]", content_type="image/png", accept=None, split_type="None")
    dp = DataProcessing(content_type="image/png", accept=None, split_type="None")
    assert dp.is_identity  # the defaults are fine for any content


def test_identity_is_a_pass_through() -> None:
    dp = csv_dp()
    batch = one_batch(b"1,2\n")
    assert dp.is_identity
    assert dp.filter_input(batch) is batch.body
    response = b"anything"
    assert dp.finish_output(batch, response) is response


def test_content_type_parameters_are_ignored() -> None:
    dp = DataProcessing(input_filter="$[0]", content_type="text/csv; charset=utf-8", accept=None,
                        split_type="Line")
    assert dp.filter_input(one_batch(b"1,2\n")) == b"1\n"


def test_6_6_csv_follows_rfc_4180() -> None:
    """Row 6.6: CSV must follow RFC 4180: a quoted cell with a comma is one cell."""
    dp = csv_dp(input_filter="$[1]")
    assert dp.filter_input(one_batch(b'"a,b",c\n"x ""y""",z\n')) == b"c\nz\n"
    dp = csv_dp(input_filter="$[0]")
    assert dp.filter_input(one_batch(b'"a,b",c\n')) == b'"a,b"\n'


def test_6_6_join_needs_one_format() -> None:
    """Row 6.6: for joins ContentType and Accept must agree (CSV with CSV, JSON with JSON)."""
    with pytest.raises(DataProcessingError, match="Make Accept the same as ContentType"):
        DataProcessing(join_source="Input", content_type="text/csv", accept="application/json",
                       split_type="Line")
