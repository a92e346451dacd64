"""Stops mid-job: StopTransformJob (in process), Ctrl-C and SIGTERM on `bte run`; and the
rows whose tests live beside the code they test."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable

from emulator.engine import events as ev
from emulator.engine.runner import JobRunner
from tests.engine.jobs import SAMPLES, model_request, start_bte_run, wait_for
from tests.reliability.harness import Case, Fault, Outcome, lines

SLOW = {"ECHO_LATENCY_MS": "20"}
SERVICE = "Stopping, then Stopped; \"doesn't store the job's output\""
BTE = "Stopped: instances removed, outputs this run committed taken back, no partial or temporary left"


def _stop_call(case: Case) -> Outcome:
    """StopTransformJob's engine call, on a job writing to S3 (no object, no open upload stays)."""
    s3 = case.s3.client()
    for name in ("a.csv", "b.csv"):
        s3.put_object(Bucket=case.bucket, Key=f"in/{name}", Body=lines(300))
    runners: list[JobRunner] = []

    def stop_after_a(event: ev.Event) -> None:
        if isinstance(event, ev.FileDone) and runners:
            runners[0].stop()

    request = case.request("stop-call", BatchStrategy="SingleRecord", TransformInput={
        "DataSource": {"S3DataSource": {"S3Uri": f"s3://{case.bucket}/in/"}}},
        TransformOutput={"S3OutputPath": f"s3://{case.bucket}/out/"})
    outcome = case.run(request, SLOW, listeners=[stop_after_a], on_runner=runners.append)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=case.bucket, Prefix="out/").get("Contents", [])]
    assert keys == [], keys
    return outcome


def _signal(sig: signal.Signals, docker: bool) -> Callable[[Case], Outcome]:
    def run(case: Case) -> Outcome:
        case.write("a.csv", lines(3000))
        name = f"stop-{sig.name.lower()}"
        request = case.request(name, BatchStrategy="SingleRecord")
        if docker:
            (case.tmp / "model.json").write_text(json.dumps(model_request("echo", case.docker_image, SLOW)))
            args = ["--model", str(case.tmp / "model.json")]
        else:
            request["Environment"] = SLOW
            args = ["--model-dir", str(SAMPLES / "echo")]
        proc = start_bte_run(case.tmp, request, *args, "--json", "--quiet", env={"BTE_DOCKER_NETWORK": "host"})
        wait_for(lambda: case.out.exists() and any(case.out.iterdir()), "the job to start writing")
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=30)
        described = json.loads(stdout)
        if docker:
            left = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=bte.job={name}"],
                                  capture_output=True, text=True).stdout.split()
            assert left == [], f"containers left: {left}"
        text = stderr.decode()
        assert "Traceback" not in text
        return Outcome(described["TransformJobStatus"], text, [], case.out)

    return run


ELSEWHERE = [
    ("stop-rerun", "a rerun into the folder of its earlier outputs is stopped",
     "tests/engine/test_stop.py::test_stopping_a_rerun_puts_back_every_earlier_output"),
    ("stop-shared-folder", "one of two jobs sharing an output folder is stopped",
     "tests/engine/test_stop.py::test_stopping_one_job_keeps_another_jobs_outputs_in_the_same_folder"),
    ("ctrl-c-twice", "Ctrl-C (or SIGTERM) pressed again while the job stops",
     "tests/test_interrupts.py::test_a_second_signal_while_stopping_abandons_cleanly_and_still_reports_stopped"),
]

ROWS = [
    Fault("stop-call", "stop", "StopTransformJob mid-job, outputs on S3", SERVICE, BTE, "", "Stopped", _stop_call,
          outputs=(), s3=True),
    Fault("ctrl-c", "stop", "Ctrl-C (SIGINT) on `bte run` mid-job", SERVICE, BTE,
          "press Ctrl-C again to abandon", "Stopped", _signal(signal.SIGINT, docker=False), outputs=()),
    Fault("sigterm", "stop", "SIGTERM on `bte run` mid-job", SERVICE, BTE + "; no container", "", "Stopped",
          _signal(signal.SIGTERM, docker=True), outputs=(), docker=True),
    *(Fault(rid, "stop", fault, SERVICE, "Stopped; every earlier or other job's output whole, as it was", "",
            "Stopped", elsewhere=where) for rid, fault, where in ELSEWHERE),
    Fault("kill-9", "stop", "`kill -9` of `bte run` mid-job", "(the platform owns its instances)",
          "`bte cleanup` and the next run of the job remove its instances, partials and open uploads; "
          "a run still going on the same prefix is never touched",
          "1 abandoned run(s) closed", "(killed)",
          elsewhere="tests/engine/test_killed_runs.py::test_bte_cleanup_after_kill_9_removes_the_model_server_and_the_partial"),
    Fault("kill-9-upload", "stop", "`kill -9` of `bte run` during a multipart upload",
          "(incomplete uploads stay until a lifecycle rule)", "`bte cleanup` aborts the uploads the run noted",
          "(multipart upload", "(killed)",
          elsewhere="tests/engine/test_killed_runs.py::test_bte_cleanup_aborts_the_multipart_upload_a_killed_run_left_open"),
    Fault("server-restart", "stop", "`bte serve` killed mid-job and started again",
          "(the service does not restart)", "the job ends Failed with a reason saying so; its containers removed",
          "", "Failed",
          elsewhere="tests/api/test_lifecycle.py::test_a_killed_server_ends_its_jobs_as_failed_on_restart_and_removes_their_containers"),
]
