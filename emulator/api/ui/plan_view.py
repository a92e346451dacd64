"""A job's plan for its page: files per instance, execution parameters, mini-batches per
file and the warnings, made as ``bte plan`` makes them (``emulator.planning``) from the
request and model the store kept for the run.

Made once per run and kept (a plan does not change; reading the inputs again would only
cost). Above ``FULL_SCAN_BYTES`` of input only the first ``SAMPLE_BATCHES`` mini-batches of
each file are read, as ``bte plan --sample`` does, and the counts are lower bounds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from emulator.api.settings import ServerSettings
from emulator.planning import plan_dict, survey
from emulator.spec.errors import BteError
from emulator.store.db import RunRecord
from emulator.transform import PreparedJob, prepare

FULL_SCAN_BYTES = 256 * 1024 * 1024
SAMPLE_BATCHES = 20
CACHED_PLANS = 128
# A run's own outputs look like stale ones once it has started writing them.
DROPPED_ONCE_STARTED = ("StaleOutputs",)


@dataclass
class FileRow:
    source: str
    instance: str
    bytes: int
    records: int
    batches: int
    complete: bool


@dataclass
class JobPlan:
    runtime: str
    instances: dict[str, list[str]]  # instance name -> its files (display names), in order
    parameters: dict[str, Any]
    files: list[FileRow] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    sampled: bool = False
    problem: str | None = None  # why there is no plan (the input is gone, say)

    def batches_of(self, instance: str) -> int | None:
        """Mini-batches planned for an instance; None when a count is only a lower bound."""
        rows = [f for f in self.files if f.instance == instance]
        if not rows or not all(f.complete for f in rows):
            return None
        return sum(f.batches for f in rows)


def make_job_plan(run: RunRecord, s3_endpoint_url: str | None) -> JobPlan:
    model = run.model
    container = (model or {}).get("PrimaryContainer") or {}
    try:
        if model is None:  # a `bte run` given --model-dir or --image: the store kept no model
            prepared = prepare(run.request, image="(the model bte run was given)", runtime="docker",
                               s3_endpoint_url=s3_endpoint_url)
        else:
            prepared = prepare(run.request, model=model, runtime="docker" if container.get("Image") else "process",
                               s3_endpoint_url=s3_endpoint_url)
    except BteError as exc:
        return JobPlan("", {}, {}, problem=str(exc))
    runtime = prepared.runtime_name if model is not None else "as bte run chose it (its model is not in the store)"
    return _surveyed(prepared, runtime, s3_endpoint_url, started=run.start_time is not None)


def preview_plan(request: dict[str, Any], model: dict[str, Any], s3_endpoint_url: str | None) -> JobPlan:
    """The plan of a job not created yet (the form's Plan button). Only the model's
    environment matters to a plan: its artifacts are not fetched."""
    container = {k: v for k, v in (model.get("PrimaryContainer") or {}).items() if k != "ModelDataUrl"}
    container["Image"] = container.get("Image") or "(the model's code)"
    try:
        prepared = prepare(request, model={**model, "PrimaryContainer": container}, runtime="docker",
                           s3_endpoint_url=s3_endpoint_url)
    except BteError as exc:
        return JobPlan("", {}, {}, problem=str(exc))
    return _surveyed(prepared, "as the job will run", s3_endpoint_url, started=False)


def _surveyed(prepared: PreparedJob, runtime: str, s3_endpoint_url: str | None, *, started: bool) -> JobPlan:
    try:
        total = sum(obj.size for obj in prepared.plan.inputs)
        sampled = total > FULL_SCAN_BYTES
        found = survey(prepared.plan, s3_endpoint_url=s3_endpoint_url,
                       sample_batches=SAMPLE_BATCHES if sampled else None)
    except BteError as exc:
        return JobPlan("", {}, {}, problem=str(exc))
    described = plan_dict(prepared.plan, found, runtime=prepared.runtime_name)
    names = {obj.uri: obj.display_name for obj in prepared.plan.inputs}
    instances = {name: [names[uri] for uri in uris] for name, uris in described["Instances"].items()}
    files = [FileRow(i["Source"], i["Instance"], i["Bytes"], i["Records"], i["MiniBatches"], i["Complete"])
             for i in described["Scenarios"][0]["Inputs"]]
    warnings = [w for w in described["Warnings"] if not (started and w["Code"] in DROPPED_ONCE_STARTED)]
    return JobPlan(runtime, instances, described["ExecutionParameters"], files, warnings, sampled)


class PlanCache:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._plans: dict[str, JobPlan] = {}
        self._lock = threading.Lock()

    def peek(self, run_id: str) -> JobPlan | None:
        with self._lock:
            return self._plans.get(run_id)

    def get(self, run: RunRecord) -> JobPlan:
        found = self.peek(run.run_id)
        if found is not None:
            return found
        made = make_job_plan(run, self.settings.jobs_s3_endpoint())  # outside the lock: it reads the inputs
        with self._lock:
            if len(self._plans) >= CACHED_PLANS:
                self._plans.pop(next(iter(self._plans)))
            self._plans[run.run_id] = made
        return made
