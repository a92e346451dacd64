"""Which containers a pipeline model resolves to, and which runtime runs them."""

from __future__ import annotations

import pytest

from emulator.engine.errors import ModelSourceError
from emulator.spec import parse_model
from emulator.transform import prepare
from tests.engine.jobs import SAMPLES, job_request

SCALER = str(SAMPLES / "pipeline-scale" / "scaler")
PREDICTOR = str(SAMPLES / "tabular-regression")


def model(*containers: dict[str, str]) -> dict[str, object]:
    return {"ModelName": "pipe", "Containers": list(containers)}


def prepared(tmp_path, model_request, **kwargs):
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in" / "a.csv").write_text("1,2,3,4\n")
    job = job_request("pipe-src", str(tmp_path / "in"), str(tmp_path / "out"), ModelName="pipe")
    return prepare(job, model=model_request, **kwargs)


def test_every_container_with_code_runs_on_the_process_runtime_by_default(tmp_path):
    job = prepared(tmp_path, model({"Image": "a:1", "ModelDataUrl": SCALER}, {"ModelDataUrl": PREDICTOR}))
    assert job.runtime_name == "process"
    assert [s.hostname for s in job.plan.steps] == ["container-1", "container-2"]
    assert job.plan.steps[1].code_dir == PREDICTOR


def test_a_container_without_code_needs_docker_and_every_image(tmp_path):
    job = prepared(tmp_path, model({"Image": "a:1", "ModelDataUrl": SCALER}, {"Image": "b:1"}))
    assert job.runtime_name == "docker"
    with pytest.raises(ModelSourceError, match=r"container 2 of 2 \(container-2\) has none"):
        prepared(tmp_path, model({"Image": "a:1", "ModelDataUrl": SCALER}, {"Image": "b:1"}), runtime="process")
    with pytest.raises(ModelSourceError, match=r"container 1 of 2 \(container-1\) names none"):
        prepared(tmp_path, model({"ModelDataUrl": SCALER}, {"Image": "b:1"}))


def test_model_dir_and_image_overrides_are_refused_for_a_pipeline(tmp_path):
    with pytest.raises(ModelSourceError, match="is an inference pipeline of 2 containers: --model-dir replaces"):
        prepared(tmp_path, model({"ModelDataUrl": SCALER}, {"ModelDataUrl": PREDICTOR}), model_dir=SCALER)


def test_containers_of_one_run_as_a_single_container(tmp_path):
    job = prepared(tmp_path, model({"ModelDataUrl": PREDICTOR, "Environment": {"A": "1"}}))
    assert job.plan.steps == () and job.source.code_dir == PREDICTOR
    assert job.plan.environment["A"].value == "1"
    assert parse_model(model({"Image": "a:1"}, {"Image": "b:1"})).is_pipeline
