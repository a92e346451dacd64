"""Start ``bte serve`` as a child process on a free port and stop it again.

Used by the pytest plugin, the benchmarks and the client tests: one way to get a real
server (never in-process), whose URL is the first line the server prints on stdout when
given ``--port 0``.

    with ServerProcess(state_dir=tmp) as server:
        boto3.client("sagemaker", endpoint_url=server.url, ...)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Mapping, Sequence

START_TIMEOUT_S = 60.0


class ServerStartError(RuntimeError):
    """``bte serve`` exited or printed no URL in time; the message carries its stderr."""


class ServerProcess:
    """A ``bte serve --port 0`` child with its own state directory."""

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.command = [python, "-m", "emulator.cli", "serve", "--port", "0", "--state-dir", str(state_dir), *args]
        self.env = dict(os.environ if env is None else env)
        self.env["BTE_STATE_DIR"] = str(state_dir)
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._stderr_path = self.state_dir / "serve.stderr.log"

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server is not started"
        return self._process.pid

    def start(self, timeout_s: float = START_TIMEOUT_S) -> "ServerProcess":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        stderr = open(self._stderr_path, "w")  # a file, not a pipe: a chatty server never blocks on it
        try:
            self._process = subprocess.Popen(
                self.command, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
                text=True, env=self.env, start_new_session=True,
            )
        finally:
            stderr.close()
        assert self._process.stdout is not None
        line = _first_line(self._process.stdout, timeout_s)
        if not line.startswith("http"):
            self.stop()
            raise ServerStartError(f"bte serve printed no URL within {timeout_s:.0f} s "
                                   f"(first line: {line!r}); its stderr:\n{self.stderr()}")
        self.url = line.strip()
        # Drain the rest of stdout so the server never blocks writing to a full pipe.
        threading.Thread(target=self._process.stdout.read, daemon=True).start()
        return self

    def stderr(self) -> str:
        try:
            return self._stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout_s: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout_s``; returns the exit status."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing gets to clean up."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _first_line(stream: IO[str], timeout_s: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout_s
    reader.join(max(0.0, deadline - time.monotonic()))
    return result[0] if result else ""
