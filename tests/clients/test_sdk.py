"""The SageMaker Python SDK, v2 and v3, unmodified, runs real jobs through `bte serve`.

Each SDK runs in its own venv with only environment variables set (tests/clients/conftest.py):
it uploads its input to the server's S3, creates the model, runs the job on the echo
image, prints the container's log, and reads the `.out` back from S3 itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emulator.server_process import ServerProcess
from tests.clients.conftest import HERE, SDK_BUCKET, boto_client, run_client, venv_bin

pytestmark = pytest.mark.docker
INPUT = b"".join(b"%d,review number %d\n" % (i, i) for i in range(40))
# What the echo image's model server writes when it starts: proof the container's own log
# went through CloudWatch Logs' GetLogEvents to the SDK's `logs=True` display.
CONTAINER_LOG_LINE = "model loaded from /opt/ml/code/inference.py"


def outputs(stdout: str) -> dict[str, str]:
    return {label or "": body for label, body in
            re.findall(r"^OUTPUT-BEGIN ?(\S*)\n(.*?)^OUTPUT-END$", stdout, flags=re.M | re.S)}


def test_sdk_v2_model_transformer_transform_with_logs(tmp_path: Path, server: ServerProcess,
                                                      client_env: dict[str, str], sample_image) -> None:
    python = venv_bin("sdk2")
    (tmp_path / "reviews.csv").write_bytes(INPUT)

    result = run_client([python, HERE / "sdk2_job.py", sample_image("echo"), tmp_path / "reviews.csv", "sdk2-job"],
                        client_env)

    assert outputs(result.stdout) == {"": INPUT.decode()}
    assert CONTAINER_LOG_LINE in result.stdout + result.stderr
    sagemaker = boto_client(server.url, "sagemaker")
    described = sagemaker.describe_transform_job(TransformJobName="sdk2-job")
    assert described["TransformJobStatus"] == "Completed"
    assert described["ModelName"] == "sdk2-job-model"
    s3 = boto_client(server.url, "s3")
    key = "sdk2/sdk2-job/output/reviews.csv.out"
    assert s3.get_object(Bucket=SDK_BUCKET, Key=key)["Body"].read() == INPUT


def test_sdk_v3_transformer_and_transform_job_resource_with_logs(tmp_path: Path, server: ServerProcess,
                                                                 client_env: dict[str, str], sample_image) -> None:
    python = venv_bin("sdk3")
    (tmp_path / "reviews.csv").write_bytes(INPUT)
    # v3 logs through the `logging` module; its own switch turns its log display on.
    env = {**client_env, "SAGEMAKER_ENABLE_RICH_LOGGING": "1", "COLUMNS": "200"}

    result = run_client([python, HERE / "sdk3_job.py", sample_image("echo"), tmp_path / "reviews.csv", "sdk3-job"],
                        env)

    assert outputs(result.stdout) == {"transformer": INPUT.decode(), "resource": INPUT.decode()}
    assert "TransformJobStatus Completed" in result.stdout
    assert CONTAINER_LOG_LINE in result.stdout + result.stderr
    sagemaker = boto_client(server.url, "sagemaker")
    names = {s["TransformJobName"] for s in sagemaker.list_transform_jobs()["TransformJobSummaries"]}
    assert names == {"sdk3-job-t", "sdk3-job-r"}
