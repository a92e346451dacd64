"""A real Ray cluster on loopback for the Ray executor's tests and benchmark: a head on
127.0.0.2 that declares no CPUs (it runs the driver, never an instance) and workers on
127.0.0.3, 127.0.0.4, ... each declaring the logical CPUs and memory of one instance.

Each node is its own `ray start` in a session of its own, so ``kill(node)`` takes all of
that node's processes down at once (SIGKILL to the session's process group: no goodbye
to the cluster), as when a machine dies. Dashboard and usage statistics are off; the
head's health checks notice a dead node in about 2 s (docs/scale-out.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

GiB = 1024**3
M5_LARGE = (2, 8 * GiB)  # an ml.m5.large: 2 vCPUs, 8 GiB
# Detection of a dead node in seconds, not a minute: these go to the head (the GCS).
HEALTH_CHECKS = {
    "RAY_health_check_initial_delay_ms": "1000",
    "RAY_health_check_period_ms": "500",
    "RAY_health_check_timeout_ms": "500",
    "RAY_health_check_failure_threshold": "3",
}
OBJECT_STORE_BYTES = 80 * 1024**2  # nothing big crosses the object store; keep each node's small


def ray_bin() -> str:
    return str(Path(sys.executable).with_name("ray"))


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    ip: str
    pgid: int
    killed: bool = False

    def kill(self) -> None:
        """All of the node's processes, at once, with no time to say goodbye; returns once
        none of them runs any more."""
        self.killed = True
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.time() + 10
        while time.time() < deadline and self._running():
            time.sleep(0.05)

    def _running(self) -> bool:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces
                state, _, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if int(pgrp) == self.pgid and state != "Z":
                return True
        return False


@dataclass
class LoopbackCluster:
    temp_dir: Path
    address: str = ""
    head: Node | None = None
    workers: list[Node] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **HEALTH_CHECKS}

    def _start(self, *args: str) -> Node:
        ip = args[args.index("--node-ip-address") + 1]
        proc = subprocess.run(
            [ray_bin(), "start", *args, "--disable-usage-stats",
             "--object-store-memory", str(OBJECT_STORE_BYTES), "--temp-dir", str(self.temp_dir)],
            env=self.env(), capture_output=True, text=True, timeout=120, start_new_session=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"ray start on {ip} failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        # `ray start` returned; its processes live on in the process group it led.
        return Node(ip, self._pgid_of(ip))

    def _pgid_of(self, ip: str) -> int:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "raylet" in cmd.split(" ")[0] and f"--node_ip_address={ip}" in cmd:
                return os.getpgid(int(entry.name))
        raise RuntimeError(f"no raylet for node {ip} found")

    def start_head(self) -> None:
        port = free_port("127.0.0.2")
        self.head = self._start("--head", "--include-dashboard", "false", "--node-ip-address", "127.0.0.2", "--port", str(port),
                                "--num-cpus", "0", "--memory", str(GiB), "--ray-client-server-port",
                                str(free_port("127.0.0.2")))
        self.address = f"127.0.0.2:{port}"

    def add_worker(self, ip: str, cpus: int = M5_LARGE[0], memory: int = M5_LARGE[1]) -> Node:
        node = self._start("--address", self.address, "--node-ip-address", ip, "--num-cpus", str(cpus),
                           "--memory", str(memory))
        self.workers.append(node)
        return node

    def wait_for_nodes(self, count: int, timeout_s: float = 60) -> None:
        import ray

        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if sum(1 for n in ray.nodes() if n["Alive"]) >= count:
                return
            time.sleep(0.2)
        raise AssertionError(f"the Ray cluster did not reach {count} live nodes in {timeout_s:g} s")

    def stop(self) -> None:
        for node in [*self.workers, *([self.head] if self.head else [])]:
            node.kill()
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def start_cluster(temp_dir: Path, workers: tuple[str, ...] = ("127.0.0.3", "127.0.0.4")) -> LoopbackCluster:
    cluster = LoopbackCluster(temp_dir)
    try:
        cluster.start_head()
        for ip in workers:
            cluster.add_worker(ip)
    except BaseException:
        cluster.stop()
        raise
    return cluster
