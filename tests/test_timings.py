"""`bte run --timings`: consecutive phases that account for the whole run, on a real job."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from emulator.engine.container_client import ping_interval
from emulator.timings import PHASES
from tests.engine.jobs import REPO, job_request

ROW = re.compile(r"^(?P<name>.+?)\s+(?P<seconds>\d+\.\d{3}) s\s+(?P<share>[\d.]+)%$")


def test_timings_cover_the_whole_run_of_a_real_job(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "one.csv").write_text("1,2,3\n")
    job = tmp_path / "job.json"
    import json

    job.write_text(json.dumps(job_request("timed", str(tmp_path / "in"), str(tmp_path / "out"))))
    started = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "run", str(job), "--model-dir", str(REPO / "sample_models" / "echo"),
         "--quiet", "--timings"],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    wall = time.time() - started
    assert proc.returncode == 0, proc.stderr
    rows = [m for line in proc.stderr.splitlines() if (m := ROW.match(line.strip()))]
    assert [m["name"] for m in rows] == [name for name, _, _ in PHASES]
    covered = sum(float(m["seconds"]) for m in rows)
    assert 0.95 * wall <= covered <= wall + 0.05, (covered, wall, proc.stderr)
    assert (tmp_path / "out" / "one.csv.out").read_text() == "1,2,3\n"


def test_ping_polls_fast_first_then_backs_off() -> None:
    assert ping_interval(0.0) == 0.01
    assert ping_interval(5.0) == 0.05
    assert ping_interval(60.0) == 0.25
