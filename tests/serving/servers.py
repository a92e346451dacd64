"""Start real model servers for tests: the shim as a local process, or a sample image as a container.

Both bind 127.0.0.1 on a free port and are stopped (process killed, container removed) by
the context managers, whatever the test did.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_models"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    logs: Callable[[], str]
    exit_code: Callable[[], int | None] = lambda: None  # None while running

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kwargs)

    def post(self, path: str, data: bytes | str = b"", **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, data=data, timeout=10, **kwargs)

    def status(self, path: str = "/ping") -> int | None:
        """The status of GET path, or None while nothing answers on the port."""
        try:
            return requests.get(self.url + path, timeout=2).status_code
        except requests.ConnectionError:
            return None

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not happen within {timeout:g} s; server log:\n{self.logs()[-3000:]}")
            time.sleep(0.05)

    def wait_healthy(self, timeout: float = 30.0) -> None:
        self.wait_until(lambda: self.status() == 200, f"GET {self.url}/ping -> 200", timeout)


@contextmanager
def local_server(model_dir: Path, env: dict[str, str] | None = None, submit_dir: Path | None = None) -> Iterator[Server]:
    """``python -m emulator.serving serve`` exactly as bte's process runtime starts it."""
    port = free_port()
    full_env = {
        **os.environ,
        "SM_MODEL_DIR": str(model_dir),
        "SAGEMAKER_SUBMIT_DIRECTORY": str(submit_dir or model_dir),
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "BTE_BIND_HOST": "127.0.0.1",
        **(env or {}),
    }
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "emulator.serving", "serve"], env=full_env, cwd=ROOT, stdout=log, stderr=log
        )

        def logs() -> str:
            log.seek(0)
            return log.read().decode(errors="replace")

        try:
            yield Server(f"http://127.0.0.1:{port}", logs, proc.poll)
        finally:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def container_server(docker_client: Any, image: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``docker run IMAGE serve`` on the host network, bound to 127.0.0.1 on a free port."""
    port = free_port()
    container = docker_client.containers.run(
        image,
        command=["serve"],
        network_mode="host",
        environment={"SAGEMAKER_BIND_TO_PORT": str(port), "BTE_BIND_HOST": "127.0.0.1", **(env or {})},
        detach=True,
    )

    def exit_code() -> int | None:
        container.reload()
        return None if container.status in ("created", "running") else int(container.attrs["State"]["ExitCode"])

    try:
        yield Server(f"http://127.0.0.1:{port}", lambda: container.logs().decode(errors="replace"), exit_code)
    finally:
        container.remove(force=True)
