"""On start: end the runs a dead bte left InProgress or Stopping, and remove what they left.

A run whose owner (the ``bte serve`` or ``bte run`` process that ran it, known by pid and
process start time) is gone is ended as Failed with a FailureReason saying so. Its
containers and local model-server processes, which carry their owner too, are removed by
:mod:`emulator.leftovers`, which touches nothing whose owner still runs. With an external
S3 (``--s3-endpoint-url``) the run's temporaries and open uploads there go as well; the
built-in S3 died with the server.
"""

from __future__ import annotations

import time

from emulator import leftovers
from emulator.engine.errors import INTERNAL_ERROR
from emulator.store.db import Store

INTERRUPTED_DETAIL = (
    "the bte process running this job (pid {pid}) ended while the job was {status}; "
    "its instances were removed when bte serve started again. Create the job again under a new name."
)


def recover(store: Store, *, external_s3: str | None = None) -> list[str]:
    """End every run whose owner is gone; returns the TransformJobNames it ended."""
    ended: list[str] = []
    for run in store.active_runs():
        if run.owner_alive():
            continue
        leftovers.clean_up_instances(run.name)
        if external_s3:
            leftovers.clean_up_runs(run.name, s3_endpoint_url=external_s3)
        store.update_run(
            run.run_id, status="Failed", end_time=time.time(),
            failure_reason=INTERNAL_ERROR,
            failure_detail=INTERRUPTED_DETAIL.format(pid=run.owner.pid if run.owner else "?", status=run.status),
        )
        ended.append(run.name)
    return ended
