"""The service's model checks wherever a model meets a job: the Python API, `bte run` and
`bte plan` refuse what CreateTransformJob refuses, with the service's text, before any
container starts (the API server's refusal is in tests/api/test_model_checks.py)."""

from __future__ import annotations

import json

import pytest

from emulator import run_transform_job
from emulator.spec import ValidationException
from tests.engine.jobs import job_request, model_request
from tests.test_cli import bte

MODEL_DATA_SOURCE = ("SageMaker Batch currently doesn't support Model entity with container definitions "
                     "which use ModelDataSource attribute")
S3_DATA_SOURCE = {"S3DataSource": {"S3Uri": "s3://models/echo/", "S3DataType": "S3Prefix", "CompressionType": "None"}}


def model_with_data_source(image: str) -> dict:
    model = model_request("echo", image)
    model["PrimaryContainer"]["ModelDataSource"] = S3_DATA_SOURCE
    return model


def containers_of(docker_client, job: str) -> list:
    return docker_client.containers.list(all=True, filters={"label": f"bte.job={job}"})


def test_the_python_api_refuses_a_model_data_source_model_before_a_container_starts(
        tmp_path, docker_client, sample_image):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("1\n")
    request = job_request("uses-data-source", str(tmp_path / "in"), str(tmp_path / "out"))
    with pytest.raises(ValidationException) as refused:
        run_transform_job(request, model=model_with_data_source(sample_image("echo")), runtime="docker",
                          runtime_options={"network": "host"})
    assert str(refused.value) == MODEL_DATA_SOURCE
    assert containers_of(docker_client, "uses-data-source") == []
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("verb", ["run", "plan"])
def test_bte_run_and_plan_refuse_a_model_data_source_model_with_the_service_text(tmp_path, sample_image, verb):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("1\n")
    job, model = tmp_path / "job.json", tmp_path / "model.json"
    job.write_text(json.dumps(job_request("cli-data-source", str(tmp_path / "in"), str(tmp_path / "out"))))
    model.write_text(json.dumps(model_with_data_source(sample_image("echo"))))
    done = bte(verb, str(job), "--model", str(model))
    assert done.returncode == 2
    assert done.stderr == f"bte: ValidationException: {MODEL_DATA_SOURCE}\n"
    assert not (tmp_path / "out").exists()
