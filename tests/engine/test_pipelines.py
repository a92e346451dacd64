"""Inference pipelines (CreateModel with Containers) run end to end on both runtimes: every
container on every instance, each mini-batch through them in order, failures naming the
container, nothing left behind."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import run_transform_job
from emulator.engine import events as ev
from emulator.runtime import live_process_ids
from emulator.serving.handlers import Handlers, load_program
from emulator.store import Store
from tests.engine.jobs import REPO, SAMPLES, job_request

SCALER = SAMPLES / "pipeline-scale" / "scaler"
LABELLER = SAMPLES / "pipeline-scale" / "labeller"
PREDICTOR = SAMPLES / "tabular-regression"
ECHO = SAMPLES / "echo"
IMAGES = {SCALER: "pipeline-scale-scaler", LABELLER: "pipeline-scale-labeller", PREDICTOR: "tabular-regression",
          ECHO: "echo"}
ROWS = [(10.0, 30.0, 2.0, -0.5), (-35.2, -59.8, 6.0, -4.8), (7.2, -16.9, -17.7, -0.4), (0.0, 0.0, 0.0, 0.0),
        (92.5, 3.3, 17.2, 4.5)]


@functools.cache
def handlers(folder: Path) -> tuple[Handlers, Any]:
    """A sample container's handlers and model, loaded here as the serving shim loads them."""
    found = Handlers(load_program(folder, "inference.py"))
    return found, found.load_model(folder)


def step(folder: Path, body: bytes, content_type: str = "text/csv") -> bytes:
    """What one sample container answers, computed here with its own code."""
    found, model = handlers(folder)
    out, _ = found.invoke(model, body, content_type, content_type)
    return bytes(out)


def csv_rows(rows: list[tuple[float, ...]]) -> bytes:
    return "".join(",".join(f"{v:g}" for v in row) + "\n" for row in rows).encode()


class Pipeline:
    """A pipeline model over sample folders, run on one of the runtimes."""

    def __init__(self, kind: str, sample_image: Any) -> None:
        self.kind, self.sample_image = kind, sample_image

    def model(self, *folders: Path, env: dict[int, dict[str, str]] | None = None) -> dict[str, Any]:
        containers = []
        for n, folder in enumerate(folders, 1):
            container: dict[str, Any] = {"ContainerHostname": f"{folder.name}-{n}", "ModelDataUrl": str(folder),
                                         "Environment": (env or {}).get(n, {})}
            if self.kind == "docker":
                container["Image"] = self.sample_image(IMAGES[folder])
            containers.append(container)
        return {"ModelName": "pipe", "Containers": containers}

    def run(self, request: dict[str, Any], *folders: Path, env: dict[int, dict[str, str]] | None = None,
            **kwargs: Any) -> Any:
        options = {"runtime_options": {"network": "host"}} if self.kind == "docker" else {}
        return run_transform_job(request, model=self.model(*folders, env=env), runtime=self.kind,
                                 **options, **kwargs)


@pytest.fixture(params=["process", "docker"])
def pipeline(request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    """A runtime to run pipelines on; afterwards no process or container of theirs is left."""
    client = request.getfixturevalue("docker_client") if request.param == "docker" else None
    yield Pipeline(request.param, request.getfixturevalue("sample_image") if client else None)
    assert live_process_ids() == []
    if client is not None:
        containers = client.containers.list(all=True, filters={"label": "bte.job"})
        assert [c.name for c in containers if c.labels["bte.job"].startswith("pipe-")] == []


def inputs(tmp_path: Path, files: int = 2) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(files):
        (folder / f"part-{i}.csv").write_bytes(csv_rows([tuple(v + i for v in row) for row in ROWS]))
    return folder


def job(name: str, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {"ModelName": "pipe", "MaxConcurrentTransforms": 2, "BatchStrategy": "SingleRecord",
                                "TransformResources": {"InstanceCount": 2}}
    return job_request(name, str(inputs(tmp_path)), str(tmp_path / "out"), **{**defaults, **overrides})


def test_two_containers_scale_then_predict(tmp_path, pipeline):
    result = pipeline.run(job("pipe-two", tmp_path), SCALER, PREDICTOR)
    assert result.status == "Completed", result.failure_reason
    for i in range(2):
        rows = csv_rows([tuple(v + i for v in row) for row in ROWS]).splitlines(keepends=True)
        scaled = [step(SCALER, row) for row in rows]
        assert scaled[0] != rows[0].rstrip(b"\n")  # the scaler changes the rows...
        expected = b"".join(step(PREDICTOR, s) + b"\n" for s in scaled)
        assert (tmp_path / "out" / f"part-{i}.csv.out").read_bytes() == expected  # ...and the predictor sees them
    # 10,30,2,-0.5 scales to 1,2,1,0: about 4 + 3 - 4 + 0.5 = 3.5 from the fitted weights
    assert abs(float((tmp_path / "out" / "part-0.csv.out").read_text().split()[0]) - 3.5) < 0.1
    started = {e.instance for e in result.log.of(ev.InstanceStarted)}
    assert started == {"pipe-two-1", "pipe-two-2"}
    logged = {e.instance for e in result.log.of(ev.InstanceLog) if not e.instance.endswith("data-log")}
    assert {"pipe-two-1/scaler-1", "pipe-two-1/tabular-regression-2", "pipe-two-2/scaler-1"} <= logged


def test_three_containers_each_with_its_environment_job_over_model(tmp_path, pipeline):
    request = job("pipe-three", tmp_path, Environment={"LABELLER_THRESHOLD": "2"})
    result = pipeline.run(request, SCALER, PREDICTOR, LABELLER, env={3: {"LABELLER_THRESHOLD": "100"}})
    assert result.status == "Completed", result.failure_reason
    rows = csv_rows(ROWS).splitlines(keepends=True)
    predictions = [step(PREDICTOR, step(SCALER, row)) for row in rows]
    out = [json.loads(line) for line in (tmp_path / "out" / "part-0.csv.out").read_text().splitlines()]
    assert [o["prediction"] for o in out] == [float(p) for p in predictions]
    # the labeller read text/csv (the predictor's answer type) and the job's threshold, not the model's
    assert [o["band"] for o in out] == ["high" if float(p) >= 2 else "low" for p in predictions]
    assert {"high", "low"} == {o["band"] for o in out}
    lines = [e.line for e in result.log.of(ev.InstanceLog) if e.instance == "pipe-three-1/labeller-3"]
    assert any("labeller: threshold 2.0" in line for line in lines)


def test_whole_object_streamed_through_the_containers(tmp_path, pipeline):
    request = job("pipe-stream", tmp_path, MaxPayloadInMB=0, BatchStrategy=None, MaxConcurrentTransforms=None,
                  TransformInput={"SplitType": "None"}, TransformOutput={"AssembleWith": "None"})
    result = pipeline.run(request, SCALER, PREDICTOR)
    assert result.status == "Completed", result.failure_reason
    body = csv_rows([tuple(v + 1 for v in row) for row in ROWS])
    expected = step(PREDICTOR, step(SCALER, body))
    assert (tmp_path / "out" / "part-1.csv.out").read_bytes() == expected


def test_a_failing_middle_container_fails_the_job_naming_it(tmp_path, pipeline):
    request = job("pipe-fail", tmp_path, ModelClientConfig={"InvocationsMaxRetries": 0})
    result = pipeline.run(request, SCALER, ECHO, PREDICTOR, env={2: {"ECHO_FAIL_EVERY_N": "1"}})
    assert result.status == "Failed"
    detail = result.failure_detail or ""
    assert result.failure_reason == "AlgorithmError: See job logs for more information"
    assert "in container 2 of 3 (echo-2, " in detail
    assert "Bad HTTP status received from algorithm: 500" in detail
    assert not list((tmp_path / "out").glob("*.out"))


def test_a_container_that_dies_fails_the_job_naming_it(tmp_path, pipeline):
    request = job("pipe-dies", tmp_path, ModelClientConfig={"InvocationsMaxRetries": 0},
                  TransformResources={"InstanceCount": 1}, MaxConcurrentTransforms=1)
    env = {2: {"ECHO_CRASH_AFTER_N": "1", "ECHO_LATENCY_MS": "300"}}  # dies while the next request waits
    result = pipeline.run(request, SCALER, ECHO, PREDICTOR, env=env)
    assert result.status == "Failed"
    assert "in container 2 of 3 (echo-2, " in (result.failure_detail or "")
    # The first failure may come before the process is seen gone; a later one names how it ended.
    details = " ".join(e.detail or "" for e in result.log.of(ev.MiniBatchFailed))
    assert "The instance pipe-dies-1 container 2 of 3 (echo-2, " in details
    assert "exited with code 1" in details


def test_a_container_never_healthy_fails_the_job_before_any_mini_batch(tmp_path, pipeline):
    result = pipeline.run(job("pipe-sick", tmp_path), SCALER, ECHO, env={2: {"ECHO_NEVER_HEALTHY": "1"}},
                          ping_timeout_s=15)
    assert result.status == "Failed"
    assert result.failure_reason.startswith("AlgorithmError: Model container failed to respond to ping.")
    detail = result.failure_detail or ""
    # answered 503 (or, on a machine too busy to start it in time, did not answer at all)
    found = re.search(r"pipe-sick-[12] container 2 of 2 \(echo-2, [^)]*\) (answered 503|did not answer)[^|]* on /ping "
                      r"for 15 s", detail)
    assert found, detail
    assert result.log.of(ev.MiniBatchSent) == []


def test_docker_refuses_an_image_without_the_bind_to_port_label_before_starting_any(tmp_path, docker_client,
                                                                                      sample_image):
    import io

    dockerfile = f"FROM {sample_image('echo')}\nLABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=false\n"
    image, _ = docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag="bte-test/no-bind-label:latest",
                                          rm=True)
    pipeline = Pipeline("docker", sample_image)
    model = pipeline.model(SCALER, ECHO)
    model["Containers"][1]["Image"] = "bte-test/no-bind-label:latest"
    try:
        result = run_transform_job(job("pipe-label", tmp_path), model=model, runtime="docker",
                                   runtime_options={"network": "host"})
    finally:
        docker_client.images.remove(image.id, force=True)
    assert (result.status, result.failure_reason) == ("Failed", "ClientError: See job logs for more information")
    detail = result.failure_detail or ""
    assert ("Your Ecr Image bte-test/no-bind-label:latest does not contain required "
            "com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true Docker label(s).") in detail
    assert "container 2 of 2 (echo-2, image bte-test/no-bind-label:latest)" in detail
    assert result.log.of(ev.InstanceStarted) == []
    assert docker_client.containers.list(all=True, filters={"label": "bte.job=pipe-label"}) == []


def test_bte_run_of_the_sample_keeps_a_log_stream_per_container(tmp_path):
    sample = SAMPLES / "pipeline-scale"
    request = json.loads((sample / "job.json").read_text())
    request["TransformOutput"]["S3OutputPath"] = str(tmp_path / "out")
    (tmp_path / "job.json").write_text(json.dumps(request))
    done = subprocess.run([sys.executable, "-m", "emulator.cli", "run", str(tmp_path / "job.json"), "--model",
                           str(sample / "model.json"), "--runtime", "process", "--quiet"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    first = json.loads((tmp_path / "out" / "input.csv.out").read_text().splitlines()[0])
    assert first["band"] == "low" and abs(first["prediction"] - -3.93385) < 1e-4
    store = Store()
    try:
        names = [s.name for s in store.streams("pipeline-scale/")]
    finally:
        store.close()
    containers = sorted(name.rsplit("/", 1)[1] for name in names if name.count("/") == 2)
    assert containers == ["data-log", "labeller", "predictor", "scaler"]
