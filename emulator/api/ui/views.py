"""What each part of the page shows, read from the store through the functions the API's
handlers use: ListTransformJobs' and ListModels' queries (``emulator.store.listing``),
DescribeTransformJob's answer (``SageMakerApi.describe_run``), GetLogEvents
(``LogsApi.get_log_events``); plus what only bte keeps: progress, plan, report."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import storage
from emulator.api.logs import LOG_GROUP, LogsApi
from emulator.api.sagemaker import SageMakerApi
from emulator.api.settings import ServerSettings
from emulator.api.ui.plan_view import JobPlan, PlanCache, preview_plan
from emulator.api.ui.progress import ProgressCache, RunProgress
from emulator.spec import ValidationException, is_local_uri, model_arn, parse_model, parse_transform_job
from emulator.spec.errors import BteError
from emulator.store.db import ACTIVE, RunRecord, Store
from emulator.store.listing import list_jobs, list_models
from emulator.store.paths import run_dir
from emulator.store.recorder import EVENTS_FILE

LISTED = 100
LOG_LINES_PER_POLL = 500
FORWARD_TOKEN = re.compile(r"f/\d{1,15}")
STATES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")


@dataclass
class JobRow:
    name: str
    status: str
    creation_time: float
    start_time: float | None
    duration_s: float | None
    files_done: int | None  # progress: only while the job runs
    files_total: int | None
    batches_done: int | None
    failure_reason: str | None


class Views:
    def __init__(self, store: Store, settings: ServerSettings, sagemaker: SageMakerApi) -> None:
        self.store, self.settings, self.sagemaker = store, settings, sagemaker
        self.logs = LogsApi(store, settings.region, settings.account)
        self.progress_cache = ProgressCache()
        self.plans = PlanCache(settings)
        self._input_counts: dict[str, int | None] = {}
        self._report_lock = threading.Lock()

    # -- the list ----------------------------------------------------------------------
    def jobs(self, status: str | None, name: str | None) -> list[JobRow]:
        params: dict[str, Any] = {"MaxResults": LISTED, "StatusEquals": status or None, "NameContains": name or None}
        rows = []
        for row in list_jobs(self.store, params).rows:
            run = self.store.latest_run(row["name"])
            if run is None:
                continue
            active = run.status in ACTIVE
            progress = self.progress(run) if active else None  # a finished run shows its outcome
            end = run.end_time if run.status not in ACTIVE else None
            duration = (end or time.time()) - run.start_time if run.start_time else None
            rows.append(JobRow(run.name, run.status, run.creation_time, run.start_time, duration,
                               progress.files_done if progress else None,
                               self._files_total(run) if progress else None,
                               progress.batches_done if progress else None,
                               run.failure_reason if run.status == "Failed" else None))
        return rows

    def models(self, name: str | None) -> list[dict[str, Any]]:
        found = []
        for row in list_models(self.store, {"MaxResults": LISTED, "NameContains": name or None}).rows:
            model = self.store.model(row["name"])
            container = (model.request.get("PrimaryContainer") or {}) if model else {}
            found.append({"name": row["name"], "creation_time": row["creation_time"],
                          "image": container.get("Image") or "", "model_data": container.get("ModelDataUrl") or ""})
        return found

    def _files_total(self, run: RunRecord) -> int | None:
        """How many input files the run has: the plan's count when made, else one listing."""
        plan = self.plans.peek(run.run_id)
        if plan is not None and not plan.problem:
            return len(plan.files)
        if run.run_id not in self._input_counts:
            try:
                spec = parse_transform_job(run.request, allow_local_uris=True)
                count: int | None = len(storage.list_inputs(spec.input_uri, spec.data_type,
                                                            s3_endpoint_url=self.settings.jobs_s3_endpoint()))
            except BteError:
                count = None
            self._input_counts[run.run_id] = count
        return self._input_counts[run.run_id]

    def preview(self, job: dict[str, Any], model: dict[str, Any] | None) -> JobPlan:
        """The plan of a job before it is created, after the checks CreateTransformJob makes
        of what the plan reads (the request, local paths under --allow-local, the model)."""
        spec = parse_transform_job(job, allow_local_uris=bool(self.settings.allow_local_roots))
        for member, uri in (("S3Uri", spec.input_uri), ("S3OutputPath", spec.output_path)):
            if is_local_uri(uri) and self.settings.local_root_of(uri) is None:
                raise ValidationException(
                    f"1 validation error detected: Value '{uri}' at '{member}' failed to satisfy constraint: "
                    "bte: a local path is allowed only under a folder this server was told to allow")
        if model is None:
            record = self.store.model(spec.model_name)
            if record is None:
                arn = model_arn(spec.model_name, self.settings.region, self.settings.account)
                raise ValidationException(f'Could not find model "{arn}".')
            model = record.request
        else:
            parse_model(model, allow_local_uris=True)  # its shape; its artifacts are not read
        return preview_plan(job, model, self.settings.jobs_s3_endpoint())

    # -- one job -----------------------------------------------------------------------
    def run(self, name: str) -> RunRecord | None:
        return self.store.latest_run(name)

    def describe(self, run: RunRecord) -> dict[str, Any]:
        return self.sagemaker.describe_run(run)

    def progress(self, run: RunRecord) -> RunProgress:
        return self.progress_cache.get(run.run_id, self.events_file(run))

    def events_file(self, run: RunRecord) -> Path:
        return run_dir(run.name, run.run_id, self.store.root) / EVENTS_FILE

    def log_lines(self, run: RunRecord, tokens: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """New lines of each of the run's log streams after the tokens the page holds."""
        out: dict[str, dict[str, Any]] = {}
        for stream in self.store.streams(f"{run.name}/"):
            if stream.run_id != run.run_id:
                continue
            params: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamName": stream.name,
                                      "startFromHead": True, "limit": LOG_LINES_PER_POLL}
            token = tokens.get(stream.name)
            if isinstance(token, str) and FORWARD_TOKEN.fullmatch(token):  # what GetLogEvents gave the page
                params["nextToken"] = token
            answer = self.logs.get_log_events(params)
            out[stream.name] = {"lines": [e["message"] for e in answer["events"]],
                                "token": answer["nextForwardToken"], "more": len(answer["events"]) == LOG_LINES_PER_POLL}
        return out

    def report(self, run: RunRecord) -> Path | None:
        """The run's report (written beside its record once, again when the record grew)."""
        from emulator.report.summary import REPORT_FILE, RunNotFound, write_report

        events = self.events_file(run)
        if run.status in ACTIVE:
            return None
        if not events.exists():
            raise RunNotFound(f"run {run.run_id} of {run.name} has no event record ({events}); it ended before "
                              "its first event was written")
        path = run_dir(run.name, run.run_id, self.store.root) / REPORT_FILE
        with self._report_lock:
            if not path.exists() or path.stat().st_mtime < events.stat().st_mtime:
                write_report(run.run_id, state=self.store.root, out=path,
                             s3_endpoint_url=self.settings.jobs_s3_endpoint())
        return path
