"""The store: what outlives a run (models, jobs, tags, each run's event record and logs),
under one state directory that ``bte run``, ``bte serve`` and ``bte report`` share.

    store = Store()                          # <state dir>/bte.sqlite3
    store.latest_run("my-job").status        # what DescribeTransformJob shows
    recorder, warning = record_run(request, model_request)   # bte run's record of a run
"""

from emulator.store.db import ModelRecord, RunRecord, Store, StreamRecord
from emulator.store.paths import new_run_id, run_dir, state_dir
from emulator.store.recorder import RunRecorder, record_run

__all__ = [
    "ModelRecord",
    "RunRecord",
    "RunRecorder",
    "Store",
    "StreamRecord",
    "new_run_id",
    "record_run",
    "run_dir",
    "state_dir",
]
