"""Batch data capture (DataCaptureConfig) against a real container and a real S3 server: the
input and output manifests under DestinationS3Uri/{input,output}/yyyy/mm/dd/hh/, and
GenerateInferenceId's id and time on every output record (CSV, JSON Lines after JoinSource
and OutputFilter, JSON)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

from emulator import run_transform_job
from tests.engine.jobs import job_request

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def capture_job(name: str, bucket: str, generate: bool = True, **overrides):
    return job_request(name, f"s3://{bucket}/in/", f"s3://{bucket}/out/",
                       DataCaptureConfig={"DestinationS3Uri": f"s3://{bucket}/capture",
                                          "GenerateInferenceId": generate}, **overrides)


def run_on_s3(s3_server, bucket, request, docker_target, key, body):
    s3 = s3_server.client()
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    result = run_transform_job(request, s3_endpoint_url=s3_server.endpoint_url, **docker_target.kwargs("echo"))
    assert result.status == "Completed", (result.failure_reason, result.failure_detail)
    start = result.describe()["TransformStartTime"]
    output = s3.get_object(Bucket=bucket, Key=f"out/{key.removeprefix('in/')}.out")["Body"].read()
    return result, start, output


def test_manifests_and_inference_ids_for_csv(s3_server, s3_bucket, docker_target):
    request = capture_job("capture-csv", s3_bucket)
    _, start, output = run_on_s3(s3_server, s3_bucket, request, docker_target, "in/data.csv", b"1,a\n2,b\n")

    hour = start.astimezone(dt.timezone.utc).strftime("%Y/%m/%d/%H")
    s3 = s3_server.client()
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="capture/")["Contents"])
    assert keys == [f"capture/input/{hour}/capture-csv.manifest", f"capture/output/{hour}/capture-csv.manifest"]
    manifests = [json.loads(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()) for key in keys]
    assert manifests == [[{"prefix": f"s3://{s3_bucket}/in/"}, "data.csv"],
                         [{"prefix": f"s3://{s3_bucket}/out/"}, "data.csv.out"]]

    rows = output.decode().splitlines()
    time = start.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = []
    for row, expected in zip(rows, ("1,a", "2,b")):
        record, inference_id, when = row.rsplit(",", 2)
        assert record == expected and when == time
        assert uuid.UUID(inference_id).version == 4
        ids.append(inference_id)
    assert len(rows) == 2 and len(set(ids)) == 2


def test_inference_ids_come_after_join_source_and_output_filter(s3_server, s3_bucket, docker_target):
    lines = b'{"id": 1, "text": "good"}\n{"id": 2, "text": "bad"}\n'
    request = capture_job(
        "capture-jsonl", s3_bucket,
        TransformInput={"ContentType": "application/jsonlines"},
        TransformOutput={"Accept": "application/jsonlines"},
        DataProcessing={"JoinSource": "Input", "OutputFilter": "$['id','SageMakerOutput']"})
    _, _, output = run_on_s3(s3_server, s3_bucket, request, docker_target, "in/data.jsonl", lines)
    records = [json.loads(line) for line in output.decode().splitlines()]
    assert [list(r) for r in records] == [["id", "SageMakerOutput", "SageMakerInferenceId", "SageMakerInferenceTime"]] * 2
    assert [r["SageMakerOutput"] for r in records] == [{"id": 1, "text": "good"}, {"id": 2, "text": "bad"}]
    assert all(re.fullmatch(TIME, r["SageMakerInferenceTime"]) for r in records)


def test_a_json_answer_is_one_record(s3_server, s3_bucket, docker_target):
    request = capture_job("capture-json", s3_bucket,
                          TransformInput={"ContentType": "application/json", "SplitType": "None"},
                          TransformOutput={"Accept": "application/json", "AssembleWith": "None"})
    _, _, output = run_on_s3(s3_server, s3_bucket, request, docker_target, "in/doc.json", b'{"scores": [0.1, 0.9]}')
    record = json.loads(output)
    assert list(record) == ["scores", "SageMakerInferenceId", "SageMakerInferenceTime"]
    assert output.startswith(b'{"scores": [0.1, 0.9], "SageMakerInferenceId": "')  # the model's bytes kept


def test_without_generate_inference_id_outputs_are_the_models_bytes(s3_server, s3_bucket, docker_target):
    request = capture_job("capture-plain", s3_bucket, generate=False)
    _, _, output = run_on_s3(s3_server, s3_bucket, request, docker_target, "in/data.csv", b"1,a\n")
    assert output == b"1,a\n"
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_bucket, Prefix="capture/")["Contents"]]
    assert len(keys) == 2
