"""The plan is pure: the same request and listing always give the same plan."""

from __future__ import annotations

from emulator.plan import (
    assign_files,
    instance_names,
    merge_environment,
    parse_container_parameters,
    resolve_execution_parameters,
)
from emulator.spec import parse_transform_job
from emulator.storage import InputObject
from tests.engine.jobs import job_request


def spec(**overrides):
    return parse_transform_job(job_request("plan-job", "/data/in", "/data/out", **overrides), allow_local_uris=True)


def objs(n: int) -> list[InputObject]:
    return [InputObject(uri=f"file:///d/{i}.csv", relative_name=f"{i}.csv", size=10, display_name=f"/d/{i}.csv")
            for i in range(n)]


def test_files_are_dealt_round_robin_and_never_split():
    names = instance_names("j", 2)
    assert names == ("j-1", "j-2")
    got = assign_files(objs(5), names)
    assert [o.relative_name for o in got["j-1"]] == ["0.csv", "2.csv", "4.csv"]
    assert [o.relative_name for o in got["j-2"]] == ["1.csv", "3.csv"]
    assert assign_files(objs(1), instance_names("j", 3))["j-3"] == ()


def test_environment_job_over_model_platform_last_with_sources():
    env = merge_environment({"A": "model", "B": "model"}, spec(Environment={"A": "job"}, MaxPayloadInMB=4))
    assert (env["A"].value, env["A"].source) == ("job", "job")
    assert (env["B"].value, env["B"].source) == ("model", "model")
    assert (env["SAGEMAKER_BATCH"].value, env["SAGEMAKER_BATCH"].source) == ("true", "platform")
    assert env["SAGEMAKER_MAX_PAYLOAD_IN_MB"].value == "4"
    assert "SAGEMAKER_BATCH_STRATEGY" not in env and "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS" not in env
    env = merge_environment({}, spec(BatchStrategy="SingleRecord", MaxConcurrentTransforms=3))
    assert env["SAGEMAKER_BATCH_STRATEGY"].value == "SINGLE_RECORD"
    assert env["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"].value == "3"


def test_execution_parameters_request_then_container_then_default():
    p = resolve_execution_parameters(spec(MaxPayloadInMB=2), {"MaxPayloadInMB": 9, "MaxConcurrentTransforms": 5})
    assert (p.max_payload_in_mb, p.max_concurrent_transforms, p.batch_strategy) == (2, 5, "MultiRecord")
    assert dict(p.sources) == {"MaxPayloadInMB": "request", "MaxConcurrentTransforms": "container",
                               "BatchStrategy": "default"}
    assert p.data_log_line() == "MaxConcurrentTransforms=5, MaxPayloadInMB=2, BatchStrategy=MULTI_RECORD"
    # MaxConcurrentTransforms=0 in a request means "not set": the container decides
    assert resolve_execution_parameters(spec(MaxConcurrentTransforms=0), {"MaxConcurrentTransforms": 8}) \
        .max_concurrent_transforms == 8
    # MaxPayloadInMB=0 is a real value: no limit
    assert resolve_execution_parameters(spec(MaxPayloadInMB=0)).max_payload_bytes is None


def test_container_answers_both_spellings_and_bad_values_are_ignored_with_a_note():
    assert parse_container_parameters(b'{"BatchStrategy": "SINGLE_RECORD"}')[0] == {"BatchStrategy": "SingleRecord"}
    assert parse_container_parameters(b'{"BatchStrategy": "MultiRecord"}')[0] == {"BatchStrategy": "MultiRecord"}
    values, problems = parse_container_parameters(b'{"MaxPayloadInMB": "big", "BatchStrategy": "ALL"}')
    assert values == {} and len(problems) == 2
    values, problems = parse_container_parameters(b"<html>")
    assert values == {} and "not JSON" in problems[0]
    assert parse_container_parameters(None) == ({}, [])


def test_data_capture_is_emulated_so_nothing_is_warned():
    from emulator.plan import make_plan

    s = spec(DataCaptureConfig={"DestinationS3Uri": "s3://b/capture", "GenerateInferenceId": True})
    assert make_plan(s, {}, objs(1)).warnings == ()
