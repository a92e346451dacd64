"""A second `bte run` of a TransformJobName: it says, before it starts, what it replaces
and which outputs there it leaves stale; `--strict-names` refuses the name as the service
does (ResourceInUse)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.jobs import job_request


@pytest.fixture
def bte_docker(monkeypatch, sample_image):
    """`bte run` on the echo sample image, in host network mode (tests reach 127.0.0.1)."""
    monkeypatch.setenv("BTE_DOCKER_NETWORK", "host")
    image = sample_image("echo")

    def run(job: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "emulator.cli", "run", str(job), "--image", image,
                               "--runtime", "docker", "--quiet", *args],
                              capture_output=True, text=True, timeout=180)

    return run


def test_a_rerun_says_what_it_replaces_and_names_stale_outputs(tmp_path, bte_docker):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("1\n")
    (tmp_path / "in" / "b.csv").write_text("2\n")
    out = tmp_path / "out"
    job = tmp_path / "job.json"
    job.write_text(json.dumps(job_request("rerun-me", str(tmp_path / "in"), str(out))))
    first = bte_docker(job)
    assert first.returncode == 0, first.stderr
    assert "already ran" not in first.stderr

    (tmp_path / "in" / "b.csv").unlink()
    (tmp_path / "in" / "c.csv").write_text("3\n")
    second = bte_docker(job)
    assert second.returncode == 0, second.stderr
    notice = second.stderr.split("\n")[0]
    assert re.fullmatch(
        r"warning TransformJobName rerun-me already ran \(run \S+, Completed, created [0-9: -]+ UTC\); this is a new "
        r"run of that name \(the service refuses a used name: --strict-names does too\)\. It replaces the earlier "
        rf"run's outputs in {re.escape(str(out))}\. 1 output\(s\) there are not inputs of this run and will not be "
        rf"rewritten; bte never deletes them: {re.escape(str(out / 'b.csv.out'))}\.", notice), second.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.csv.out", "b.csv.out", "c.csv.out"]
    assert (out / "b.csv.out").read_text() == "2\n"


def test_strict_names_refuses_a_used_name_with_the_service_text(tmp_path, bte_docker):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("1\n")
    job = tmp_path / "job.json"
    job.write_text(json.dumps(job_request("Used-Name", str(tmp_path / "in"), str(tmp_path / "out"))))
    assert bte_docker(job, "--strict-names").returncode == 0  # a new name runs
    (tmp_path / "out" / "a.csv.out").unlink()
    refused = bte_docker(job, "--strict-names")
    assert refused.returncode == 2
    assert refused.stderr == (
        "bte: ResourceInUse: Job name must be unique within an AWS account and region, and a job with this name "
        "already exists (arn:aws:sagemaker:us-east-1:000000000000:transform-job/used-name)\n")
    assert not (tmp_path / "out" / "a.csv.out").exists()  # nothing ran
