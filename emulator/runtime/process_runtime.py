"""The process runtime: the model's ``inference.py`` served by bte's serving shim in a
local subprocess, for users without Docker (the quick start's default).

The command is ``python -m emulator.serving serve`` with the same interpreter that runs
bte. Its environment is bte's own environment, minus the SageMaker/bte contract variables
that bte itself may have inherited (they would point the shim elsewhere), plus the
instance's environment and where to find the model and where to listen:
``SM_MODEL_DIR``, ``SAGEMAKER_SUBMIT_DIRECTORY``, ``SAGEMAKER_BIND_TO_PORT``,
``BTE_BIND_HOST=127.0.0.1``.

The process starts in its own session (so its own process group); ``stop`` sends SIGTERM
to the whole group, waits, then SIGKILL, so workers the server forked die with it.
Instance-type limits are not applied to processes (their notes say so).
"""

from __future__ import annotations

import atexit
import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import cast

import emulator
from emulator.processes import this_process
from emulator.runtime.base import LOOPBACK, InstanceSpec, LogCallback, free_port, url_for
from emulator.runtime.errors import InstanceStartFailed
from emulator.runtime.logs import LogPump, LogTail

#: Inherited variables that would confuse the shim about where its model or port is.
_STRIPPED_PREFIXES = ("SAGEMAKER_", "SM_")
_STRIPPED_NAMES = ("BTE_BIND_HOST",)
# The directory that holds the ``emulator`` package, so the child imports the same bte.
_BTE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(emulator.__file__)))


def default_command() -> list[str]:
    return [sys.executable, "-m", "emulator.serving", "serve"]


class ProcessInstance:
    """A running model-server process group; see ``Instance`` in ``base.py``."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], port: int, tail: LogTail, stop_timeout: float) -> None:
        self.name = name
        self.process = process
        self.url = url_for(port)
        self.notes: tuple[str, ...] = ()
        self._tail = tail
        self._stop_timeout = stop_timeout
        self._pump: LogPump | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def exit_code(self) -> int | None:
        return self.process.poll()

    def log_tail(self, n: int = 20) -> list[str]:
        if self._pump is not None and not self.is_alive():
            self._pump.join(2.0)  # let the reader deliver the last lines
        return self._tail.last(n)

    def stop(self) -> None:
        """SIGKILL the process group (after SIGTERM and ``stop_timeout`` s, when that is > 0);
        idempotent. The log pipe is read to its end before this returns."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            if self._stop_timeout > 0:
                _signal_group(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(self._stop_timeout)
                except subprocess.TimeoutExpired:
                    pass
            # Kill the group even if the leader exited: its children may not have.
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()
            _LIVE.discard(self)
        if self._pump is not None:
            self._pump.join(5.0)

    def __repr__(self) -> str:
        return f"ProcessInstance(name={self.name!r}, url={self.url!r}, pid={self.process.pid})"


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already


class _LiveProcesses:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._instances: set[ProcessInstance] = set()

    def add(self, instance: ProcessInstance) -> None:
        with self._lock:
            self._instances.add(instance)

    def discard(self, instance: ProcessInstance) -> None:
        with self._lock:
            self._instances.discard(instance)

    def pids(self) -> list[int]:
        with self._lock:
            return [i.process.pid for i in self._instances]

    def kill_all(self) -> None:
        """SIGKILL every live process group; used at interpreter exit."""
        with self._lock:
            instances = list(self._instances)
            self._instances.clear()
        for instance in instances:
            _signal_group(instance.process.pid, signal.SIGKILL)


_LIVE = _LiveProcesses()
atexit.register(_LIVE.kill_all)


def kill_live_processes() -> None:
    """SIGKILL every process instance started and not yet stopped."""
    _LIVE.kill_all()


def live_process_ids() -> list[int]:
    """Process-group ids of process instances started and not yet stopped."""
    return _LIVE.pids()


OWNER_ENV = "BTE_OWNER"
JOB_ENV = "BTE_JOB"


class ProcessRuntime:
    """Starts instances as local processes. ``command`` replaces the shim (e.g. for a test server)."""

    name = "process"

    def __init__(self, command: Sequence[str] | None = None, stop_timeout: float = 0.0, log_capacity: int = 200) -> None:
        self.command = list(command) if command is not None else default_command()
        self.stop_timeout = stop_timeout
        self.log_capacity = log_capacity

    def environment_for(self, spec: InstanceSpec, port: int) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(_STRIPPED_PREFIXES) and k not in _STRIPPED_NAMES
        }
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_BTE_ROOT, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"  # log lines as they are printed, not when a buffer fills
        env.update(spec.environment)
        model_dir, code_dir = _dirs(spec)
        env["SM_MODEL_DIR"] = model_dir
        env["SAGEMAKER_SUBMIT_DIRECTORY"] = code_dir
        env["SAGEMAKER_BIND_TO_PORT"] = str(port)
        env["BTE_BIND_HOST"] = LOOPBACK
        # Who started it: cleanup finds the model servers of a killed bte by these (orphans.py).
        env[OWNER_ENV] = this_process().as_label()
        env[JOB_ENV] = spec.job_name
        return env

    def start(self, spec: InstanceSpec, on_log: LogCallback | None = None) -> ProcessInstance:
        port = free_port()
        env = self.environment_for(spec, port)
        try:
            process = subprocess.Popen(
                self.command,
                env=env,
                cwd=env["SAGEMAKER_SUBMIT_DIRECTORY"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() signals all of it
            )
        except OSError as exc:
            raise InstanceStartFailed(
                f"could not start instance {spec.name} of job {spec.job_name} as a process "
                f"({' '.join(self.command)}): {exc}",
                instance=spec.name,
            ) from exc
        instance = ProcessInstance(spec.name, process, port, LogTail(self.log_capacity), self.stop_timeout)
        instance.notes = (f"the process runtime does not apply the CPU and memory limits of {spec.instance_type}",)
        _LIVE.add(instance)
        assert process.stdout is not None
        stdout = cast(io.BufferedReader, process.stdout)  # Popen's pipes are buffered readers
        chunks = iter(lambda: stdout.read1(65536), b"")
        instance._pump = LogPump(spec.name, chunks, instance._tail, on_log, on_end=stdout.close)
        instance._pump.start()
        return instance


def _dirs(spec: InstanceSpec) -> tuple[str, str]:
    """(model dir, code dir) as absolute paths; code dir defaults to model_dir/code, then model_dir."""
    if spec.model_dir is None and spec.code_dir is None:
        raise InstanceStartFailed(
            f"instance {spec.name} of job {spec.job_name} has neither a model directory nor a code "
            "directory: the process runtime needs the directory that holds inference.py",
            instance=spec.name,
        )
    model_dir = os.path.abspath(spec.model_dir or spec.code_dir or "")
    if spec.code_dir is not None:
        code_dir = os.path.abspath(spec.code_dir)
    elif os.path.isdir(os.path.join(model_dir, "code")):
        code_dir = os.path.join(model_dir, "code")
    else:
        code_dir = model_dir
    for what, path in (("model", model_dir), ("code", code_dir)):
        if not os.path.isdir(path):
            raise InstanceStartFailed(
                f"{what} directory {path} of instance {spec.name} (job {spec.job_name}) does not exist",
                instance=spec.name,
            )
    return model_dir, code_dir
