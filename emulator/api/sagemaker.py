"""The SageMaker operations bte answers, each a function from request dict to result dict.

Requests are validated against botocore's service model (``emulator.spec``) before any
work; results are plain dicts with datetimes, shaped into the wire form by
:mod:`emulator.api.wire`. Texts are the service's where the reference gives them
(shared reference 2.7); docs/api.md lists the ones bte chose.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from emulator import spec as specs
from emulator.api.jobs import JobManager, job_not_found
from emulator.api.settings import ServerSettings
from emulator.api.wire import AwsError, timestamp_param, validation
from emulator.store.db import RunRecord, Store
from emulator.store.listing import InvalidToken, Page, list_jobs, list_models

Handler = Callable[[dict[str, Any]], dict[str, Any]]
TAGS_PAGE = 50
CACHE_SIZE = 4096


def stamp(value: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, dt.timezone.utc) if value is not None else None


class SageMakerApi:
    def __init__(self, store: Store, settings: ServerSettings, jobs: JobManager) -> None:
        self.store, self.settings, self.jobs = store, settings, jobs
        self._jobs: dict[str, specs.TransformJobSpec] = {}
        self._models: dict[tuple[str, float], specs.ModelSpec] = {}
        self.operations: dict[str, Handler] = {
            "CreateModel": self.create_model,
            "DescribeModel": self.describe_model,
            "ListModels": self.list_models,
            "DeleteModel": self.delete_model,
            "CreateTransformJob": self.create_transform_job,
            "DescribeTransformJob": self.describe_transform_job,
            "ListTransformJobs": self.list_transform_jobs,
            "StopTransformJob": self.stop_transform_job,
            "AddTags": self.add_tags,
            "ListTags": self.list_tags,
            "DeleteTags": self.delete_tags,
        }

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = self.operations.get(operation)
        if handler is None:
            from emulator.spec.model import operation_model

            operation_model(operation)  # UnknownOperation when the service has no such operation
            raise AwsError(
                "NotImplemented",
                f"bte does not implement the SageMaker operation {operation}. It implements: "
                + ", ".join(sorted(self.operations)) + ".",
                501,
            )
        if operation != "CreateTransformJob" and operation != "CreateModel":
            specs.validate(operation, params)
        return handler(params)

    def model_arn(self, name: str) -> str:
        return specs.model_arn(name, self.settings.region, self.settings.account)

    def job_arn(self, name: str) -> str:
        return specs.transform_job_arn(name, self.settings.region, self.settings.account)

    # -- models ----------------------------------------------------------------------
    def create_model(self, params: dict[str, Any]) -> dict[str, Any]:
        model = specs.parse_model(params, allow_local_uris=bool(self.settings.allow_local_roots))
        url = model.primary_container.model_data_url
        if url and specs.is_local_uri(url) and self.settings.local_root_of(url) is None:
            raise validation(
                f"1 validation error detected: Value '{url}' at 'primaryContainer.modelDataUrl' failed to satisfy "
                "constraint: bte: a local path is allowed only under a folder this server was told to allow"
            )
        arn = self.model_arn(model.name)
        if not self.store.add_model(model.name, dict(params), time.time()):
            raise validation(f'Cannot create already existing model "{arn}".')
        tags = params.get("Tags") or []
        if tags:
            self.store.add_tags(arn, [(t["Key"], t["Value"]) for t in tags])
        return {"ModelArn": arn}

    def describe_model(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ModelName"]
        record = self.store.model(name)
        if record is None:
            raise validation(f'Could not find model "{self.model_arn(name)}".')
        key = (record.name, record.creation_time)  # a model never changes; a new one has a new time
        if key not in self._models:
            self._models = {} if len(self._models) > CACHE_SIZE else self._models
            self._models[key] = specs.parse_model(record.request, allow_local_uris=True)
        return specs.describe_model(self._models[key], arn=self.model_arn(name), creation_time=_utc(record.creation_time))

    def list_models(self, params: dict[str, Any]) -> dict[str, Any]:
        page = self._page(list_models, params)
        models = [
            {"ModelName": row["name"], "ModelArn": self.model_arn(row["name"]), "CreationTime": stamp(row["creation_time"])}
            for row in page.rows
        ]
        return {"Models": models, "NextToken": page.next_token}

    def delete_model(self, params: dict[str, Any]) -> dict[str, Any]:
        # A running job keeps the model it resolved when it was created (docs/api.md).
        name = params["ModelName"]
        if not self.store.delete_model(name):
            raise validation(f'Could not find model "{self.model_arn(name)}".')
        self.store.delete_tags(self.model_arn(name), [key for key, _ in self.store.tags(self.model_arn(name))])
        return {}

    # -- transform jobs --------------------------------------------------------------
    def create_transform_job(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"TransformJobArn": self.jobs.create(params)}

    def describe_transform_job(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TransformJobName"]
        run = self.store.latest_run(name)
        if run is None:
            raise job_not_found(name)
        return self.describe_run(run)

    def describe_run(self, run: RunRecord) -> dict[str, Any]:
        spec = self._jobs.get(run.run_id)  # a run's request never changes: parse it once
        if spec is None:
            self._jobs = {} if len(self._jobs) > CACHE_SIZE else self._jobs
            spec = self._jobs[run.run_id] = specs.parse_transform_job(run.request, allow_local_uris=True)
        return specs.describe_transform_job(
            spec, arn=self.job_arn(run.name), status=run.status, creation_time=_utc(run.creation_time),
            start_time=stamp(run.start_time),
            end_time=stamp(run.end_time) if run.status in ("Completed", "Failed", "Stopped") else None,
            failure_reason=run.failure_reason if run.status == "Failed" else None,
        )

    def list_transform_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        page = self._page(list_jobs, params)
        summaries = [
            {
                "TransformJobName": row["name"],
                "TransformJobArn": self.job_arn(row["name"]),
                "CreationTime": stamp(row["creation_time"]),
                "TransformEndTime": stamp(row["end_time"]) if row["status"] in ("Completed", "Failed", "Stopped") else None,
                "LastModifiedTime": stamp(row["last_modified"]),
                "TransformJobStatus": row["status"],
                "FailureReason": row["failure_reason"] if row["status"] == "Failed" else None,
            }
            for row in page.rows
        ]
        return {"TransformJobSummaries": summaries, "NextToken": page.next_token}

    def stop_transform_job(self, params: dict[str, Any]) -> dict[str, Any]:
        self.jobs.stop(params["TransformJobName"])
        return {}

    def _page(self, lister: Callable[[Store, dict[str, Any]], Page], params: dict[str, Any]) -> Page:
        query = dict(params)
        for key in ("CreationTimeAfter", "CreationTimeBefore", "LastModifiedTimeAfter", "LastModifiedTimeBefore"):
            if query.get(key) is not None:
                query[key] = timestamp_param(query[key])
        try:
            return lister(self.store, query)
        except InvalidToken as exc:
            raise validation(str(exc)) from exc

    # -- tags ------------------------------------------------------------------------
    def _check_resource(self, arn: str) -> str:
        kind, _, name = arn.rpartition(":")[2].partition("/")
        table = {"model": "models", "transform-job": "jobs"}.get(kind)
        if table is None or not name:
            raise validation(f"bte keeps tags only for models and transform jobs; {arn} is neither")
        if not self.store.query(f"SELECT 1 FROM {table} WHERE lower(name) = ?", (name.lower(),)):
            raise validation(f"Resource {arn} does not exist.")
        return arn.lower()

    def add_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = self._check_resource(params["ResourceArn"])
        self.store.add_tags(arn, [(t["Key"], t["Value"]) for t in params["Tags"]])
        return {"Tags": params["Tags"]}

    def list_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = self._check_resource(params["ResourceArn"])
        tags = self.store.tags(arn)
        start = 0
        if params.get("NextToken"):
            if not str(params["NextToken"]).isdigit():
                raise validation("Invalid pagination token")
            start = int(params["NextToken"])
        size = int(params.get("MaxResults") or TAGS_PAGE)
        page = tags[start:start + size]
        more = start + size < len(tags)
        return {"Tags": [{"Key": k, "Value": v} for k, v in page], "NextToken": str(start + size) if more else None}

    def delete_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = self._check_resource(params["ResourceArn"])
        self.store.delete_tags(arn, params["TagKeys"])
        return {}


def _utc(value: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, dt.timezone.utc)
