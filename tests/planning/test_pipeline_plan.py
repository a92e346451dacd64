"""`bte plan` on an inference pipeline: every container with its position, hostname,
image, port and environment (its own, the job's over it, the platform's last)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.engine.jobs import REPO

SAMPLE = REPO / "sample_models" / "pipeline-scale"


def bte_plan(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    job = json.loads((SAMPLE / "job.json").read_text())
    job["Environment"] = {"LABELLER_THRESHOLD": "2", "SHARED": "from-job"}
    job["TransformOutput"]["S3OutputPath"] = str(tmp_path / "out")
    (tmp_path / "job.json").write_text(json.dumps(job))
    return subprocess.run([sys.executable, "-m", "emulator.cli", "plan", str(tmp_path / "job.json"), "--model",
                           str(SAMPLE / "model.json"), "--no-scan", *args], capture_output=True, text=True, cwd=REPO)


def test_json_plan_lists_each_container_its_port_and_environment(tmp_path):
    done = bte_plan(tmp_path, "--json", "--runtime", "docker")
    assert done.returncode == 0, done.stderr
    containers = json.loads(done.stdout)["Containers"]
    assert [(c["Position"], c["ContainerHostname"], c["Image"], c["Port"]) for c in containers] == [
        (1, "scaler", "bte-sample/pipeline-scale-scaler:latest", 8080),
        (2, "predictor", "bte-sample/tabular-regression:latest", 8081),
        (3, "labeller", "bte-sample/pipeline-scale-labeller:latest", 8082),
    ]
    labeller = containers[2]["Environment"]
    assert labeller["LABELLER_THRESHOLD"] == {"Value": "2", "Source": "job"}  # the job's over the model's 5
    assert labeller["SAGEMAKER_SAFE_PORT_RANGE"] == {"Value": "22000-22999", "Source": "platform"}
    assert all(c["Environment"]["SHARED"]["Value"] == "from-job" for c in containers)
    assert containers[0]["Environment"]["SAGEMAKER_BIND_TO_PORT"] == {"Value": "8080", "Source": "platform"}


def test_text_plan_names_the_containers(tmp_path):
    done = bte_plan(tmp_path, "--runtime", "process")
    assert done.returncode == 0, done.stderr
    assert "model an inference pipeline of 3 containers (scaler, predictor, labeller)" in done.stdout
    assert "Inference pipeline: 3 containers on every instance" in done.stdout
    assert "  container 2 of 3 (predictor, image bte-sample/tabular-regression:latest): a free port given at start" \
        in done.stdout
    assert "    LABELLER_THRESHOLD=2  [job]" in done.stdout
