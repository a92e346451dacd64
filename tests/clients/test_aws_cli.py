"""The AWS CLI v1 (pinned, its own venv) runs a whole job against `bte serve`: `aws s3`
for the data, `aws sagemaker` for the model and the job, with only environment variables
(and once with `--endpoint-url` instead)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from emulator.server_process import ServerProcess
from tests.clients.conftest import run_client, venv_bin

pytestmark = pytest.mark.docker


def test_aws_cli_creates_a_model_and_a_transform_job_and_copies_data(
        tmp_path: Path, server: ServerProcess, client_env: dict[str, str], sample_image) -> None:
    aws = venv_bin("awscli", "aws")
    data = b"".join(b"%d,cli row %d\n" % (i, i) for i in range(12))
    (tmp_path / "data.csv").write_bytes(data)

    def cli(*args: str, env: dict[str, str] = client_env) -> str:
        return run_client([aws, *args], env, timeout=120).stdout

    cli("s3", "mb", "s3://cli-bucket")
    cli("s3", "cp", str(tmp_path / "data.csv"), "s3://cli-bucket/in/data.csv")
    cli("sagemaker", "create-model", "--model-name", "cli-echo",
        "--primary-container", f"Image={sample_image('echo')}",
        "--execution-role-arn", "arn:aws:iam::000000000000:role/cli")
    created = json.loads(cli(
        "sagemaker", "create-transform-job", "--transform-job-name", "cli-job", "--model-name", "cli-echo",
        "--transform-input", json.dumps({
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://cli-bucket/in/"}},
            "ContentType": "text/csv", "SplitType": "Line"}),
        "--transform-output", "S3OutputPath=s3://cli-bucket/out/,AssembleWith=Line",
        "--transform-resources", "InstanceType=ml.m5.large,InstanceCount=1"))
    assert created["TransformJobArn"].endswith(":transform-job/cli-job")

    # The same endpoint given as --endpoint-url rather than the environment.
    flag_env = {k: v for k, v in client_env.items() if k != "AWS_ENDPOINT_URL"}
    deadline = time.monotonic() + 120
    while True:
        status = cli("sagemaker", "describe-transform-job", "--transform-job-name", "cli-job",
                     "--endpoint-url", server.url, "--query", "TransformJobStatus", "--output", "text",
                     env=flag_env).strip()
        if status != "InProgress" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == "Completed"

    cli("s3", "cp", "s3://cli-bucket/out/data.csv.out", str(tmp_path / "data.csv.out"))
    assert (tmp_path / "data.csv.out").read_bytes() == data
    listed = json.loads(cli("sagemaker", "list-transform-jobs", "--name-contains", "cli"))
    assert [s["TransformJobName"] for s in listed["TransformJobSummaries"]] == ["cli-job"]
