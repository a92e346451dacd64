"""A run's record of what it owns, and how a killed run is told from a live one: by pid
and process start time, since a pid may be given to a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from emulator.processes import ProcessIdentity, is_running, this_process
from emulator.store import run_record
from emulator.store.paths import new_run_id, run_dir


def test_a_run_records_its_owner_output_and_uploads_then_its_end():
    record = run_record.begin("job-a", new_run_id(), "s3://b/out/", "http://127.0.0.1:9")
    on_disk = json.loads((run_dir("job-a", record.run_id) / "run.json").read_text())
    assert on_disk["Owner"] == this_process().as_label() and on_disk["EndTime"] is None
    assert on_disk["OutputPath"] == "s3://b/out/" and on_disk["Status"] == "InProgress"
    run_record.note_upload(record, "s3://b/out/a.csv.out", "u-1")
    assert run_record.uploads(record) == [("s3://b/out/a.csv.out", "u-1")]
    [found] = run_record.records("job-a")
    assert run_record.live([found]) == [found] and run_record.abandoned([found]) == []
    run_record.end(record, "Completed")
    [found] = run_record.records("job-a")
    assert found.status == "Completed" and not found.open and run_record.live([found]) == []


def test_a_dead_owner_and_a_reused_pid_both_count_as_gone():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not is_running(ProcessIdentity(dead.pid, this_process().started))
    me = this_process()
    assert is_running(me)
    assert me.started, "Linux gives every process a start time"
    assert not is_running(ProcessIdentity(os.getpid(), me.started + "0"))  # same pid, another process


def test_records_of_one_job_only_and_unreadable_ones_skipped(tmp_path):
    run_record.begin("job-b", new_run_id(), str(tmp_path))
    run_record.begin("job-c", new_run_id(), str(tmp_path))
    broken = run_dir("job-b", new_run_id()) / "run.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"TransformJobName": "job-b", ')  # its writer was killed mid-write
    assert [r.job for r in run_record.records("job-b")] == ["job-b"]
    assert sorted(r.job for r in run_record.records()) == ["job-b", "job-c"]
