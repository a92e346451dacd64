"""The store: what outlives a run (models, jobs, tags, each run's event record and logs),
under one state directory that ``bte run``, ``bte serve`` and ``bte report`` share."""

from emulator.store.paths import new_run_id, run_dir, state_dir

__all__ = ["new_run_id", "run_dir", "state_dir"]
