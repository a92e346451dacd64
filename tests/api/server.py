"""`bte serve` as a real process on a free port, with its own state directory.

    server = BteServer(tmp_path / "state").start()
    server.client("sagemaker").list_transform_jobs()
    server.kill()        # SIGKILL, as a crash would
    server.start()       # same state directory, new port
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

START_TIMEOUT_S = 30.0


class BteServer:
    def __init__(self, state_dir: Path, *args: str) -> None:
        self.state_dir = state_dir
        self.args = list(args)
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.log = state_dir.parent / f"{state_dir.name}-server.log"

    def start(self) -> BteServer:
        env = dict(os.environ)
        env["BTE_STATE_DIR"] = str(self.state_dir)
        env.setdefault("BTE_DOCKER_NETWORK", "host")  # tests reach containers on 127.0.0.1
        with open(self.log, "a") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "emulator.cli", "serve", "--port", "0", *self.args],
                stdout=subprocess.PIPE, stderr=stderr, text=True, env=env,
            )
        assert self.process.stdout is not None
        deadline = time.time() + START_TIMEOUT_S
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://") or time.time() > deadline:
            self.process.kill()
            raise AssertionError(f"bte serve did not print its URL (got {line!r}); its log:\n{self.log.read_text()}")
        self.url = line
        return self

    def client(self, service: str, **config: Any) -> Any:
        return boto3.session.Session().client(
            service, endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, **config),
        )

    def stop(self) -> None:
        """SIGTERM, as Ctrl-C or a service manager stops it; waits for the exit."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close()

    def kill(self) -> None:
        """SIGKILL: nothing of the server runs after this, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close()

    def _close(self) -> None:
        if self.process and self.process.stdout:
            self.process.stdout.close()
