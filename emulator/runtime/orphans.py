"""Model servers a killed bte left running on the process runtime.

Each process instance starts in its own session (its pid is its process group) with
``BTE_OWNER=<pid>@<start time>`` and ``BTE_JOB=<job name>`` in its environment
(process_runtime.py). A bte killed outright (SIGKILL) runs no atexit handler, so its model
servers go on; this finds them by those two variables and kills the groups whose owner is
gone. A group whose owner still runs is never touched. Linux only (it reads /proc).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

from emulator.processes import ProcessIdentity, is_running
from emulator.runtime.process_runtime import JOB_ENV, OWNER_ENV


def _environment(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}  # gone, or another user's process
    pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, _, v in pairs}


def model_server_groups() -> Iterator[tuple[int, dict[str, str]]]:
    """(process group, environment) of every process instance's group leader on this
    machine: each process carrying ``BTE_OWNER`` whose pid is its group."""
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        env = _environment(pid)
        if OWNER_ENV not in env:
            continue
        try:
            if os.getpgid(pid) != pid:
                continue  # a worker the server forked: its group leader is the one to signal
        except ProcessLookupError:
            continue
        yield pid, env


def kill_group(pgid: int) -> bool:
    """SIGKILL a process group; False when it is gone already or not ours to signal."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def orphan_model_servers(job_name: str | None = None) -> list[tuple[int, str]]:
    """(process group, job name) of each process instance whose bte owner is gone."""
    found: list[tuple[int, str]] = []
    for pgid, env in model_server_groups():
        owner = ProcessIdentity.from_label(env.get(OWNER_ENV, ""))
        if owner is None or (job_name is not None and env.get(JOB_ENV) != job_name):
            continue
        if not is_running(owner):
            found.append((pgid, env.get(JOB_ENV, "?")))
    return found


def kill_orphan_model_servers(job_name: str | None = None) -> list[str]:
    """SIGKILL the process group of every orphaned model server; returns what was killed."""
    return [f"model server process group {pgid} (job {job})"
            for pgid, job in orphan_model_servers(job_name) if kill_group(pgid)]
