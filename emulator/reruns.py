"""A rerun of a TransformJobName through ``bte run``: said before it starts, or refused.

The service never runs a name twice: CreateTransformJob answers ResourceInUse. ``bte run``
may (a new run of the name in the job store; the API still refuses the name). Before
such a run starts, bte says that it replaces the earlier run's outputs in that location,
and names the outputs there that it will not rewrite: stale ones, which bte never
deletes. ``bte run --strict-names`` refuses a used name with the service's text.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from emulator import spec as specs
from emulator import storage
from emulator.plan import Plan
from emulator.spec.errors import BteError, ResourceInUse
from emulator.store.db import RunRecord, Store

JOB_NAME_IN_USE = (
    "Job name must be unique within an AWS account and region, and a job with this name already exists ({arn})"
)
SHOWN = 10  # stale outputs named one by one; the rest are counted


def name_in_use(name: str) -> ResourceInUse:
    """The service's answer to a CreateTransformJob whose name was used (reference 2.7)."""
    return ResourceInUse(JOB_NAME_IN_USE.format(arn=specs.transform_job_arn(name)))


def previous_run(name: str) -> RunRecord | None:
    """The latest run of ``name`` in the job store, if any (None when the store cannot be read:
    recording is best effort, see store/recorder.py)."""
    try:
        store = Store()
    except (OSError, sqlite3.Error):
        return None
    try:
        return store.latest_run(name)
    except sqlite3.Error:
        return None
    finally:
        store.close()


def rerun_notice(plan: Plan, previous: RunRecord, s3_endpoint_url: str | None = None) -> str:
    """What a new run of ``previous``'s name will replace, and what it will leave stale."""
    name, output_path = plan.spec.name, plan.spec.output_path
    created = dt.datetime.fromtimestamp(previous.creation_time, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    text = (f"TransformJobName {name} already ran (run {previous.run_id}, {previous.status}, created {created}); "
            "this is a new run of that name (the service refuses a used name: --strict-names does too).")
    earlier = ((previous.request.get("TransformOutput") or {}).get("S3OutputPath") or "").rstrip("/")
    if earlier and earlier != output_path.rstrip("/"):
        text += f" The earlier run's outputs in {earlier} stay as they are; this run writes to {output_path}."
    else:
        text += f" It replaces the earlier run's outputs in {output_path}."
    stale = stale_outputs(plan, s3_endpoint_url)
    if stale:
        named = ", ".join(stale[:SHOWN]) + (f" and {len(stale) - SHOWN} more" if len(stale) > SHOWN else "")
        text += (f" {len(stale)} output(s) there are not inputs of this run and will not be rewritten; "
                 f"bte never deletes them: {named}.")
    return text


def stale_outputs(plan: Plan, s3_endpoint_url: str | None = None) -> list[str]:
    """The ``.out`` objects under S3OutputPath that this run will not write."""
    output_path = plan.spec.output_path
    try:
        store = storage.storage_for(output_path, s3_endpoint_url)
        written = {store.prefix_key(storage.output_uri(output_path, obj)) for obj in plan.inputs}
        found = store.list_prefix(output_path.rstrip("/") + "/")
    except BteError:  # nothing there yet (no folder, no bucket, no object)
        return []
    return [obj.display_name for obj in found if obj.key.endswith(".out") and obj.key not in written]
