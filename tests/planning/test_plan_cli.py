"""`bte plan` as a user runs it: per input, what the run will do; --json, --sample,
--container-parameters and the DataProcessing preview."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.engine.jobs import SAMPLES, job_request
from tests.planning.helpers import write_inputs


def bte_plan(tmp_path, files, *args, **overrides):
    folder = write_inputs(tmp_path / "in", files)
    job = tmp_path / "job.json"
    job.write_text(json.dumps(job_request("cli-plan", str(folder) + "/", str(tmp_path / "out"), **overrides)))
    done = subprocess.run([sys.executable, "-m", "emulator.cli", "plan", str(job), "--model-dir",
                           str(SAMPLES / "echo"), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_text_plan_shows_each_input_its_instance_batches_and_first_bytes(tmp_path):
    big = b"1,2.5\n" * 400_000  # 2.4 MB: three mini-batches under MaxPayloadInMB 1
    out = bte_plan(tmp_path, {"a.csv": big, "b.csv": b"id,x\n1,2\n"}, MaxPayloadInMB=1,
                   TransformResources={"InstanceCount": 2})
    assert "a.csv -> cli-plan-1: 2.3 MB (2400000 bytes), 400000 record(s), 3 mini-batch(es)" in out
    assert "b.csv -> cli-plan-2: 9 bytes, 2 record(s), 1 mini-batch(es)" in out
    assert "first mini-batch starts: '1,2.5\\n1,2.5\\n" in out
    assert "BatchStrategy not set by the request: the container's /execution-parameters may change it" in out
    assert "warning:" in out and "b.csv: the first line looks like a CSV header" in out


def test_json_gives_every_mini_batch_and_both_parameter_sets(tmp_path):
    body = b"1,2\n" * 30_000
    out = json.loads(bte_plan(tmp_path, {"a.csv": body}, "--json", "--batches", "--container-parameters",
                              '{"BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 2}'))
    assert out["ContainerMayChange"] == ["BatchStrategy", "MaxPayloadInMB"]
    first, second = out["Scenarios"]
    assert (first["BatchStrategy"], first["MaxPayloadInMB"]) == ("MultiRecord", 6)
    assert first["Inputs"][0]["MiniBatches"] == 1 and first["Inputs"][0]["Records"] == 30_000
    assert (second["BatchStrategy"], second["MaxPayloadInMB"]) == ("SingleRecord", 2)
    batches = second["Inputs"][0]["Batches"]
    assert len(batches) == 30_000 and batches[1] == {"Index": 1, "Start": 4, "End": 8, "Records": 1,
                                                       "SentBytes": 4}


def test_sample_reads_only_the_first_mini_batches(tmp_path):
    body = b"1,2\n" * 600_000  # 2.4 MB
    out = json.loads(bte_plan(tmp_path, {"a.csv": body}, "--json", "--sample", "1", MaxPayloadInMB=1))
    item = out["Scenarios"][0]["Inputs"][0]
    assert item["MiniBatches"] == 1 and item["Complete"] is False and item["Bytes"] <= 1 << 20
    text = bte_plan(tmp_path / "t", {"a.csv": body}, "--sample", "1", MaxPayloadInMB=1)
    assert ">=1 mini-batch(es)" in text and "--sample 1" in text


def test_data_processing_preview_on_the_first_record(tmp_path):
    rows = b'{"id": 1, "features": [0.5, 2]}\n{"id": 2, "features": [1, 3]}\n'
    out = bte_plan(tmp_path, {"a.jsonl": rows}, "--sample-answer", '{"label": 1}',
                   TransformInput={"ContentType": "application/jsonlines"},
                   TransformOutput={"Accept": "application/jsonlines"},
                   DataProcessing={"InputFilter": "$.features", "JoinSource": "Input",
                                   "OutputFilter": "$['id','SageMakerOutput']"})
    assert "after InputFilter:  '[0.5,2]\\n'" in out
    assert 'written to .out:    \'{"id":1,"SageMakerOutput":{"label":1}}\\n\'' in out
    assert "first mini-batch starts: '[0.5,2]\\n[1,3]\\n'" in out  # what the container receives


def test_split_type_none_is_one_request_per_file_against_the_limit(tmp_path):
    none = {"TransformInput": {"SplitType": "None", "ContentType": "application/octet-stream"}}
    out = bte_plan(tmp_path, {"a.bin": b"x" * 1000, "b.bin": b"y" * ((1 << 20) + 1)}, MaxPayloadInMB=1, **none)
    assert "a.bin -> cli-plan-1: one request (SplitType None) of 1000 bytes, within the 1.0 MB" in out
    assert "b.bin -> cli-plan-1: 1.0 MB (1048577 bytes) stored; the run will fail this file" in out
    assert "ObjectTooLarge" not in out and "SplitType None sends it whole" in out
    streamed = bte_plan(tmp_path / "s", {"a.bin": b"x" * 1000}, MaxPayloadInMB=0, **none)
    assert "a.bin -> cli-plan-1: 1000 bytes, one request, streamed (MaxPayloadInMB 0)" in streamed


def test_many_inputs_are_summed_per_instance(tmp_path):
    files = {f"f{i:02d}.csv": b"1,2\n" * (i + 1) for i in range(52)}
    out = bte_plan(tmp_path, files, TransformResources={"InstanceCount": 2})
    assert out.count(" -> cli-plan-") == 50 and "... and 2 more input(s) (--json lists every one)" in out
    odd, even = sum(range(1, 53, 2)), sum(range(2, 53, 2))  # records: file i has i + 1 rows
    assert f"cli-plan-1: 26 file(s), 2.6 KB ({odd * 4} bytes), {odd} record(s), 26 mini-batch(es)" in out
    assert f"cli-plan-2: 26 file(s), 2.7 KB ({even * 4} bytes), {even} record(s), 26 mini-batch(es)" in out
