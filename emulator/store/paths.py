"""Where the state directory is, and how each run of a job is named and laid out in it.

    <state dir>/                       BTE_STATE_DIR, else ~/.bte
        runs/<TransformJobName>/<run id>/   one folder per run: its record, logs, pid

A run id sorts by start time and is unique on this machine; it also goes into the names of
a run's temporary files, so that cleanup can tell whose they are.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

STATE_DIR_ENV = "BTE_STATE_DIR"


def state_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The state directory: ``explicit``, else ``$BTE_STATE_DIR``, else ``~/.bte``."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(STATE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".bte"


def new_run_id() -> str:
    """``r20261203t081502-3f9a1c``: UTC start time to the second, then 6 random hex digits."""
    return time.strftime("r%Y%m%dt%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def run_dir(job_name: str, run_id: str, state: str | os.PathLike[str] | None = None) -> Path:
    """The folder of one run (not created here)."""
    return state_dir(state) / "runs" / job_name / run_id
