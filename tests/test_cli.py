"""The `bte` command as a user runs it: verbs, exit codes, output, error text."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.engine.jobs import REPO, job_request


def bte(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


def test_help_lists_every_verb_and_version_prints():
    out = bte("--help").stdout
    for verb in ("run", "plan", "image", "cleanup"):
        assert verb in out
    assert bte("--version").stdout.startswith("bte 0.")


def test_quickstart_runs_a_real_job_on_local_folders(tmp_path):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    done = bte("run", "examples/quickstart/job.json", "--model-dir", str(REPO / "sample_models" / "review-sentiment"),
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Completed" in done.stderr
    out = (tmp_path / "build" / "quickstart-output" / "app-reviews.jsonl.out").read_text().splitlines()
    assert len(out) == 6
    second = json.loads(out[1])  # "Crashes every time I open the camera...", joined with its input's id
    assert second["id"] == 2 and second["SageMakerOutput"]["label"] == "negative"


def test_run_json_prints_the_describe_shape(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("1,2\n3,4\n")
    job = tmp_path / "job.json"
    job.write_text(json.dumps(job_request("cli-json", str(tmp_path / "in"), str(tmp_path / "out"))))
    done = bte("run", str(job), "--model-dir", str(REPO / "sample_models" / "echo"), "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    described = json.loads(done.stdout)
    assert described["TransformJobStatus"] == "Completed"
    assert described["TransformJobName"] == "cli-json"
    assert described["DataProcessing"] == {"InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"}
    assert (tmp_path / "out" / "a.csv.out").read_text() == "1,2\n3,4\n"


def test_failed_job_exits_non_zero_with_the_failure_reason(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("1\n2\n3\n")
    request = job_request("cli-fails", str(tmp_path / "in"), str(tmp_path / "out"),
                          BatchStrategy="SingleRecord", MaxConcurrentTransforms=1, ModelClientConfig={"InvocationsMaxRetries": 0},
                          Environment={"ECHO_FAIL_EVERY_N": "2"})
    job = tmp_path / "job.json"
    job.write_text(json.dumps(request))
    done = bte("run", str(job), "--model-dir", str(REPO / "sample_models" / "echo"), "--quiet")
    assert done.returncode == 1
    assert "FailureReason: AlgorithmError: See job logs for more information\n" in done.stderr
    assert "BteFailureDetail: " in done.stderr and "a.csv: mini-batch 1" in done.stderr, done.stderr
    json_run = bte("run", str(job), "--model-dir", str(REPO / "sample_models" / "echo"), "--quiet", "--json")
    described = json.loads(json_run.stdout)
    assert described["FailureReason"] == "AlgorithmError: See job logs for more information"
    assert "a.csv: mini-batch 1" in described["BteFailureDetail"]


def test_log_lines_are_not_wrapped_when_stderr_is_not_a_terminal(tmp_path):
    deep = tmp_path / ("a-folder-name-long-enough-that-a-data-log-line-passes-eighty-columns" * 2)
    deep.mkdir()
    (deep / "a.csv").write_text("1\n")
    request = job_request("cli-nowrap", str(deep), str(tmp_path / "out"), ModelClientConfig={"InvocationsMaxRetries": 0},
                          Environment={"ECHO_FAIL_EVERY_N": "1"})
    job = tmp_path / "job.json"
    job.write_text(json.dumps(request))
    done = bte("run", str(job), "--model-dir", str(REPO / "sample_models" / "echo"))
    assert done.returncode == 1
    [line] = [line for line in done.stderr.splitlines() if "Bad HTTP status received from algorithm: 500" in line
              and "[sagemaker logs]" in line]
    assert line.startswith("cli-nowrap-1 data-log | 20") and f"{deep}/a.csv: " in line, done.stderr


def test_invalid_request_is_refused_before_anything_starts(tmp_path):
    request = job_request("bad_name", str(tmp_path), str(tmp_path / "out"), TransformInput={"SplitType": "Lines"})
    job = tmp_path / "job.json"
    job.write_text(json.dumps(request))
    done = bte("run", str(job), "--model-dir", str(REPO / "sample_models" / "echo"))
    assert done.returncode == 2
    assert "2 validation errors detected" in done.stderr
    assert "at 'transformJobName'" in done.stderr and "at 'transformInput.splitType'" in done.stderr


def test_plan_shows_instances_environment_parameters_and_warnings(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("id,price\n1,2\n3,4\n")
    request = job_request("cli-plan", str(tmp_path / "in"), str(tmp_path / "out"),
                          Environment={"MODE": "fast"}, TransformResources={"InstanceCount": 2})
    job = tmp_path / "job.json"
    job.write_text(json.dumps(request))
    done = bte("plan", str(job), "--model-dir", str(REPO / "sample_models" / "echo"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "cli-plan-1:" in out and "cli-plan-2: (idle)" in out
    assert "MODE=fast  [job]" in out and "SAGEMAKER_BATCH=true  [platform]" in out
    assert "MaxPayloadInMB=6  [default]" in out
    assert "header" in out.lower()  # the CSV header row warning
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_image_build_makes_a_serving_image_that_bte_runs(tmp_path, docker_client):
    model = tmp_path / "model"
    model.mkdir()
    (model / "inference.py").write_text(
        "def model_fn(model_dir):\n    return 2\n\n"
        "def transform_fn(model, body, content_type, accept):\n"
        "    return b''.join(b'%d\\n' % (int(x) * model) for x in body.split()), 'text/csv'\n"
    )
    tag = "bte-test/cli-image:latest"
    done = bte("image", "build", str(model), "-t", tag, "--base", "bte-base:bookworm",
               "--wheels", str(REPO / "build" / "wheels"), timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"built {tag}")
    try:
        (tmp_path / "in").mkdir()
        (tmp_path / "in" / "n.csv").write_text("1\n2\n3\n")
        job = tmp_path / "job.json"
        job.write_text(json.dumps(job_request("cli-image", str(tmp_path / "in"), str(tmp_path / "out"))))
        import os

        env = dict(os.environ, BTE_DOCKER_NETWORK="host")
        ran = subprocess.run([sys.executable, "-m", "emulator.cli", "run", str(job), "--image", tag, "--quiet"],
                             capture_output=True, text=True, env=env, timeout=120)
        assert ran.returncode == 0, ran.stderr
        assert (tmp_path / "out" / "n.csv.out").read_text() == "2\n4\n6\n"
    finally:
        docker_client.images.remove(tag, force=True)


def test_cleanup_removes_containers_a_killed_bte_left_behind(tmp_path, docker_client, sample_image):
    # A bte process started an instance and was killed before it could stop it.
    script = (
        "import os\n"
        "from emulator.runtime import InstanceSpec, get_runtime\n"
        f"get_runtime('docker', network='host').start(InstanceSpec(name='orphan-job-1', job_name='orphan-job', "
        f"image='{sample_image('plain-http')}'))\n"
        "os._exit(0)  # no atexit clean-up, as after a SIGKILL\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert docker_client.containers.list(all=True, filters={"label": "bte.job=orphan-job"})
    done = bte("cleanup", "--job", "orphan-job")
    assert done.returncode == 0, done.stderr
    assert "1 container(s) removed" in done.stdout
    assert docker_client.containers.list(all=True, filters={"label": "bte.job=orphan-job"}) == []
