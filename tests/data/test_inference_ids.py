"""GenerateInferenceId on output records, byte by byte (emulator/data/inference_ids.py)."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.data import DataProcessingError, InferenceIds
from emulator.data.inference_ids import inference_time

TIME = "2022-08-30T00:49:15Z"


def ids(output_type: str, per_line: bool = True) -> InferenceIds:
    counter = itertools.count(1)
    return InferenceIds(output_type, per_line=per_line, time=TIME, new_id=lambda: f"id{next(counter)}")


def test_csv_rows_get_two_columns_and_keep_their_line_ends():
    assert ids("text/csv").apply(b"0\r\n1,2\n\n3") == (
        b"0,id1,2022-08-30T00:49:15Z\r\n1,2,id2,2022-08-30T00:49:15Z\n\n3,id3,2022-08-30T00:49:15Z")


def test_json_lines_objects_get_the_two_keys_after_their_own_without_reserializing():
    out = ids("application/jsonlines").apply(b'{"score": 0.10}\n{}\n[1, 2]\n')
    assert out.splitlines() == [
        b'{"score": 0.10, "SageMakerInferenceId": "id1", "SageMakerInferenceTime": "2022-08-30T00:49:15Z"}',
        b'{"SageMakerInferenceId": "id2", "SageMakerInferenceTime": "2022-08-30T00:49:15Z"}',
        b'{"SageMakerOutput": [1, 2], "SageMakerInferenceId": "id3", "SageMakerInferenceTime": "2022-08-30T00:49:15Z"}',
    ]


def test_a_json_answer_is_one_record_unless_records_are_lines():
    pretty = b'{\n  "scores": [1, 2]\n}\n'
    record = json.loads(ids("application/json", per_line=False).apply(pretty))
    assert record == {"scores": [1, 2], "SageMakerInferenceId": "id1", "SageMakerInferenceTime": TIME}


def test_an_answer_that_is_not_json_fails_naming_the_file():
    with pytest.raises(DataProcessingError, match="a.jsonl: GenerateInferenceId: an output record is not JSON"):
        ids("application/jsonlines").apply(b"not json\n", "a.jsonl")


def test_only_the_services_formats_get_ids():
    assert InferenceIds.for_output("application/x-recordio-protobuf", None, "Line", 0.0) is None
    assert InferenceIds.for_output(None, "text/csv; charset=utf-8", "None", 0.0) is not None
    assert inference_time(1661820555.9) == TIME


@given(st.lists(st.lists(st.integers(0, 99), min_size=1, max_size=4), max_size=20))
def test_csv_records_are_kept_whole_and_in_order(rows):
    body = b"".join(b",".join(b"%d" % v for v in row) + b"\n" for row in rows)
    out = ids("text/csv").apply(body).decode().splitlines()
    assert [line.rsplit(",", 2)[0] for line in out] == [",".join(map(str, row)) for row in rows]
    assert all(line.endswith(f",{TIME}") for line in out)
