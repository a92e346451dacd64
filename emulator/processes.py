"""Is the process that started something still the one running under that pid?

A pid alone does not say: once a process ends, the kernel may give its pid to a new one.
A pid together with the process's start time (and the boot it started in) does. Clean-up
of what a killed ``bte run`` left behind (containers, temporary files, open uploads)
touches only things whose owner, so identified, is gone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class ProcessIdentity:
    pid: int
    started: str  # "<boot id>:<start time in clock ticks>" on Linux; "" where unknown

    def as_label(self) -> str:
        return f"{self.pid}@{self.started}"

    @classmethod
    def from_label(cls, label: str) -> ProcessIdentity | None:
        pid, _, started = label.partition("@")
        return cls(int(pid), started) if pid.isdigit() else None


def start_time(pid: int) -> str:
    """The process's start time, as a token that changes when the pid is reused; "" if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = _BOOT_ID.read_text().strip()
    except OSError:
        return ""
    # Field 22 (starttime); fields are counted after the command name, which may hold spaces.
    fields = stat.rpartition(")")[2].split()
    return f"{boot}:{fields[19]}" if len(fields) > 19 else ""


def this_process() -> ProcessIdentity:
    return ProcessIdentity(os.getpid(), start_time(os.getpid()))


def is_running(identity: ProcessIdentity) -> bool:
    """True while the very process ``identity`` names is alive."""
    try:
        os.kill(identity.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    now = start_time(identity.pid)
    if not identity.started or not now:
        return True  # no start times to compare (not Linux): a live pid counts as the owner
    return now == identity.started
