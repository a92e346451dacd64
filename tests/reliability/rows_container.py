"""Faults of the model container itself, on the Docker runtime (the echo image)."""

from __future__ import annotations

import json
import threading

from emulator.engine import events as ev
from tests.reliability.harness import Case, Fault, Outcome, job, lines

SLOW_PARAMS = {"MaxConcurrentTransforms": 2, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 1}
PARAMS_LINE = "MaxConcurrentTransforms=2, MaxPayloadInMB=1, BatchStrategy=SINGLE_RECORD"
DEFAULTS_LINE = "MaxConcurrentTransforms=1, MaxPayloadInMB=6, BatchStrategy=MULTI_RECORD"


def image_missing(case: Case) -> Outcome:
    case.docker_image = "bte-sample/no-such-image:latest"
    return job("image-missing", {})(case)


def killed_mid_job(case: Case) -> Outcome:
    import docker

    client = docker.from_env()
    killed = threading.Event()

    def kill_after_two(event: ev.Event) -> None:
        if isinstance(event, ev.MiniBatchDone) and event.batch >= 2 and not killed.is_set():
            killed.set()
            for container in client.containers.list(filters={"label": "bte.job=killed-mid-job"}):
                container.kill()

    case.write("a.csv", lines(60))
    try:
        return case.run(case.request("killed-mid-job", BatchStrategy="SingleRecord", MaxConcurrentTransforms=1),
                        {"ECHO_LATENCY_MS": "50"}, listeners=[kill_after_two])
    finally:
        client.close()


ROWS = [
    Fault("image-missing", "container", "the model's image does not exist",
          "the job fails (the image cannot be pulled)",
          "Failed before any request; bte never pulls: it says how to build the image",
          "is not built locally, and bte never pulls images", "Failed", image_missing, outputs=(), docker=True),
    Fault("exits-at-start", "container", "the container exits as it starts (status 3)",
          "Failed: \"failed to respond to ping\" after its ping timeout",
          "Failed at once, with the exit code and the container's last log lines",
          "exited with code 3 before it became healthy", "Failed",
          job("exits-at-start", {"ECHO_EXIT_AT_START": "3"}), outputs=(), docker=True),
    Fault("never-healthy", "container", "/ping never answers 200",
          "pings for about 30 minutes, then Failed with the ping text",
          "Failed after --ping-timeout (300 s by default; 3 s here) with the service's text",
          "Model container failed to respond to ping", "Failed",
          job("never-healthy", {"ECHO_NEVER_HEALTHY": "1"}, ping_timeout_s=3), outputs=(), docker=True),
    Fault("slow-start", "container", "the model loads slowly, but within the start limit",
          "waits for the first healthy ping, then runs", "Completed, every output whole",
          "", "Completed",
          job("slow-start", {"ECHO_START_DELAY_S": "2"}), outputs=("a.csv.out",), docker=True),
    Fault("crash-after-n", "container", "the container crashes after answering 3 requests",
          "the job fails", "Failed, naming the mini-batch cut off, the exit code and the last log lines",
          "exited with code 1", "Failed",
          job("crash-after-n", {"ECHO_CRASH_AFTER_N": "3", "ECHO_LATENCY_MS": "100"}, records=20,
              request={"BatchStrategy": "SingleRecord", "MaxConcurrentTransforms": 1}), outputs=(), docker=True),
    Fault("killed-mid-job", "container", "the container is killed from outside mid-job (docker kill)",
          "the job fails", "Failed, naming the mini-batch cut off and the exit code",
          "exited with code 137", "Failed", killed_mid_job, outputs=(), docker=True),
    Fault("params-garbage", "container", "/execution-parameters answers something that is not JSON",
          "unknown", "bte's choice: the defaults, a data-log line saying why; Completed",
          "/execution-parameters answered something that is not JSON", "Completed",
          job("params-garbage", {"ECHO_EXECUTION_PARAMETERS_BODY": "workers=2"}), outputs=("a.csv.out",),
          docker=True),
    Fault("params-404", "container", "/execution-parameters answers 404 (not implemented)",
          "tolerated silently; the defaults are used", "the defaults, and a data-log line saying so; Completed",
          "/execution-parameters answered 404 (not implemented)", "Completed",
          job("params-404", {"ECHO_EXECUTION_PARAMETERS": "null"}), outputs=("a.csv.out",), docker=True),
    Fault("params-slow", "container", "/execution-parameters answers after 3 s",
          "unknown (how long it waits is not documented)",
          "bte waits up to 30 s for it (a ping gets 2 s) and uses the answer", PARAMS_LINE, "Completed",
          job("params-slow", {"ECHO_EXECUTION_PARAMETERS": json.dumps(SLOW_PARAMS),
                                 "ECHO_EXECUTION_PARAMETERS_DELAY_S": "3"}), outputs=("a.csv.out",), docker=True),
    Fault("params-too-slow", "container", "/execution-parameters answers after its time limit (1 s here)",
          "unknown", "bte's choice: the defaults, and a data-log line saying it did not answer in time",
          "/execution-parameters did not answer within 1 s", "Completed",
          job("params-too-slow", {"ECHO_EXECUTION_PARAMETERS": json.dumps(SLOW_PARAMS),
                                     "ECHO_EXECUTION_PARAMETERS_DELAY_S": "3"}, execution_parameters_timeout_s=1),
          outputs=("a.csv.out",), check=lambda c, o: _said(o, DEFAULTS_LINE), docker=True),
]


def _said(outcome: Outcome, line: str) -> None:
    assert any(line in said for said in outcome.data_log), f"{line!r} not in the data log: {outcome.data_log}"
