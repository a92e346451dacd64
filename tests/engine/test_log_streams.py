"""Log streams named and split per instance as the service's: ``<job>/<instance id>-<epoch>``
for the container's log and ``.../data-log`` for the platform's lines about that instance."""

from __future__ import annotations

import re
from collections import defaultdict

from emulator import run_transform_job
from emulator.engine import events as ev
from tests.engine.jobs import job_request

STREAM = r"two-instances/i-[0-9a-f]{17}-\d{10}"
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}:\[sagemaker logs\]: "


def test_each_instance_has_its_own_container_and_data_log_streams(tmp_path, docker_target):
    (tmp_path / "in").mkdir()
    for name in ("a.csv", "b.csv"):
        (tmp_path / "in" / name).write_text("1\n")
    request = job_request("two-instances", str(tmp_path / "in"), str(tmp_path / "out"),
                          TransformResources={"InstanceCount": 2}, ModelClientConfig={"InvocationsMaxRetries": 0})
    result = run_transform_job(request, **docker_target.kwargs("echo", env={"ECHO_FAIL_EVERY_N": "1"}))
    assert result.status == "Failed"

    lines: dict[str, list[str]] = defaultdict(list)
    instance_of: dict[str, str] = {}
    for event in result.log.of(ev.InstanceLog):
        lines[event.stream].append(event.line)
        instance_of[event.stream] = event.instance
    started = {e.instance: e.log_stream for e in result.log.of(ev.InstanceStarted)}
    assert set(started) == {"two-instances-1", "two-instances-2"}
    assert len(set(started.values())) == 2
    for instance, container in started.items():
        assert re.fullmatch(STREAM, container), container
        assert instance_of[container] == instance and instance_of[f"{container}/data-log"] == instance
        assert any("Uvicorn running" in line or "loading" in line for line in lines[container]), lines[container]
    assert set(lines) == {*started.values(), *(f"{s}/data-log" for s in started.values())}

    # Each instance's data log: its own parameters line, then the service's lines about its
    # own file (the file the engine gave it), each with the answer's body after "Message:".
    files_of = {e.instance: e.source for e in result.log.of(ev.FileStarted)}
    for instance, container in started.items():
        data_log = [line for line in lines[f"{container}/data-log"] if "[sagemaker logs]" in line]
        where = files_of[instance]
        assert re.fullmatch(STAMP + r"MaxConcurrentTransforms=4, MaxPayloadInMB=6, BatchStrategy=MULTI_RECORD",
                            data_log[0]), data_log
        texts = [line.split("[sagemaker logs]: ", 1)[1] for line in data_log[1:]]
        assert texts[:5] == [
            f"{where}: Bad HTTP status received from algorithm: 500", f"{where}: ", f"{where}: Message:",
            f"{where}: echo: request 1 fails on purpose (ECHO_FAIL_EVERY_N=1)",
            f"{where}: Traceback (most recent call last):",  # the answer's body, line by line
        ], texts
        assert texts[-1] == f"{where}: RuntimeError: echo: request 1 fails on purpose (ECHO_FAIL_EVERY_N=1)"
    # bte's explanation closes the first instance's data log, marked as bte's own line
    first = lines[f"{started['two-instances-1']}/data-log"][-1]
    assert re.search(r":\[bte\]: BteFailureDetail: .*\.csv: mini-batch 0", first), first
