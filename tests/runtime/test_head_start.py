"""Instances begun ahead of the engine (emulator/runtime/head_start.py), with real model
server processes: handed over once, their early log lines replayed, the rest stopped."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import requests

from emulator.runtime import InstanceSpec, InstanceStartFailed, ProcessRuntime
from emulator.runtime.head_start import HeadStart
from tests.runtime.conftest import PLAIN_HTTP_DIR
from tests.runtime.helpers import wait_ready

PLAIN_HTTP = [sys.executable, str(PLAIN_HTTP_DIR / "serve.py"), "serve"]


def spec(job_name: str, model_dir: Path, n: int = 1) -> InstanceSpec:
    return InstanceSpec(name=f"{job_name}-{n}", job_name=job_name, model_dir=str(model_dir))


def test_the_engine_gets_the_instance_begun_ahead_with_its_early_log_lines(job_name, model_dir) -> None:
    head = HeadStart(ProcessRuntime(command=PLAIN_HTTP))
    head.begin([spec(job_name, model_dir)])
    time.sleep(1.0)  # the server prints its first line before the engine asks
    lines: list[tuple[str, str]] = []
    instance = head.runtime().start(spec(job_name, model_dir), on_log=lambda name, line: lines.append((name, line)))
    try:
        wait_ready(instance)
        assert requests.post(f"{instance.url}/invocations", data=b"x", timeout=5).content == b">> X"  # upper case by default
        port = instance.url.rsplit(":", 1)[1]
        assert lines and lines[0][0] == f"{job_name}-1"
        assert f"listening on 127.0.0.1:{port}" in lines[0][1]  # printed before the engine's on_log existed
        # Handed over once: asking again starts a second, separate instance.
        again = head.runtime().start(spec(job_name, model_dir))
        try:
            assert again.url != instance.url
        finally:
            again.stop()
    finally:
        instance.stop()
        head.discard()


def test_a_spec_that_differs_from_the_one_begun_starts_anew(job_name, model_dir) -> None:
    head = HeadStart(ProcessRuntime(command=PLAIN_HTTP))
    begun = spec(job_name, model_dir)
    head.begin([begun])
    other = InstanceSpec(name=begun.name, job_name=job_name, model_dir=str(model_dir), environment={"PLAIN_HTTP_CASE": "lower"})
    instance = head.runtime().start(other)
    try:
        wait_ready(instance)
        assert requests.post(f"{instance.url}/invocations", data=b"AbC", timeout=5).content == b">> abc"
    finally:
        instance.stop()
        head.discard()  # the one begun for the first spec is stopped here; the fixture checks


def test_discard_stops_what_the_engine_never_asked_for(job_name, model_dir) -> None:
    head = HeadStart(ProcessRuntime(command=PLAIN_HTTP))
    head.begin([spec(job_name, model_dir, 1), spec(job_name, model_dir, 2)])
    taken = head.runtime().start(spec(job_name, model_dir, 1))
    head.discard()  # a run that ended early (a stop, an error after the start began)
    try:
        assert taken.is_alive()  # handed over: the engine's to stop
    finally:
        taken.stop()
    # The conftest's check: no process instance left running.


def test_a_start_that_failed_ahead_fails_when_the_engine_asks(job_name, tmp_path) -> None:
    head = HeadStart(ProcessRuntime(command=["/nonexistent/serve"]))
    head.begin([spec(job_name, tmp_path)])
    with pytest.raises(InstanceStartFailed):
        head.runtime().start(spec(job_name, tmp_path))
    head.discard()
