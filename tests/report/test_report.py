"""`bte report`: the report of a real run equals what the containers themselves saw."""

from __future__ import annotations

import subprocess
import sys

from emulator.report import build_timeline, find_run, load_events, write_report
from emulator.store.db import Store


def test_report_lanes_counts_and_bytes_equal_what_the_containers_saw(echo_run):
    store = Store(echo_run.state)
    timeline = build_timeline(load_events(store, find_run(store, "report-echo")))
    store.close()
    assert len(timeline.lanes) == 8  # 2 instances x 4 workers, each took mini-batches
    assert set(timeline.instances) == set(echo_run.stats) == {"report-echo-1", "report-echo-2"}
    for name, seen in echo_run.stats.items():
        mine = timeline.instances[name]
        assert mine.batches == seen["requests"] and mine.bytes_in == sum(seen["sizes"])
        assert mine.bytes_out == mine.bytes_in  # echo answers what it got
        assert mine.failures == 0 and mine.files == 2
    assert sum(s["requests"] for s in echo_run.stats.values()) == 4 * 24


def test_cli_report_writes_an_offline_file_and_prints_the_summary(echo_run, tmp_path):
    out = tmp_path / "report.html"
    done = subprocess.run([sys.executable, "-m", "emulator.cli", "report", "report-echo", "--state-dir",
                           str(echo_run.state), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"run {echo_run.run_id}): Completed" in done.stdout and "8 worker lane(s)" in done.stdout
    assert "report-echo-1: 2 file(s), 48 mini-batch(es)" in done.stdout
    page = out.read_text()
    assert "<script src=" not in page  # plotly.js inlined: nothing to fetch (the browser test proves it)
    assert "Plotly.newPlot" in page and "part-0.csv" in page


def test_byte_ranges_come_from_the_plan_with_the_runs_parameters(echo_run, tmp_path):
    from emulator.report.ranges import byte_ranges

    store = Store(echo_run.state)
    run = find_run(store, echo_run.run_id)
    timeline = build_timeline(load_events(store, run))
    store.close()
    ranges = byte_ranges(run.request, timeline)
    assert len(ranges) == 4 * 24
    body = echo_run.inputs["part-2.csv"]
    source = next(s for s in timeline.files if s.endswith("part-2.csv"))
    lines = body.splitlines(keepends=True)
    assert ranges[(source, 5)] == (sum(map(len, lines[:5])), sum(map(len, lines[:6])))


def test_unknown_run_names_the_store(tmp_path):
    import pytest

    from emulator.report.summary import RunNotFound

    with pytest.raises(RunNotFound, match="no run of a transform job named"):
        write_report("nope", state=tmp_path)


def test_run_with_report_then_runs_lists_both_runs_latest_first(tmp_path):
    import json as jsonlib
    import os

    from tests.engine.jobs import SAMPLES, job_request

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_bytes(b"1,2\n3,4\n")
    job = tmp_path / "job.json"
    job.write_text(jsonlib.dumps(job_request("twice", str(tmp_path / "in"), str(tmp_path / "out"))))
    env = {**os.environ, "BTE_STATE_DIR": str(tmp_path / "state")}
    bte = [sys.executable, "-m", "emulator.cli"]
    first = subprocess.run([*bte, "run", str(job), "--model-dir", str(SAMPLES / "echo"), "-q", "--report"],
                           capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    report = next(line.split(": ", 1)[1] for line in first.stderr.splitlines() if line.startswith("report: "))
    assert report.endswith("report.html") and "Plotly.newPlot" in open(report).read()
    second = subprocess.run([*bte, "run", str(job), "--model-dir", str(SAMPLES / "echo"), "-q"],
                            capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr
    runs = jsonlib.loads(subprocess.run([*bte, "runs", "twice", "--json"], capture_output=True, text=True,
                                        env=env).stdout)
    assert [r["Latest"] for r in runs] == [True, False] and {r["Status"] for r in runs} == {"Completed"}
    assert runs[1]["RunId"] in report  # the first run's report sits in its run folder
    text = subprocess.run([*bte, "report", "twice"], capture_output=True, text=True, env=env).stdout
    assert f"(run {runs[0]['RunId']})" in text  # the name stands for its latest run


def test_retries_and_failures_are_marked_and_add_up_to_what_the_container_saw(tmp_path):
    from tests.report.conftest import run_recorded

    files = {"a.csv": b"".join(b"%d\n" % i for i in range(8)), "b.csv": b"".join(b"%d\n" % i for i in range(8))}
    run = run_recorded(tmp_path, "report-faults", files, status="Failed", BatchStrategy="SingleRecord",
                       MaxConcurrentTransforms=1, MaxPayloadInMB=1,
                       Environment={"ECHO_FAIL_FIRST_N": "2", "ECHO_REFUSE_EVERY_N": "5"})
    store = Store(run.state)
    events = load_events(store, find_run(store, "report-faults"))
    store.close()
    timeline = build_timeline(events)
    kinds = [e["event"] for e in events]
    bars = timeline.bars
    assert timeline.status == "Failed" and timeline.failure_reason == "ClientError: See job logs for more information"
    assert "415" in (timeline.failure_detail or "")  # bte's explanation, beside the service's text
    assert sum(b.status == "failed" for b in bars) == kinds.count("MiniBatchFailed") >= 1
    assert sum(b.retries for b in bars) == kinds.count("MiniBatchRetried") == 2
    assert bars[0].status == "retried"
    attempts = sum(1 + b.retries for b in bars)
    assert attempts == run.stats["report-faults-1"]["requests"]  # every attempt reached the container
    path, text = write_report("report-faults", state=run.state, out=tmp_path / "r.html")
    assert "Failed" in text and f"{kinds.count('MiniBatchFailed')} failure(s)" in text
    assert "FailureReason: ClientError" in text and "BteFailureDetail:" in text and "415" in text
    assert "after 2 retries" in path.read_text()
