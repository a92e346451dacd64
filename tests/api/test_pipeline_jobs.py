"""An inference pipeline through `bte serve`, as boto3 drives the service: CreateModel with
Containers, a transform job over S3, and a CloudWatch Logs stream per container."""

from __future__ import annotations

import pytest

from tests.api.test_transform_jobs import FAST_WAIT
from tests.engine.jobs import job_request

pytestmark = pytest.mark.docker
GROUP = "/aws/sagemaker/TransformJobs"


def test_a_pipeline_model_runs_and_logs_each_container(sagemaker, s3, logs, sample_image):
    s3.create_bucket(Bucket="pipe")
    s3.put_object(Bucket="pipe", Key="in/rows.csv", Body=b"10,30,2,-0.5\n0,0,0,0\n")
    sagemaker.create_model(ModelName="scale-predict", ExecutionRoleArn="arn:aws:iam::000000000000:role/x", Containers=[
        {"ContainerHostname": "scaler", "Image": sample_image("pipeline-scale-scaler")},
        {"ContainerHostname": "predictor", "Image": sample_image("tabular-regression")},
    ])
    assert [c["ContainerHostname"] for c in sagemaker.describe_model(ModelName="scale-predict")["Containers"]] == [
        "scaler", "predictor"]
    sagemaker.create_transform_job(**job_request("scale-predict", "s3://pipe/in/", "s3://pipe/out/",
                                                 ModelName="scale-predict"))
    sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="scale-predict",
                                                                    WaiterConfig=FAST_WAIT)
    done = sagemaker.describe_transform_job(TransformJobName="scale-predict")
    assert done["TransformJobStatus"] == "Completed", done.get("FailureReason")
    # 10,30,2,-0.5 -> 1,2,1,0 -> about 3.5; 0,0,0,0 -> 0,-1,0,1 -> about 4 + 2 + 1.5 = 7.5
    predictions = [float(v) for v in s3.get_object(Bucket="pipe", Key="out/rows.csv.out")["Body"].read().split()]
    assert [round(p, 1) for p in predictions] == [3.5, 7.5]

    streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="scale-predict/")["logStreams"]
    names = sorted(s["logStreamName"] for s in streams)
    [instance] = [name.removesuffix("/data-log") for name in names if name.endswith("/data-log")]
    assert {f"{instance}/data-log", f"{instance}/predictor", f"{instance}/scaler"} <= set(names) <= {
        instance, f"{instance}/data-log", f"{instance}/predictor", f"{instance}/scaler"}
    scaler = logs.get_log_events(logGroupName=GROUP, logStreamName=f"{instance}/scaler")["events"]
    assert any("scaler: scale [0.1, 0.1, 0.5, 2.0]" in e["message"] for e in scaler)
