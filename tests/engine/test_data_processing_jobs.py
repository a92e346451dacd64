"""DataProcessing through the engine: InputFilter -> model -> JoinSource -> OutputFilter."""

from __future__ import annotations

import json

from emulator import run_transform_job
from emulator.engine import events as ev
from tests.engine.jobs import job_request


def test_csv_input_filter_join_and_output_filter(tmp_path, process_target):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "rows.csv").write_text("id1,1,2\nid2,3,4\n")
    request = job_request(
        "csv-join", str(tmp_path / "in"), str(tmp_path / "out"),
        TransformOutput={"Accept": "text/csv"},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    )
    result = run_transform_job(request, **process_target.kwargs("echo"))
    assert result.status == "Completed", result.failure_reason
    # echo returns the filtered row (1,2); joined: id1,1,2,1,2; OutputFilter keeps the id and the last column
    assert (tmp_path / "out" / "rows.csv.out").read_text() == "id1,2\nid2,4\n"


def test_json_lines_join_puts_the_output_under_sagemaker_output(tmp_path, process_target):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "r.jsonl").write_text('{"id": 1, "text": "great app, love it"}\n')
    request = job_request(
        "json-join", str(tmp_path / "in"), str(tmp_path / "out"), ModelName="review-sentiment",
        TransformInput={"ContentType": "application/jsonlines"},
        TransformOutput={"Accept": "application/jsonlines"},
        DataProcessing={"JoinSource": "Input", "OutputFilter": "$['id','SageMakerOutput']"},
    )
    result = run_transform_job(request, **process_target.kwargs("review-sentiment", model_name="review-sentiment"))
    assert result.status == "Completed", result.failure_reason
    [line] = (tmp_path / "out" / "r.jsonl.out").read_text().splitlines()
    record = json.loads(line)
    assert record["id"] == 1 and record["SageMakerOutput"]["label"] == "positive"
    assert set(record) == {"id", "SageMakerOutput"}


def test_multi_range_json_path_is_accepted_then_fails_each_file_as_the_service_does(tmp_path, process_target):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "t.csv").write_text("1,2,3\n")
    request = job_request("bad-path", str(tmp_path / "in"), str(tmp_path / "out"),
                          DataProcessing={"InputFilter": "$[0:2,246:]"})
    result = run_transform_job(request, **process_target.kwargs("echo"))
    assert result.status == "Failed"
    assert result.failure_reason == "ClientError: See job logs for more information"
    text = ("Invalid JsonPath: $[0:2,246:]: only single range filters of format (eg: [1:5]) are supported. "
            "Format [0:2,246:] is not supported")
    assert result.failure_detail.endswith(f"t.csv: {text}. bte: the setting to fix is DataProcessing.InputFilter")
    # the service writes its text, and only its text, to the data log (sagemaker-python-sdk issue 1112)
    data_log = [e.line for e in result.log.of(ev.InstanceLog) if e.is_data_log]
    assert any(line.endswith(f":[sagemaker logs]: {tmp_path / 'in' / 't.csv'}: {text}") for line in data_log), data_log
