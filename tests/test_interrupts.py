"""Ctrl-C (SIGINT) and SIGTERM on a real `bte run` process: the job always ends Stopped,
reported, with nothing left behind, however many times the user presses."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.engine.jobs import REPO, job_request, start_bte_run, wait_for
from tests.engine.test_job_runs import write_lines

ECHO = str(REPO / "sample_models" / "echo")


def start(tmp_path: Path, name: str, *extra: str) -> subprocess.Popen[bytes]:
    write_lines(tmp_path / "in" / "a.csv", 400)
    write_lines(tmp_path / "in" / "b.csv", 400)
    request = job_request(name, str(tmp_path / "in"), str(tmp_path / "out"), BatchStrategy="SingleRecord",
                          Environment={"ECHO_LATENCY_MS": "30"})
    return start_bte_run(tmp_path, request, "--model-dir", ECHO, *extra)


def wait_until_writing(out: Path) -> None:
    wait_for(lambda: out.exists() and any(out.iterdir()), "the job to start writing")


def model_processes(name: str) -> bytes:
    args = subprocess.run(["ps", "-eo", "args"], capture_output=True).stdout
    return b"\n".join(line for line in args.splitlines() if f"{name}-1".encode() in line and b"ps -eo" not in line)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_second_signal_while_stopping_abandons_cleanly_and_still_reports_stopped(tmp_path, sig):
    proc = start(tmp_path, "press-twice", "--json")
    wait_until_writing(tmp_path / "out")
    for _ in range(3):  # a short gap: Python runs a handler once for signals that arrive together
        proc.send_signal(sig)
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=30)
    text = stderr.decode()
    assert "Traceback" not in text
    assert "press Ctrl-C again to abandon" in text
    assert proc.returncode == 1, text
    assert "Transform job press-twice: Stopped" in text
    assert json.loads(stdout)["TransformJobStatus"] == "Stopped"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []  # no .out, no partial
    assert model_processes("press-twice") == b""


def test_ctrl_c_before_the_job_starts_exits_without_a_traceback(tmp_path):
    """While bte still validates and plans (here: reading a FIFO that never gets data)."""
    import os

    fifo = tmp_path / "job.json"
    os.mkfifo(fifo)
    # A shell that started the tests in the background (`cmd &`) left SIGINT ignored, and
    # Python keeps an ignored SIGINT so; a terminal's Ctrl-C always finds it at its default.
    proc = subprocess.Popen([sys.executable, "-m", "emulator.cli", "run", str(fifo), "--model-dir", ECHO],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(1.5)  # python has started and blocks opening the FIFO
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in stderr.decode()
    assert "bte: interrupted" in stderr.decode()


def test_the_second_signal_kills_every_instance_at_once_and_later_ones_only_say_so():
    """In process, with real signals and a real model server: the first signal calls the
    stop (held here until the test lets it go, as a slow stop would be), the second kills
    the instances, the third only reports."""
    import os
    import threading

    from emulator.interrupts import ABANDONING, STILL_STOPPING, STOPPING, StopOnSignals
    from emulator.runtime import InstanceSpec, get_runtime

    instance = get_runtime("process").start(InstanceSpec(name="abandon-1", job_name="abandon", model_dir=ECHO))
    said: list[str] = []
    stop_called = threading.Event()
    try:
        with StopOnSignals(said.append) as signals:
            signals.attach(stop_called.set)
            for expected in (STOPPING, ABANDONING, STILL_STOPPING):
                os.kill(os.getpid(), signal.SIGINT)
                wait_for(lambda: expected in said, f"the watcher to say {expected!r}", 10)
            assert stop_called.is_set()
            wait_for(lambda: not instance.is_alive(), "the instance to be killed", 10)
        assert said == [STOPPING, ABANDONING, STILL_STOPPING]
        assert instance.exit_code() == -signal.SIGKILL
    finally:
        instance.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)
