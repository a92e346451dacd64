"""On start, bte serve ends the runs a dead bte left running and kills their model servers."""

from __future__ import annotations

import os
import subprocess
import sys

from emulator.processes import ProcessIdentity, start_time
from emulator.runtime import free_port
from emulator.store.db import Store
from tests.api.server import BteServer
from tests.engine.jobs import SAMPLES, job_request


def dead_owner() -> str:
    """The owner label (pid@start time) of a process that has ended."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = ProcessIdentity(gone.pid, start_time(gone.pid))
    gone.wait()
    return identity.as_label()


def test_a_run_whose_owner_died_ends_failed_and_its_model_server_is_killed(tmp_path):
    owner = dead_owner()
    # A model server as the process runtime starts one: it names its owner and its job.
    env = dict(os.environ, SM_MODEL_DIR=str(SAMPLES / "echo"), SAGEMAKER_BIND_TO_PORT=str(free_port()),
               BTE_BIND_HOST="127.0.0.1", PYTHONPATH=str(SAMPLES.parent), BTE_OWNER=owner, BTE_JOB="left-behind")
    model_server = subprocess.Popen([sys.executable, "-m", "emulator.serving", "serve"], env=env,
                                    cwd=SAMPLES / "echo", start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        store = Store(tmp_path / "state")
        store.add_run("r-orphan", job_request("left-behind", "s3://b/in/", "s3://b/out/"), model=None,
                      origin="run", creation_time=1_700_000_000.0)
        store.update_run("r-orphan", owner=owner, start_time=1_700_000_001.0)
        store.close()

        server = BteServer(tmp_path / "state").start()
        try:
            assert model_server.wait(timeout=20) == -9
            ended = server.client("sagemaker").describe_transform_job(TransformJobName="left-behind")
            assert ended["TransformJobStatus"] == "Failed"
            assert ended["FailureReason"] == "InternalServerError: We encountered an internal error.  Please try again."
            run = Store(tmp_path / "state").latest_run("left-behind")
            assert run is not None and "ended while the job was InProgress" in (run.failure_detail or "")
            assert "TransformEndTime" in ended
        finally:
            server.stop()
    finally:
        if model_server.poll() is None:
            model_server.kill()
            model_server.wait()


def test_a_run_whose_owner_still_runs_is_left_alone(tmp_path):
    store = Store(tmp_path / "state")
    store.add_run("r-live", job_request("still-running", "s3://b/in/", "s3://b/out/"), model=None,
                  origin="run", creation_time=1_700_000_000.0)  # owned by this pytest process
    store.close()
    server = BteServer(tmp_path / "state").start()
    try:
        described = server.client("sagemaker").describe_transform_job(TransformJobName="still-running")
        assert described["TransformJobStatus"] == "InProgress"
    finally:
        server.stop()
