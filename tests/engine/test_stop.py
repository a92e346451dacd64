"""StopTransformJob and Ctrl-C: the job ends Stopped, instances gone, no output kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

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


def _stop_after(files: int, runners: list[JobRunner]) -> Callable[[ev.Event], None]:
    """A listener that stops the job once ``files`` of its outputs are committed."""
    done: list[str] = []

    def listener(event: ev.Event) -> None:
        if isinstance(event, ev.FileDone) and event.ok:
            done.append(event.source)
            if len(done) == files:
                runners[0].stop()

    return listener


def _write_inputs(folder: Path, names: list[str], tag: str) -> None:
    for name in names:
        write_lines(folder / name, 3, width=8)
        (folder / name).write_bytes((folder / name).read_bytes().replace(b"x", tag.encode()))


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


NAMES = [f"part-{i:02d}.csv" for i in range(12)]


def _stoppable_run(request: dict, process_target, stop_after: int):  # type: ignore[no-untyped-def]
    runners: list[JobRunner] = []
    return run_transform_job(
        request, listeners=[_stop_after(stop_after, runners)], on_runner=runners.append,
        **process_target.kwargs("echo", env={"ECHO_LATENCY_MS": "30"}),
    )


def test_stopping_a_rerun_puts_back_every_earlier_output(tmp_path, process_target):
    # Issue 12: a rerun into the folder of its own complete outputs, then stopped, used to
    # delete every output it had committed (12 outputs -> 9).
    _write_inputs(tmp_path / "in", NAMES, "first")
    request = job_request("rerun", str(tmp_path / "in"), str(tmp_path / "out"), BatchStrategy="SingleRecord")
    first = run_transform_job(request, **process_target.kwargs("echo"))
    assert first.status == "Completed"
    earlier = _outputs(tmp_path / "out")
    assert len(earlier) == 12 and all(b"first" in body for body in earlier.values())

    _write_inputs(tmp_path / "in", NAMES, "rerun")  # the rerun's outputs differ, so a mix-up shows
    rerun = _stoppable_run(request, process_target, stop_after=3)
    assert rerun.status == "Stopped"
    assert _outputs(tmp_path / "out") == earlier  # every earlier output whole, no leftovers


def test_stopping_one_job_keeps_another_jobs_outputs_in_the_same_folder(tmp_path, process_target):
    # Issue 12: stopping a second job on a shared output folder used to remove the paths it had
    # committed, which held the first (Completed) job's outputs: 12 -> 8.
    _write_inputs(tmp_path / "in-a", NAMES, "jobA")
    a = run_transform_job(
        job_request("job-a", str(tmp_path / "in-a"), str(tmp_path / "out")), **process_target.kwargs("echo")
    )
    assert a.status == "Completed"
    completed = _outputs(tmp_path / "out")
    assert len(completed) == 12

    _write_inputs(tmp_path / "in-b", NAMES[:6], "jobB")
    b = _stoppable_run(
        job_request("job-b", str(tmp_path / "in-b"), str(tmp_path / "out"), BatchStrategy="SingleRecord"),
        process_target, stop_after=4,
    )
    assert b.status == "Stopped"
    assert _outputs(tmp_path / "out") == completed


def test_a_finished_rerun_leaves_only_its_outputs(tmp_path, process_target):
    _write_inputs(tmp_path / "in", NAMES[:3], "first")
    request = job_request("rerun-done", str(tmp_path / "in"), str(tmp_path / "out"))
    assert run_transform_job(request, **process_target.kwargs("echo")).status == "Completed"
    _write_inputs(tmp_path / "in", NAMES[:3], "second")
    assert run_transform_job(request, **process_target.kwargs("echo")).status == "Completed"
    outputs = _outputs(tmp_path / "out")
    assert sorted(outputs) == [f"{n}.out" for n in NAMES[:3]]  # no kept copies, no partials
    assert all(b"second" in body for body in outputs.values())
