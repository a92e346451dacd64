"""The process runtime with real subprocesses: plain-http's serve.py as a stand-in server,
and bte's own serving shim (the default command) once it exists."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest
import requests

from emulator.runtime import InstanceSpec, InstanceStartFailed, ProcessRuntime, get_runtime
from tests.runtime.conftest import PLAIN_HTTP_DIR
from tests.runtime.helpers import wait_exited, wait_ready

PLAIN_HTTP = [sys.executable, str(PLAIN_HTTP_DIR / "serve.py"), "serve"]


def spec(job_name: str, model_dir: Path | None, **kw: object) -> InstanceSpec:
    return InstanceSpec(
        name=f"{job_name}-1", job_name=job_name,
        model_dir=None if model_dir is None else str(model_dir), **kw,  # type: ignore[arg-type]
    )


def test_process_serves_on_loopback_with_model_dir_and_environment(job_name, model_dir) -> None:
    lines: list[tuple[str, str]] = []
    runtime = ProcessRuntime(command=PLAIN_HTTP)
    instance = runtime.start(spec(job_name, model_dir, environment={"PLAIN_HTTP_CASE": "lower"}),
                             on_log=lambda name, line: lines.append((name, line)))
    try:
        assert instance.url.startswith("http://127.0.0.1:")
        wait_ready(instance)
        answer = requests.post(f"{instance.url}/invocations", data=b"HeLLo", timeout=5)
        assert answer.content == b">> hello"  # prefix.txt found through SM_MODEL_DIR
    finally:
        instance.stop()
    port = instance.url.rsplit(":", 1)[1]
    assert (f"{job_name}-1", f"plain-http: listening on 127.0.0.1:{port}, model dir {model_dir}, case lower") in lines
    assert not instance.is_alive()


def test_environment_adds_contract_variables_and_drops_inherited_ones(job_name, model_dir, monkeypatch) -> None:
    monkeypatch.setenv("SAGEMAKER_PROGRAM", "someone-elses.py")
    monkeypatch.setenv("SM_MODEL_DIR", "/elsewhere")
    monkeypatch.setenv("BTE_RUNTIME_TEST_KEEP", "kept")
    (model_dir / "code").mkdir()
    env = ProcessRuntime().environment_for(spec(job_name, model_dir, environment={"MODEL_SETTING": "7"}), 12345)
    assert "SAGEMAKER_PROGRAM" not in env
    assert env["SM_MODEL_DIR"] == str(model_dir)
    assert env["SAGEMAKER_SUBMIT_DIRECTORY"] == str(model_dir / "code")  # model_dir/code wins when present
    assert (env["SAGEMAKER_BIND_TO_PORT"], env["BTE_BIND_HOST"]) == ("12345", "127.0.0.1")
    assert (env["MODEL_SETTING"], env["BTE_RUNTIME_TEST_KEEP"]) == ("7", "kept")


def running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (an orphan may wait a while to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize(("stop_timeout", "exit_code"), [(0.0, -9), (5.0, 0)])
def test_stop_kills_the_whole_process_group(job_name, model_dir, stop_timeout, exit_code) -> None:
    # The server forks a child that would outlive a plain kill of the server's own pid.
    # By default it is killed at once (no grace period); with stop_timeout it gets SIGTERM first.
    shell = f'sleep 300 & echo "child $!"; exec {sys.executable} {PLAIN_HTTP_DIR / "serve.py"} serve'
    instance = ProcessRuntime(command=["sh", "-c", shell], stop_timeout=stop_timeout).start(spec(job_name, model_dir))
    wait_ready(instance)
    child = int(next(line for line in instance.log_tail() if line.startswith("child ")).split()[1])
    assert running(child)
    started = time.monotonic()
    instance.stop()
    instance.stop()
    assert time.monotonic() - started < 5
    # SIGKILL to the group is delivered asynchronously: on a busy machine the child may
    # take a moment to die after stop() returns. It must be gone within a second.
    deadline = time.monotonic() + 1.0
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not running(child)
    assert instance.exit_code() == exit_code  # serve.py exits cleanly on SIGTERM


def test_process_that_exits_at_once_reports_exit_code_and_logs(job_name, model_dir) -> None:
    instance = ProcessRuntime(command=PLAIN_HTTP).start(spec(job_name, model_dir, environment={"PLAIN_HTTP_CASE": "x"}))
    try:
        wait_exited(instance)
        assert instance.exit_code() == 2
        assert instance.log_tail() == ["plain-http: PLAIN_HTTP_CASE='x' is not one of ['lower', 'upper']"]
    finally:
        instance.stop()


def test_start_errors_name_the_instance_and_what_is_missing(job_name, tmp_path) -> None:
    with pytest.raises(InstanceStartFailed, match=f"{job_name}-1 of job {job_name} has neither a model directory"):
        ProcessRuntime().start(spec(job_name, None))
    with pytest.raises(InstanceStartFailed, match="model directory .*/absent of instance"):
        ProcessRuntime().start(spec(job_name, tmp_path / "absent"))
    with pytest.raises(InstanceStartFailed, match="as a process .*no-such-server") as err:
        ProcessRuntime(command=[str(tmp_path / "no-such-server")]).start(spec(job_name, tmp_path))
    assert isinstance(err.value.__cause__, OSError)


INFERENCE_PY = '''\
def model_fn(model_dir):
    return open(model_dir + "/prefix.txt").read()

def predict_fn(data, model):
    return [model + str(2 * x) for x in data]
'''


@pytest.mark.skipif(
    importlib.util.find_spec("emulator.serving.__main__") is None,
    reason="the serving shim (python -m emulator.serving serve) is not built yet",
)
def test_default_command_runs_inference_py_through_the_serving_shim(job_name, model_dir) -> None:
    (model_dir / "inference.py").write_text(INFERENCE_PY)
    instance = get_runtime("process").start(spec(job_name, model_dir))
    try:
        wait_ready(instance, timeout=30)
        answer = requests.post(f"{instance.url}/invocations", json=[1, 2], timeout=10)
        assert answer.status_code == 200, (answer.text, instance.log_tail())
        assert answer.json() == [">> 2", ">> 4"]
    finally:
        instance.stop()
    assert not instance.is_alive()
