"""The plan and a real run agree on every mini-batch: how many, which bytes, which instance.

Each job runs for real on the local-process runtime with the recorder model
(tests/planning/recorder), which keeps every body it receives: the bodies each instance
received must be exactly the input's bytes over the ranges the plan predicted for that
instance, and the engine's MiniBatchSent events must name the same mini-batches, instances
and sizes. Parameters are fixed by the request (the recorder has no /execution-parameters).
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import data
from emulator.engine import events as ev
from emulator.planning import Survey, survey
from emulator.storage.uri import local_path
from emulator.transform import PreparedJob, prepare, run_prepared
from tests.engine.jobs import REPO, SAMPLES, job_request
from tests.planning.helpers import write_inputs

RECORDER = Path(__file__).parent / "recorder"


def plan_and_run(root: Path, files: dict[str, bytes], **overrides: Any) -> tuple[PreparedJob, Survey, Any]:
    folder = write_inputs(root / "in", files)
    request = job_request("agree", str(folder) + "/", str(root / "out"),
                          Environment={"RECORD_DIR": str(root / "received")}, **overrides)
    prepared = prepare(request, model_dir=str(RECORDER), runtime="process")
    found = survey(prepared.plan, keep_spans=True)
    result = run_prepared(prepared, ping_timeout_s=60)
    assert result.status == "Completed", result.failure_reason
    return prepared, found, result


def assert_plan_agrees_with_run(root: Path, prepared: PreparedJob, found: Survey, result: Any) -> None:
    plan, spec = prepared.plan, prepared.spec
    scans = found.scenarios[0].scans
    processing = data.DataProcessing(input_filter=spec.input_filter, content_type=spec.content_type,
                                     accept=spec.accept, split_type=spec.split_type)
    planned: dict[tuple[str, int], tuple[str, int]] = {}
    expected: dict[str, list[bytes]] = defaultdict(list)
    for obj in plan.inputs:
        stored = Path(local_path(obj.uri)).read_bytes()
        content = gzip.decompress(stored) if spec.compression_type == "Gzip" else stored
        instance = found.instance_of[obj.uri]
        spans = scans[obj.uri].spans
        assert spans is not None and scans[obj.uri].complete
        assert [(s.start, s.end) for s in spans] == list(zip([0] + [s.end for s in spans[:-1]], [s.end for s in spans]))
        assert not spans or spans[-1].end == len(content)
        for span in spans:
            batch = data.MiniBatch(span.index, content[span.start:span.end], 0, span.records, span.start, span.end)
            expected[instance].append(processing.filter_input(batch))
            planned[(obj.display_name, span.index)] = (instance, span.sent_bytes)
    sent = {(e.source, e.batch): (e.instance, e.bytes) for e in result.log.of(ev.MiniBatchSent)}
    assert sent == planned
    ports = {e.instance: urlparse(e.url).port for e in result.log.of(ev.InstanceStarted)}
    for instance in plan.instance_names:
        folder = root / "received" / str(ports[instance])
        received = sorted(p.read_bytes() for p in folder.glob("*.bin")) if folder.exists() else []
        assert received == sorted(expected[instance]), instance


def lines(n: int, width: int, seed: int = 0) -> bytes:
    return b"".join(b"%d," % (seed + i) + b"x" * (width + (i * 7919) % width) + b"\n" for i in range(n))


JOBS = {
    "two instances, MultiRecord": (
        {"a.csv": lines(9000, 120), "b.csv": lines(30, 50), "c.csv": lines(20000, 90, 7), "d.csv": b""},
        dict(TransformResources={"InstanceCount": 2}, BatchStrategy="MultiRecord", MaxPayloadInMB=1,
             MaxConcurrentTransforms=3)),
    "SingleRecord": (
        {"a.csv": lines(40, 30), "b.csv": b"1\n\n2\r\n3"},
        dict(TransformResources={"InstanceCount": 2}, BatchStrategy="SingleRecord", MaxPayloadInMB=1)),
    "RecordIO": (
        {"a.rec": b"".join(data.recordio_encode(b"r%d" % i * (i % 997 + 1)) for i in range(4000))},
        dict(TransformInput={"SplitType": "RecordIO", "ContentType": "application/x-recordio"},
             BatchStrategy="MultiRecord", MaxPayloadInMB=1)),
    "Gzip": (
        {"a.csv.gz": gzip.compress(lines(15000, 100), mtime=0)},
        dict(TransformInput={"CompressionType": "Gzip"}, BatchStrategy="MultiRecord", MaxPayloadInMB=1)),
    "SplitType None": (
        {"a.bin": bytes(range(256)) * 100, "b.bin": b"x" * 1000},
        dict(TransformInput={"SplitType": "None", "ContentType": "application/octet-stream"},
             BatchStrategy="MultiRecord", MaxPayloadInMB=1, TransformOutput={"AssembleWith": "None"})),
    "InputFilter": (
        {"a.jsonl": b"".join(json.dumps({"id": i, "features": [i, i * 2] * 40}).encode() + b"\n"
                             for i in range(6000))},
        dict(TransformInput={"ContentType": "application/jsonlines"}, DataProcessing={"InputFilter": "$.features"},
             BatchStrategy="MultiRecord", MaxPayloadInMB=1)),
}


@pytest.mark.parametrize("name", list(JOBS))
def test_plan_predicts_every_mini_batch_of_a_real_run(tmp_path, name):
    files, overrides = JOBS[name]
    prepared, found, result = plan_and_run(tmp_path, files, **overrides)
    assert_plan_agrees_with_run(tmp_path, prepared, found, result)


def test_the_quickstart_job_runs_as_planned(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    request = json.loads((REPO / "examples" / "quickstart" / "job.json").read_text())
    request["TransformOutput"]["S3OutputPath"] = str(tmp_path / "out")
    prepared = prepare(request, model_dir=str(SAMPLES / "review-sentiment"), runtime="process")
    found = survey(prepared.plan, keep_spans=True)
    result = run_prepared(prepared, ping_timeout_s=60)
    assert result.status == "Completed", result.failure_reason
    scans = found.scenarios[0].scans
    planned = {(obj.display_name, s.index): (found.instance_of[obj.uri], s.sent_bytes, s.records)
               for obj in prepared.plan.inputs for s in scans[obj.uri].spans or []}
    sent = {(e.source, e.batch): (e.instance, e.bytes, e.records) for e in result.log.of(ev.MiniBatchSent)}
    assert sent == planned and len(sent) >= 1


line_lengths = st.lists(st.integers(0, 400_000), min_size=0, max_size=10)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(st.tuples(line_lengths, st.booleans()), min_size=1, max_size=3),
       instances=st.integers(1, 3), strategy=st.sampled_from(["MultiRecord", "SingleRecord"]),
       payload_mb=st.integers(1, 2))
def test_plan_agrees_with_run_on_generated_inputs(files, instances, strategy, payload_mb):
    contents = {}
    for i, (lengths, final_newline) in enumerate(files):
        body = b"".join(b"%d" % (n % 10) * n + b"\n" for n in lengths)
        contents[f"f{i}.csv"] = body if final_newline else body[:-1]
    root = Path(tempfile.mkdtemp(prefix="bte-agree-"))
    try:
        prepared, found, result = plan_and_run(
            root, contents, TransformResources={"InstanceCount": instances}, BatchStrategy=strategy,
            MaxPayloadInMB=payload_mb, MaxConcurrentTransforms=2)
        assert_plan_agrees_with_run(root, prepared, found, result)
    finally:
        shutil.rmtree(root, ignore_errors=True)
