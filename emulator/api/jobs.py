"""Transform jobs in the background: create, run at most ``max_jobs`` at once, stop.

CreateTransformJob checks everything the service checks before it answers (the request,
the model, that the input has objects), records the run as InProgress and returns; a
thread then waits for a free slot and runs the job through the Python API
(:func:`emulator.transform.run_prepared`). Jobs beyond ``--max-jobs`` wait InProgress,
without TransformStartTime, as a job waits for its instances on the service.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import threading
import time
from typing import Any

from emulator import spec as specs
from emulator.api.settings import ServerSettings
from emulator.api.wire import AwsError, validation
from emulator.engine import events as ev
from emulator.engine.errors import INTERNAL_ERROR
from emulator.engine.runner import JobRunner
from emulator.spec.errors import BteError, ServiceError
from emulator.store.db import ACTIVE, Store
from emulator.store.paths import new_run_id
from emulator.store.recorder import RunRecorder
from emulator.transform import PreparedJob, prepare, run_prepared


def _announce(event: ev.Event) -> None:
    """One line on the server's stderr per state a job enters, so its operator sees jobs go by."""
    if isinstance(event, ev.JobStateChanged):
        reason = f": {event.failure_reason}" if event.failure_reason else ""
        print(f"bte serve: transform job {event.job} {event.status}{reason}", file=sys.stderr, flush=True)


def job_not_found(name: str) -> AwsError:
    return validation(f"Could not find requested job with name {name}")


class JobManager:
    def __init__(self, store: Store, settings: ServerSettings) -> None:
        self.store, self.settings = store, settings
        self._slots = threading.BoundedSemaphore(max(1, settings.max_jobs))
        self._lock = threading.Lock()
        self._runners: dict[str, JobRunner] = {}
        self._stop_requested: set[str] = set()
        self._threads: dict[str, threading.Thread] = {}
        self._shutting_down = False

    # -- CreateTransformJob ------------------------------------------------------------
    def create(self, params: dict[str, Any]) -> str:
        creation = dt.datetime.now(dt.timezone.utc)
        spec = specs.parse_transform_job(params, allow_local_uris=bool(self.settings.allow_local_roots))
        for member, uri in (("S3Uri", spec.input_uri), ("S3OutputPath", spec.output_path)):
            self._check_local(member, uri)
        arn = specs.transform_job_arn(spec.name, self.settings.region, self.settings.account)
        if self.store.latest_run(spec.name) is not None:
            raise self._in_use(arn)
        model = self.store.model(spec.model_name)
        if model is None:
            raise validation(f'Could not find model "{specs.model_arn(spec.model_name, self.settings.region, self.settings.account)}".')
        model_spec = specs.parse_model(model.request, allow_local_uris=True)
        specs.check_model_for_batch(model_spec)
        prepared = self._prepare(params, model_spec)
        run_id = new_run_id()
        if not self.store.add_run(run_id, dict(params), model=model.request, origin="api",
                                  creation_time=creation.timestamp(), unique=True):
            raise self._in_use(arn)
        tags = params.get("Tags") or []
        if tags:
            self.store.add_tags(arn, [(t["Key"], t["Value"]) for t in tags])
        thread = threading.Thread(target=self._run, args=(run_id, prepared, creation), name=f"job-{spec.name}",
                                  daemon=True)
        with self._lock:
            self._threads[run_id] = thread
        thread.start()
        return arn

    def _in_use(self, arn: str) -> AwsError:
        return AwsError(
            "ResourceInUse",
            f"Job name must be unique within an AWS account and region, and a job with this name already exists ({arn})",
        )

    def _check_local(self, member: str, uri: str) -> None:
        if specs.is_local_uri(uri) and self.settings.local_root_of(uri) is None:
            raise validation(
                f"1 validation error detected: Value '{uri}' at '{member}' failed to satisfy constraint: "
                "bte: a local path is allowed only under a folder this server was told to allow"
            )

    def _prepare(self, params: dict[str, Any], model: specs.ModelSpec) -> PreparedJob:
        container = model.primary_container
        runtime = "docker"
        if not container.image:
            url = container.model_data_url or ""
            if not (specs.is_local_uri(url) and self.settings.local_root_of(url) is not None):
                raise validation(
                    f"Model {model.name} has no Image in its PrimaryContainer: bte serve runs a model's image "
                    "with Docker, as the service does"
                )
            runtime = "process"
        try:
            return prepare(params, model=model.request, runtime=runtime, s3_endpoint_url=self.settings.jobs_s3_endpoint())
        except ServiceError:
            raise
        except BteError as exc:
            raise validation(str(exc)) from exc

    # -- the background run ------------------------------------------------------------
    def _run(self, run_id: str, prepared: PreparedJob, creation: dt.datetime) -> None:
        name = prepared.spec.name
        recorder = RunRecorder(self.store, run_id, name)
        try:
            with self._slots:
                with self._lock:
                    stopped_early = run_id in self._stop_requested or self._shutting_down
                if stopped_early:
                    recorder(ev.JobStateChanged(job=name, status="Stopped"))
                    return
                run_prepared(
                    prepared, s3_endpoint_url=self.settings.jobs_s3_endpoint(),
                    listeners=[recorder, _announce],
                    on_runner=lambda runner: self._attach(run_id, runner), creation_time=creation, run_id=run_id,
                    executor=self.settings.executor, ray_address=self.settings.ray_address,
                    ray_scale_to_fit=self.settings.ray_scale_to_fit,
                )
        except Exception as exc:  # the run must end in the store whatever happened
            recorder(ev.JobStateChanged(job=name, status="Failed", failure_reason=INTERNAL_ERROR,
                                        failure_detail=f"{exc.__class__.__name__}: {exc}"))
        finally:
            recorder.close()
            with self._lock:
                self._runners.pop(run_id, None)
                self._threads.pop(run_id, None)
            if self._shutting_down:
                self._end_interrupted(run_id)

    def _attach(self, run_id: str, runner: JobRunner) -> None:
        with self._lock:
            self._runners[run_id] = runner
            if run_id in self._stop_requested:
                runner.stop()

    # -- StopTransformJob --------------------------------------------------------------
    def stop(self, name: str) -> None:
        run = self.store.latest_run(name)
        if run is None:
            raise job_not_found(name)
        if run.status == "Stopping":
            return
        if run.status not in ACTIVE:
            raise validation(f"The request was rejected because the transform job is in status {run.status}.")
        self.store.update_run(run.run_id, status="Stopping")
        with self._lock:
            self._stop_requested.add(run.run_id)
            runner = self._runners.get(run.run_id)
            ours = run.run_id in self._threads
        if runner is not None:
            runner.stop()
        elif not ours and run.owner is not None and run.owner.pid != os.getpid():
            if run.owner_alive():  # a `bte run` elsewhere: SIGTERM stops it as Ctrl-C does
                os.kill(run.owner.pid, signal.SIGTERM)
            else:
                self.store.update_run(run.run_id, status="Failed", end_time=time.time(),
                                      failure_reason=INTERNAL_ERROR,
                                      failure_detail="the process running the job is gone")

    # -- shutdown ----------------------------------------------------------------------
    def shutdown(self, timeout_s: float = 60.0) -> None:
        """Stop every job (the server is going away) and wait for them to end."""
        with self._lock:
            self._shutting_down = True
            runners = list(self._runners.values())
            threads = list(self._threads.values())
        for runner in runners:
            runner.stop()
        deadline = time.time() + timeout_s
        for thread in threads:
            thread.join(max(0.0, deadline - time.time()))

    def _end_interrupted(self, run_id: str) -> None:
        run = self.store.run(run_id)
        if run is not None and run.status in (*ACTIVE, "Stopped") and run_id not in self._stop_requested:
            self.store.update_run(run_id, status="Failed", end_time=run.end_time or time.time(),
                                  failure_reason=INTERNAL_ERROR, failure_detail=SHUTDOWN_DETAIL)


SHUTDOWN_DETAIL = (
    "bte serve was shut down while the job ran; its instances were stopped and "
    "no output was kept. Create the job again under a new name."
)
