"""On start: end the runs a dead bte left InProgress or Stopping, and remove what they left.

A run whose owner (the ``bte serve`` or ``bte run`` process that ran it) is gone is ended
as Failed with a FailureReason saying so; its containers (found by the ``bte.job`` label)
and its local model-server process groups (by the pids the store recorded) are removed.
A run whose owner still runs (a ``bte run`` in another terminal) is left alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from emulator.store.db import Store

INTERRUPTED_REASON = (
    "InternalServerError: bte: the bte process running this job (pid {pid}) ended while the job was {status}; "
    "its instances were removed when bte serve started again. Create the job again under a new name."
)


def recover(store: Store) -> list[str]:
    """End every orphaned run; returns the TransformJobNames it ended."""
    ended: list[str] = []
    for run in store.active_runs():
        if run.owner_pid == os.getpid() or run.owner_alive():
            continue
        _remove_containers(run.name)
        for pid in run.process_ids:
            if _is_model_server(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
        store.update_run(
            run.run_id, status="Failed", end_time=time.time(),
            failure_reason=INTERRUPTED_REASON.format(pid=run.owner_pid, status=run.status),
        )
        ended.append(run.name)
    return ended


def _remove_containers(job: str) -> None:
    from emulator.runtime import cleanup_containers, docker_available
    from emulator.spec.errors import BteError

    if not docker_available()[0]:
        return
    with contextlib.suppress(BteError):
        cleanup_containers(job_name=job)


def _cmdline(pid: int | None) -> str:
    if not pid:
        return ""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _is_model_server(pid: int) -> bool:
    return "emulator.serving" in _cmdline(pid) or "emulator/serving" in _cmdline(pid)

