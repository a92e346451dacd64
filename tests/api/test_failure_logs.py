"""A failed job through `bte serve`: DescribeTransformJob carries only the service's text;
the Logs answers serve the instance's streams, named as the service's, with the data log's
lines and bte's explanation; the store keeps that explanation."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import WaiterError

from emulator.store.db import Store
from tests.api.test_transform_jobs import FAST_WAIT, start_job

pytestmark = pytest.mark.docker
GROUP = "/aws/sagemaker/TransformJobs"


def test_a_failed_jobs_streams_and_detail(server, sagemaker, s3, sample_image):
    start_job(sagemaker, s3, sample_image("echo"), "logs-fail", {"ECHO_FAIL_EVERY_N": "1"},
              ModelClientConfig={"InvocationsMaxRetries": 0})
    with pytest.raises(WaiterError):
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="logs-fail",
                                                                        WaiterConfig=FAST_WAIT)
    described = sagemaker.describe_transform_job(TransformJobName="logs-fail")
    assert described["FailureReason"] == "AlgorithmError: See job logs for more information"
    assert not [key for key in described if key.startswith("Bte")]

    logs = server.client("logs")
    names = [s["logStreamName"] for s in logs.describe_log_streams(
        logGroupName=GROUP, logStreamNamePrefix="logs-fail/")["logStreams"]]
    assert len(names) == 2, names
    container, data_log = names
    assert re.fullmatch(r"logs-fail/i-[0-9a-f]{17}-\d{10}", container) and data_log == f"{container}/data-log"

    messages = [e["message"] for e in logs.get_log_events(logGroupName=GROUP, logStreamName=data_log,
                                                          startFromHead=True)["events"]]
    texts = [m.split("[sagemaker logs]: ", 1)[1] for m in messages if "[sagemaker logs]: " in m]
    assert texts[1:6] == ["jobs/in/data.csv: Bad HTTP status received from algorithm: 500", "jobs/in/data.csv: ",
                          "jobs/in/data.csv: Message:",
                          "jobs/in/data.csv: echo: request 1 fails on purpose (ECHO_FAIL_EVERY_N=1)",
                          "jobs/in/data.csv: Traceback (most recent call last):"]
    assert re.search(r":\[bte\]: BteFailureDetail: jobs/in/data.csv: mini-batch 0 ", messages[-1]), messages

    run = Store(server.state_dir).latest_run("logs-fail")
    assert run is not None and run.failure_reason == described["FailureReason"]
    assert run.failure_detail is not None and "jobs/in/data.csv: mini-batch 0" in run.failure_detail
