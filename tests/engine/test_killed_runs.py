"""After `kill -9` of `bte run`: `bte cleanup` and the next run of the same job remove its
instances, its temporaries and its open uploads, and nothing of a run still going."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from emulator import run_transform_job
from emulator.runtime import JOB_LABEL
from emulator.store import run_record
from tests.engine.jobs import REPO, job_request, start_bte_run, wait_for
from tests.engine.test_job_runs import write_lines

ECHO = str(REPO / "sample_models" / "echo")
SLOW = {"ECHO_LATENCY_MS": "40"}


def bte(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emulator.cli", *args], capture_output=True, text=True, timeout=120)


def slow_job(tmp_path: Path, name: str, out: Path, **overrides: object) -> dict[str, object]:
    write_lines(tmp_path / "in" / "a.csv", 2000)
    return job_request(name, str(tmp_path / "in"), str(out), BatchStrategy="SingleRecord", MaxConcurrentTransforms=1,
                       Environment=SLOW, **overrides)


def partials(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith(".bte-partial")) if out.exists() else []


def model_servers(job: str) -> list[int]:
    """Pids of process-runtime model servers started for ``job`` (by their BTE_JOB variable)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                env = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"BTE_JOB={job}".encode() in env and os.getpgid(int(entry.name)) == int(entry.name):
                found.append(int(entry.name))
    return found


def kill_9_while_writing(proc: subprocess.Popen[bytes], out: Path) -> str:
    """SIGKILL ``proc`` once its partial output exists; the dead run's id."""
    [partial] = wait_for(lambda: partials(out), "a .bte-partial output")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    [record] = [r for r in run_record.records() if r.owner.pid == proc.pid]
    assert record.open and f".{record.run_id}." in partial
    return record.run_id


def test_bte_cleanup_after_kill_9_removes_the_model_server_and_the_partial(tmp_path):
    out = tmp_path / "out"
    proc = start_bte_run(tmp_path, slow_job(tmp_path, "killed", out), "--model-dir", ECHO, "--quiet")
    run_id = kill_9_while_writing(proc, out)
    assert model_servers("killed"), "the model server outlives a SIGKILLed bte"

    done = bte("cleanup", "--job", "killed")
    assert done.returncode == 0, done.stderr
    assert "1 model process group(s) killed" in done.stdout and "1 abandoned run(s) closed" in done.stdout
    assert partials(out) == []
    wait_for(lambda: model_servers("killed") == [], "the orphaned model server to die", 10)
    [record] = [r for r in run_record.records("killed") if r.run_id == run_id]
    assert record.status == "Abandoned"
    assert "0 abandoned run(s) closed" in bte("cleanup", "--job", "killed").stdout  # nothing twice


def test_the_next_run_of_the_job_cleans_up_after_a_killed_one(tmp_path):
    out = tmp_path / "out"
    request = slow_job(tmp_path, "rerun-after-kill", out)
    proc = start_bte_run(tmp_path, request, "--model-dir", ECHO, "--quiet")
    kill_9_while_writing(proc, out)
    fast = dict(request, Environment={})
    result = run_transform_job(fast, model_dir=ECHO)
    assert result.status == "Completed", result.failure_reason
    assert sorted(p.name for p in out.iterdir()) == ["a.csv.out"]
    assert model_servers("rerun-after-kill") == []
    lines = [e.line for e in result.log.events if getattr(e, "instance", "") == "bte"]
    assert any(line.startswith("earlier killed run: removed ") and line.endswith(".bte-partial") for line in lines)


def test_cleanup_never_touches_a_run_still_going_on_the_same_prefix(tmp_path):
    out = tmp_path / "shared"
    (tmp_path / "dead").mkdir()
    (tmp_path / "live").mkdir()
    dead = start_bte_run(tmp_path / "dead", slow_job(tmp_path, "dead-job", out), "--model-dir", ECHO, "--quiet")
    kill_9_while_writing(dead, out)
    live = start_bte_run(tmp_path / "live", slow_job(tmp_path, "live-job", out, TransformInput={
        "DataSource": {"S3DataSource": {"S3Uri": str(tmp_path / "in")}}}), "--model-dir", ECHO, "--quiet")
    wait_for(lambda: len(partials(out)) == 2, "the live run's partial beside the dead one's")
    try:
        for job in ("dead-job", "live-job"):  # (not every job: the Docker engine is shared with other tests)
            done = bte("cleanup", "--job", job)
            assert done.returncode == 0, done.stderr
        [left] = partials(out)
        [live_record] = [r for r in run_record.records("live-job")]
        assert f".{live_record.run_id}." in left
        assert model_servers("live-job") and model_servers("dead-job") == []
    finally:
        live.send_signal(signal.SIGTERM)
        live.communicate(timeout=30)


def test_bte_cleanup_removes_a_killed_runs_container_and_spares_a_live_ones(tmp_path, docker_client, sample_image):
    image = sample_image("echo")
    model = {"ModelName": "echo", "PrimaryContainer": {"Image": image, "Environment": SLOW}}
    (tmp_path / "model.json").write_text(json.dumps(model))
    env = {"BTE_DOCKER_NETWORK": "host"}
    out = tmp_path / "out"
    (tmp_path / "dead").mkdir()
    (tmp_path / "live").mkdir()
    dead = start_bte_run(tmp_path / "dead", slow_job(tmp_path, "dead-docker", out), "--model",
                         str(tmp_path / "model.json"), "--quiet", env=env)
    kill_9_while_writing(dead, out)
    live = start_bte_run(tmp_path / "live", slow_job(tmp_path, "live-docker", tmp_path / "out2"), "--model",
                         str(tmp_path / "model.json"), "--quiet", env=env)

    def containers(job: str) -> list[object]:
        return docker_client.containers.list(all=True, filters={"label": f"{JOB_LABEL}={job}"})

    wait_for(lambda: partials(tmp_path / "out2"), "the live docker run to write")
    try:
        assert containers("dead-docker")
        done = bte("cleanup", "--job", "dead-docker")
        assert done.returncode == 0, done.stderr
        assert "1 container(s) removed" in done.stdout
        done = bte("cleanup", "--job", "live-docker")
        assert done.returncode == 0, done.stderr
        assert "0 container(s) removed" in done.stdout
        assert containers("dead-docker") == [] and len(containers("live-docker")) == 1
        assert partials(out) == []
    finally:
        live.send_signal(signal.SIGTERM)
        live.communicate(timeout=60)
    assert containers("live-docker") == []


def test_bte_cleanup_aborts_the_multipart_upload_a_killed_run_left_open(tmp_path, moto_s3_server):
    s3_server = moto_s3_server  # the abort itself is checked on both servers in tests/storage/test_run_leftovers.py
    s3_bucket = s3_server.new_bucket()
    s3 = s3_server.client()
    s3.put_object(Bucket=s3_bucket, Key="in/big.csv", Body=b"".join(b"%07d,%s\n" % (i, b"x" * 92) for i in range(40_000)))
    request = job_request("killed-upload", f"s3://{s3_bucket}/in/", f"s3://{s3_bucket}/out/", MaxPayloadInMB=1,
                          MaxConcurrentTransforms=1, Environment={"ECHO_REPEAT": "5", "ECHO_LATENCY_MS": "300"})
    proc = start_bte_run(tmp_path, request, "--model-dir", ECHO, "--quiet", "--s3-endpoint-url",
                         s3_server.endpoint_url)

    def open_uploads() -> list[dict[str, object]]:
        return s3.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])

    wait_for(open_uploads, "the run to begin a multipart upload")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert len(open_uploads()) == 1
    done = bte("cleanup", "--job", "killed-upload")
    assert done.returncode == 0, done.stderr
    assert "(multipart upload " in done.stdout and "1 abandoned run(s) closed" in done.stdout
    assert open_uploads() == []
