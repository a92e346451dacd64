"""What a run holds goes with the run: a long-lived process (bte serve) runs many jobs."""

from __future__ import annotations

import gc
import os

from emulator import run_transform_job
from tests.engine.jobs import job_request
from tests.engine.test_job_runs import write_lines

RUNS = int(os.environ.get("BTE_FD_RUNS", 12))  # 50 on demand: docs/reliability.md


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_file_descriptors_stay_flat_over_many_runs_on_docker(tmp_path, docker_target):
    """Without an explicit close, each run left about 10 sockets to the Docker engine that
    only the garbage collector freed; with the collector off, they would pile up here."""
    write_lines(tmp_path / "in" / "a.csv", 3)
    kwargs = docker_target.kwargs("echo")

    def run(i: int) -> None:
        request = job_request(f"fds-{i}", str(tmp_path / "in"), str(tmp_path / f"out{i}"))
        assert run_transform_job(request, **kwargs).status == "Completed"

    run(0)  # warm-up: imports and the first connection pool
    gc.collect()
    gc.disable()
    try:
        before = open_fds()
        for i in range(1, RUNS + 1):
            run(i)
        after = open_fds()
    finally:
        gc.enable()
    assert after - before <= 5, f"{after - before} file descriptors more after {RUNS} runs ({before} -> {after})"
