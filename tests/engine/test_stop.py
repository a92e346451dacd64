"""StopTransformJob and Ctrl-C: the job ends Stopped, instances gone, no output kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from emulator import run_transform_job
from emulator.engine import events as ev
from emulator.engine.runner import JobRunner
from emulator.runtime import JOB_LABEL
from tests.engine.jobs import REPO, job_request
from tests.engine.test_job_runs import write_lines


def test_stop_mid_job_ends_stopped_with_no_output_and_no_instances(tmp_path, target):
    write_lines(tmp_path / "in" / "a.csv", 3)  # finishes before the stop: its output is removed too
    write_lines(tmp_path / "in" / "b.csv", 200)
    runners: list[JobRunner] = []
    states: list[str] = []

    def listener(event: ev.Event) -> None:
        if isinstance(event, ev.JobStateChanged):
            states.append(event.status)
        if isinstance(event, ev.MiniBatchDone) and event.source.endswith("b.csv") and event.batch == 2:
            runners[0].stop()

    request = job_request(
        "stop-me", str(tmp_path / "in"), str(tmp_path / "out"),
        BatchStrategy="SingleRecord", MaxConcurrentTransforms=2,
    )
    started = time.time()
    result = run_transform_job(
        request, listeners=[listener], on_runner=runners.append,
        **target.kwargs("echo", env={"ECHO_LATENCY_MS": "50"}),
    )
    assert result.status == "Stopped"
    assert states == ["InProgress", "Stopping", "Stopped"]
    assert result.failure_reason is None
    assert time.time() - started < 30
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []
    if target.kind == "docker":
        import docker

        client = docker.from_env()
        assert client.containers.list(all=True, filters={"label": f"{JOB_LABEL}=stop-me"}) == []


def test_ctrl_c_on_bte_run_stops_the_job(tmp_path):
    write_lines(tmp_path / "in" / "a.csv", 400)
    request = job_request(
        "ctrl-c", str(tmp_path / "in"), str(tmp_path / "out"), BatchStrategy="SingleRecord",
        Environment={"ECHO_LATENCY_MS": "50"},
    )
    job_file = tmp_path / "job.json"
    import json

    job_file.write_text(json.dumps(request))
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator.cli", "run", str(job_file), "--model-dir",
         str(REPO / "sample_models" / "echo"), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    deadline = time.time() + 30
    tmp_out = tmp_path / "out"
    # wait until the job is writing its output, then press Ctrl-C
    while time.time() < deadline and not (tmp_out.exists() and any(tmp_out.iterdir())):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 1, stderr.decode()
    assert b"Stopped" in stderr
    assert not (tmp_out / "a.csv.out").exists()
    assert list(Path(tmp_out).glob("*")) == []
    # the model process is gone too
    assert b"ctrl-c-1" not in subprocess.run(["ps", "-eo", "args"], capture_output=True).stdout
    assert os.path.exists(job_file)
