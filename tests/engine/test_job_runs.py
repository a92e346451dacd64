"""End-to-end jobs against real model servers: the echo and review-sentiment samples,
as a local process and inside Docker, observed from outside through their outputs, the
event stream and what the container itself saw."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from emulator import run_transform_job
from emulator.engine import events as ev
from tests.engine.jobs import SAMPLES, ContainerProbe, job_request

MiB = 1 << 20


def write_lines(path: Path, count: int, width: int = 20) -> bytes:
    data = b"".join(f"{i},{'x' * width}\n".encode() for i in range(count))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def test_review_sentiment_labels_every_review_in_order(tmp_path, target):
    src = tmp_path / "in" / "reviews.jsonl"
    src.parent.mkdir()
    reviews = [
        {"id": 1, "text": "I love this app, it is wonderful and fast"},
        {"id": 2, "text": "terrible update, it crashes constantly and I want a refund"},
        {"id": 3, "text": "great design, works perfectly every day"},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in reviews))
    request = job_request(
        "reviews", str(tmp_path / "in"), str(tmp_path / "out"), ModelName="review-sentiment",
        TransformInput={"ContentType": "application/jsonlines"},
        TransformOutput={"Accept": "application/jsonlines"},
    )
    result = run_transform_job(request, **target.kwargs("review-sentiment", model_name="review-sentiment"))
    assert result.status == "Completed", result.failure_reason
    lines = (tmp_path / "out" / "reviews.jsonl.out").read_text().splitlines()
    labels = [json.loads(line)["label"] for line in lines]
    assert labels == ["positive", "negative", "positive"]


def test_environment_job_wins_over_model_and_platform_vars_only_when_set(tmp_path, target):
    write_lines(tmp_path / "in" / "a.csv", 10)
    probe = ContainerProbe()
    request = job_request(
        "env-precedence", str(tmp_path / "in"), str(tmp_path / "out"),
        Environment={"SHARED": "from-job", "JOB_ONLY": "j"}, MaxPayloadInMB=2,
    )
    kwargs = target.kwargs("echo", env={"SHARED": "from-model", "MODEL_ONLY": "m"})
    result = run_transform_job(request, listeners=[probe], **kwargs)
    assert result.status == "Completed", result.failure_reason
    [stats] = probe.stats.values()
    env = stats["env"]
    assert env["SHARED"] == "from-job"
    assert env["MODEL_ONLY"] == "m" and env["JOB_ONLY"] == "j"
    assert env["SAGEMAKER_BATCH"] == "true"
    assert env["SAGEMAKER_MAX_PAYLOAD_IN_MB"] == "2"
    assert "SAGEMAKER_BATCH_STRATEGY" not in env
    assert "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS" not in env


def test_execution_parameters_come_from_the_container_when_the_request_is_silent(tmp_path, process_target):
    write_lines(tmp_path / "in" / "a.csv", 12)
    probe = ContainerProbe()
    container_says = {"MaxConcurrentTransforms": 3, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 1}
    kwargs = process_target.kwargs("echo", env={"ECHO_EXECUTION_PARAMETERS": json.dumps(container_says)})
    request = job_request("params-container", str(tmp_path / "in"), str(tmp_path / "out"))
    result = run_transform_job(request, listeners=[probe], **kwargs)
    assert result.status == "Completed", result.failure_reason
    [resolved] = result.log.of(ev.ParametersResolved)
    assert (resolved.max_concurrent_transforms, resolved.batch_strategy, resolved.max_payload_in_mb) == (
        3, "SingleRecord", 1)
    assert set(resolved.sources.values()) == {"container"}
    [stats] = probe.stats.values()
    assert stats["requests"] == 12  # one record a request: the container's SINGLE_RECORD won


def test_a_slow_but_valid_execution_parameters_answer_is_used_not_dropped(tmp_path, process_target):
    """It used to be fetched with the 2 s ping time-out: a later answer was dropped without a
    word and the job ran on the defaults."""
    write_lines(tmp_path / "in" / "a.csv", 4)
    container_says = {"MaxConcurrentTransforms": 2, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 1}
    kwargs = process_target.kwargs("echo", env={"ECHO_EXECUTION_PARAMETERS": json.dumps(container_says),
                                                "ECHO_EXECUTION_PARAMETERS_DELAY_S": "3"})
    result = run_transform_job(job_request("params-slow", str(tmp_path / "in"), str(tmp_path / "out")), **kwargs)
    assert result.status == "Completed", result.failure_reason
    [resolved] = result.log.of(ev.ParametersResolved)
    assert (resolved.max_concurrent_transforms, resolved.batch_strategy, resolved.max_payload_in_mb) == (
        2, "SingleRecord", 1)


def test_request_beats_container_and_defaults_fill_the_rest(tmp_path, target):
    data = write_lines(tmp_path / "in" / "a.csv", 3000, width=1000)  # ~3 MB
    probe = ContainerProbe()
    kwargs = target.kwargs("echo", env={"ECHO_EXECUTION_PARAMETERS": "null"})  # 404: defaults
    request = job_request(
        "params-request", str(tmp_path / "in"), str(tmp_path / "out"),
        BatchStrategy="MultiRecord", MaxPayloadInMB=1,
    )
    result = run_transform_job(request, listeners=[probe], **kwargs)
    assert result.status == "Completed", result.failure_reason
    [resolved] = result.log.of(ev.ParametersResolved)
    assert resolved.sources == {
        "MaxConcurrentTransforms": "default", "BatchStrategy": "request", "MaxPayloadInMB": "request"}
    [stats] = probe.stats.values()
    assert stats["requests"] >= 3
    assert max(stats["sizes"]) <= 1 * MiB  # never over MaxPayloadInMB
    assert max(stats["sizes"]) > MiB // 2  # and MultiRecord fills them
    assert stats["max_in_flight"] == 1  # the default concurrency
    assert (tmp_path / "out" / "a.csv.out").read_bytes() == data


def test_concurrency_reaches_but_never_exceeds_max_concurrent_transforms(tmp_path, target):
    write_lines(tmp_path / "in" / "a.csv", 40)
    probe = ContainerProbe()
    kwargs = target.kwargs("echo", env={"ECHO_LATENCY_MS": "100"})
    request = job_request(
        "concurrency", str(tmp_path / "in"), str(tmp_path / "out"),
        BatchStrategy="SingleRecord", MaxConcurrentTransforms=4,
    )
    result = run_transform_job(request, listeners=[probe], **kwargs)
    assert result.status == "Completed", result.failure_reason
    [stats] = probe.stats.values()
    assert stats["max_in_flight"] == 4
    assert stats["requests"] == 40


def test_two_instances_share_four_files_each_file_whole_on_one(tmp_path, target):
    inputs = {f"part-{i}.csv": write_lines(tmp_path / "in" / f"part-{i}.csv", 50 + i) for i in range(4)}
    request = job_request(
        "two-instances", str(tmp_path / "in"), str(tmp_path / "out"),
        TransformResources={"InstanceCount": 2}, BatchStrategy="SingleRecord",
    )
    result = run_transform_job(request, **target.kwargs("echo"))
    assert result.status == "Completed", result.failure_reason
    instances_per_file: dict[str, set[str]] = {}
    for sent in result.log.of(ev.MiniBatchSent):
        instances_per_file.setdefault(Path(sent.source).name, set()).add(sent.instance)
    assert all(len(v) == 1 for v in instances_per_file.values()), instances_per_file
    assert len(set().union(*instances_per_file.values())) == 2
    for name, data in inputs.items():
        assert (tmp_path / "out" / f"{name}.out").read_bytes() == data


def test_container_that_never_becomes_healthy_fails_the_job_with_its_logs(tmp_path, target):
    write_lines(tmp_path / "in" / "a.csv", 5)
    request = job_request("never-healthy", str(tmp_path / "in"), str(tmp_path / "out"))
    kwargs = target.kwargs("echo", env={"ECHO_NEVER_HEALTHY": "1"})
    result = run_transform_job(request, ping_timeout_s=3, **kwargs)
    assert result.status == "Failed"
    assert result.failure_reason == (
        "AlgorithmError: Model container failed to respond to ping. "
        "Please ensure /ping endpoint is implemented and responds with an HTTP 200 status code")
    assert "never-healthy-1" in result.failure_detail and "--ping-timeout" in result.failure_detail
    assert not (tmp_path / "out" / "a.csv.out").exists()


def test_a_failing_mini_batch_fails_its_file_and_the_job_other_files_finish(tmp_path, target):
    write_lines(tmp_path / "in" / "a.csv", 3)
    b = write_lines(tmp_path / "in" / "b.csv", 2)
    request = job_request(
        "one-batch-fails", str(tmp_path / "in"), str(tmp_path / "out"),
        BatchStrategy="SingleRecord", MaxConcurrentTransforms=1,
        ModelClientConfig={"InvocationsMaxRetries": 0},
    )
    kwargs = target.kwargs("echo", env={"ECHO_FAIL_EVERY_N": "3"})
    result = run_transform_job(request, **kwargs)
    assert result.status == "Failed"
    assert result.failure_reason == "AlgorithmError: See job logs for more information"
    detail = result.failure_detail
    assert "a.csv: mini-batch 2" in detail, detail
    assert "Bad HTTP status received from algorithm: 500" in detail
    # the job's data log says it as the service's does: "<object>: <what happened>"
    data_log = [e.line for e in result.log.of(ev.InstanceLog) if e.is_data_log and "[sagemaker logs]" in e.line]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}:\[sagemaker logs\]: "
                        r"MaxConcurrentTransforms=1, MaxPayloadInMB=6, BatchStrategy=SINGLE_RECORD", data_log[0])
    assert any(line.endswith(f":[sagemaker logs]: {tmp_path / 'in' / 'a.csv'}: Bad HTTP status received from "
                             "algorithm: 500") for line in data_log), data_log
    assert not (tmp_path / "out" / "a.csv.out").exists()
    assert (tmp_path / "out" / "b.csv.out").read_bytes() == b
    assert not list((tmp_path / "out").glob(".*"))  # no temp files left behind


def test_outputs_are_byte_identical_between_runtimes(tmp_path, process_target, docker_target):
    src = SAMPLES / "tabular-regression" / "data"
    rows = b"".join(f"{i * 0.5},{i % 7},{(i * 3) % 11},{i / 10}\n".encode() for i in range(200))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "rows.csv").write_bytes(rows)
    outputs = []
    for name, t in (("process", process_target), ("docker", docker_target)):
        request = job_request(f"same-bytes-{name}", str(tmp_path / "in"), str(tmp_path / name),
                              ModelName="tabular-regression", MaxConcurrentTransforms=2)
        result = run_transform_job(request, **t.kwargs("tabular-regression", model_name="tabular-regression"))
        assert result.status == "Completed", result.failure_reason
        outputs.append((tmp_path / name / "rows.csv.out").read_bytes())
    assert src.exists()
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == 200


def test_an_oversize_record_fails_its_file_naming_record_offset_size_and_limit(tmp_path, process_target):
    big = b"y" * (MiB + 10) + b"\n"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_bytes(b"1\n2\n" + big + b"3\n")
    ok = write_lines(tmp_path / "in" / "b.csv", 3)
    request = job_request("too-big", str(tmp_path / "in"), str(tmp_path / "out"), MaxPayloadInMB=1)
    result = run_transform_job(request, **process_target.kwargs("echo"))
    assert result.status == "Failed"
    assert result.failure_reason == "ClientError: See job logs for more information"
    assert "a.csv: record 2 (0-based) at byte offset 4 is 1048587 bytes" in result.failure_detail
    assert "Raise MaxPayloadInMB" in result.failure_detail
    assert not (tmp_path / "out" / "a.csv.out").exists()
    assert (tmp_path / "out" / "b.csv.out").read_bytes() == ok


def test_a_container_that_crashes_mid_job_fails_the_job_naming_the_mini_batch(tmp_path, target):
    write_lines(tmp_path / "in" / "a.csv", 6)
    request = job_request(
        "crashes", str(tmp_path / "in"), str(tmp_path / "out"),
        BatchStrategy="SingleRecord", MaxConcurrentTransforms=1, ModelClientConfig={"InvocationsMaxRetries": 1},
    )
    result = run_transform_job(request, **target.kwargs("echo", env={"ECHO_CRASH_AFTER_N": "2", "ECHO_LATENCY_MS": "300"}))
    assert result.status == "Failed"
    assert result.failure_reason == "AlgorithmError: See job logs for more information"
    assert "a.csv: mini-batch 2" in result.failure_detail
    assert "Unable to get response from algorithm" in result.failure_detail
    assert "The instance crashes-1 exited with code 1; last log lines:" in result.failure_detail
    assert not (tmp_path / "out" / "a.csv.out").exists()
