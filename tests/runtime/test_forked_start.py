"""Containers started by a child forked before bte's imports (emulator/runtime/forked_start.py),
on the real Docker engine: adopted with their log from the first line, owned by this
process, refused with the engine's own error, and removed when never taken."""

from __future__ import annotations

import os
import secrets
import time

import pytest
import requests

from emulator.processes import this_process
from emulator.runtime import INSTANCE_LABEL, JOB_LABEL, DockerRuntime, ImageNotFound, InstanceSpec
from emulator.runtime.docker_engine import OWNER_LABEL
from emulator.runtime.forked_start import ForkedHeadStart, ForkedStarter

pytestmark = pytest.mark.docker


def spec(job: str, image: str, n: int = 1) -> InstanceSpec:
    return InstanceSpec(name=f"{job}-{n}", job_name=job, image=image, instance_type="ml.m5.large")


def containers(docker_client, job: str) -> list:
    return docker_client.containers.list(all=True, filters={"label": f"{JOB_LABEL}={job}"})


def wait_for_ping(url: str) -> None:
    deadline = time.time() + 60
    while True:
        try:
            if requests.get(f"{url}/ping", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert time.time() < deadline, f"{url} never answered /ping"
        time.sleep(0.05)


def test_the_engine_adopts_what_the_child_started_with_its_first_log_lines(docker_client, sample_image) -> None:
    job = f"forked-{secrets.token_hex(3)}"
    starter = ForkedStarter.begin()
    assert starter is not None
    starter.start([spec(job, sample_image("echo"))])
    head = ForkedHeadStart(starter, DockerRuntime)
    time.sleep(1.5)  # the server logs before the engine asks for the instance
    lines: list[str] = []
    instance = head.runtime().start(spec(job, sample_image("echo")), on_log=lambda _name, line: lines.append(line))
    try:
        wait_for_ping(instance.url)
        assert requests.post(f"{instance.url}/invocations", data=b"1,2\n", timeout=5).content == b"1,2\n"
        (container,) = containers(docker_client, job)
        assert container.labels[INSTANCE_LABEL] == f"{job}-1"
        assert container.labels[OWNER_LABEL] == this_process().as_label()  # the parent owns it, not the child
        deadline = time.time() + 5
        while not lines and time.time() < deadline:
            time.sleep(0.05)
        assert lines, "the container's log lines from before the adoption were not delivered"
    finally:
        instance.stop()
        head.discard()
    assert containers(docker_client, job) == []


def test_a_missing_image_is_refused_with_the_runtimes_own_error(docker_client) -> None:
    job = f"forked-{secrets.token_hex(3)}"
    image = f"bte-no-such-image-{secrets.token_hex(3)}:latest"
    with pytest.raises(ImageNotFound) as direct:
        DockerRuntime().start(spec(job, image))
    starter = ForkedStarter.begin()
    assert starter is not None
    starter.start([spec(job, image)])
    head = ForkedHeadStart(starter, DockerRuntime)
    with pytest.raises(ImageNotFound) as forked:
        head.runtime().start(spec(job, image))
    head.discard()
    assert str(forked.value) == str(direct.value)
    assert forked.value.image == image
    assert containers(docker_client, job) == []


def test_what_is_never_taken_is_removed(docker_client, sample_image) -> None:
    job = f"forked-{secrets.token_hex(3)}"
    starter = ForkedStarter.begin()
    assert starter is not None
    starter.start([spec(job, sample_image("echo"), 1), spec(job, sample_image("echo"), 2)])
    ForkedHeadStart(starter, DockerRuntime).discard()  # e.g. the plan failed, or Ctrl-C before the run
    assert containers(docker_client, job) == []


def test_a_cancelled_starter_starts_nothing_and_its_child_exits(docker_client) -> None:
    starter = ForkedStarter.begin()
    assert starter is not None
    pid = starter._pid
    starter.cancel()
    deadline = time.time() + 10
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            break  # reaped by cancel itself
        if done:
            break
        assert time.time() < deadline, "the starter's child did not exit"
        time.sleep(0.05)
