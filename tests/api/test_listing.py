"""ListTransformJobs over 120 jobs: every filter, every SortBy, both orders, through boto3's paginator.

117 runs are written into the server's store directly (the store room's own API, with
chosen times and statuses: the server reads the same SQLite file); 3 more are created
through the API and fail at once (their image does not exist).
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from typing import Any

import pytest

from emulator.store.db import Store
from tests.engine.jobs import job_request, model_request

STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
BASE = time.time() - 10_000


def seed(store: Store, count: int) -> list[dict[str, Any]]:
    jobs = []
    for i in range(count):
        name = f"{'batch' if i % 3 == 0 else 'Nightly'}-{i:03d}"
        created = BASE + i * 10
        status = STATUSES[(i * 7) % 5]
        modified = created + (i % 11) * 30
        request = job_request(name, "s3://seeded/in/", "s3://seeded/out/")
        store.add_run(f"seed-{i:03d}", request, model=None, origin="api", creation_time=created)
        store.update_run(f"seed-{i:03d}", status=status, last_modified=modified,
                         end_time=modified if status in ("Completed", "Failed", "Stopped") else None,
                         failure_reason="seeded" if status == "Failed" else None)
        jobs.append({"name": name, "CreationTime": created, "Status": status, "LastModified": modified})
    return jobs


def stamp(value: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, dt.timezone.utc)


def expected(jobs: list[dict[str, Any]], sort_by: str, order: str, **filters: Any) -> list[str]:
    chosen = [
        j for j in jobs
        if ("NameContains" not in filters or filters["NameContains"].lower() in j["name"].lower())
        and ("StatusEquals" not in filters or j["Status"] == filters["StatusEquals"])
        and ("CreationTimeAfter" not in filters or j["CreationTime"] > filters["CreationTimeAfter"].timestamp())
        and ("CreationTimeBefore" not in filters or j["CreationTime"] < filters["CreationTimeBefore"].timestamp())
        and ("LastModifiedTimeAfter" not in filters or j["LastModified"] > filters["LastModifiedTimeAfter"].timestamp())
        and ("LastModifiedTimeBefore" not in filters or j["LastModified"] < filters["LastModifiedTimeBefore"].timestamp())
    ]
    key = {"Name": "name", "CreationTime": "CreationTime", "Status": "Status"}[sort_by]
    chosen.sort(key=lambda j: (j[key], j["name"]), reverse=order == "Descending")
    return [j["name"] for j in chosen]


FILTERS: list[dict[str, Any]] = [
    {},
    {"NameContains": "BATCH"},
    {"StatusEquals": "Failed"},
    {"CreationTimeAfter": stamp(BASE + 300), "CreationTimeBefore": stamp(BASE + 900)},
    {"LastModifiedTimeAfter": stamp(BASE + 500), "LastModifiedTimeBefore": stamp(BASE + 1000)},
    {"NameContains": "nightly", "StatusEquals": "Completed", "CreationTimeAfter": stamp(BASE + 100)},
]


def test_list_transform_jobs_filters_sorts_and_pages_over_120_jobs(server, sagemaker, s3):
    jobs = seed(Store(server.state_dir), 117)
    s3.create_bucket(Bucket="listing")
    s3.put_object(Bucket="listing", Key="in/a.csv", Body=b"1\n")
    sagemaker.create_model(**model_request("absent-image", "bte-test/not-built:latest"))
    for i in range(3):
        name = f"api-made-{i}"
        sagemaker.create_transform_job(**job_request(name, "s3://listing/in/", "s3://listing/out/", ModelName="absent-image"))
    deadline = time.time() + 30
    while any(sagemaker.describe_transform_job(TransformJobName=f"api-made-{i}")["TransformJobStatus"] == "InProgress"
              for i in range(3)):
        assert time.time() < deadline, "jobs with a missing image did not fail"
        time.sleep(0.2)
    for i in range(3):
        made = sagemaker.describe_transform_job(TransformJobName=f"api-made-{i}")
        jobs.append({"name": f"api-made-{i}", "CreationTime": made["CreationTime"].timestamp(), "Status": "Failed",
                     "LastModified": made["TransformEndTime"].timestamp()})
    assert len(jobs) == 120

    paginator = sagemaker.get_paginator("list_transform_jobs")
    for filters, sort_by, order in itertools.product(FILTERS, ("CreationTime", "Name", "Status"),
                                                     ("Ascending", "Descending")):
        pages = list(paginator.paginate(SortBy=sort_by, SortOrder=order, PaginationConfig={"PageSize": 7}, **filters))
        names = [s["TransformJobName"] for page in pages for s in page["TransformJobSummaries"]]
        want = expected(jobs, sort_by, order, **filters)
        assert names == want, (filters, sort_by, order)
        assert all(len(page["TransformJobSummaries"]) <= 7 for page in pages)
        assert len(pages) == max(1, -(-len(want) // 7))

    default = sagemaker.list_transform_jobs()
    assert [s["TransformJobName"] for s in default["TransformJobSummaries"]] == expected(jobs, "CreationTime", "Descending")[:10]
    summary = next(s for s in sagemaker.list_transform_jobs(StatusEquals="Failed")["TransformJobSummaries"])
    assert summary["FailureReason"] and "TransformEndTime" in summary and "LastModifiedTime" in summary
    running = sagemaker.list_transform_jobs(StatusEquals="InProgress")["TransformJobSummaries"][0]
    assert "TransformEndTime" not in running and "FailureReason" not in running


def test_a_token_that_bte_did_not_write_is_refused(sagemaker):
    with pytest.raises(sagemaker.exceptions.ClientError) as caught:
        sagemaker.list_transform_jobs(NextToken="not-a-token")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Invalid pagination token" in caught.value.response["Error"]["Message"]
