"""docs/tutorial.md, followed as written: its job request (read from the page itself) runs on
two instances against a real S3 server, after `bte split` made its four inputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TUTORIAL = REPO / "docs" / "tutorial.md"


def tutorial_request(bucket: str) -> dict:
    block = re.search(r"```json\n(.*?)```", TUTORIAL.read_text(), re.S)
    assert block, "docs/tutorial.md lost its job request"
    return json.loads(block.group(1).replace("s3://tutorial/", f"s3://{bucket}/"))


def test_the_tutorial_runs_as_written(tmp_path, s3_server, s3_bucket):
    env = {**os.environ, "BTE_STATE_DIR": str(tmp_path / "state")}
    bte = [sys.executable, "-m", "emulator.cli"]
    split = subprocess.run([*bte, "split", str(REPO / "sample_models/review-sentiment/data/heldout.jsonl"),
                            "--parts", "4", "--no-header", "--out", str(tmp_path / "reviews")],
                           capture_output=True, text=True, env=env)
    assert split.returncode == 0, split.stderr
    s3 = s3_server.client()
    for path in sorted((tmp_path / "reviews").glob("*.jsonl")):
        s3.upload_file(str(path), s3_bucket, f"reviews/{path.name}")
    job = tmp_path / "job.json"
    job.write_text(json.dumps(tutorial_request(s3_bucket)))
    common = [str(job), "--model-dir", str(REPO / "sample_models/review-sentiment"),
              "--s3-endpoint-url", s3_server.endpoint_url]
    plan = subprocess.run([*bte, "plan", *common], capture_output=True, text=True, env=env)
    assert plan.returncode == 0, plan.stderr
    assert "tutorial-reviews-1: " in plan.stdout and "heldout-part-0003.jsonl" in plan.stdout.split("\n")[2]
    assert "warning" not in plan.stdout
    run = subprocess.run([*bte, "run", *common, "-q"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="scores/")["Contents"]]
    assert keys == [f"scores/heldout-part-000{i}.jsonl.out" for i in range(1, 5)]
    first = s3.get_object(Bucket=s3_bucket, Key=keys[0])["Body"].read().decode().splitlines()
    assert len(first) == 10 and json.loads(first[0]) == {"id": "h000", "SageMakerOutput": {
        "label": "positive", "score": json.loads(first[0])["SageMakerOutput"]["score"]}}
    again = subprocess.run([*bte, "plan", *common], capture_output=True, text=True, env=env)
    assert "4 .out file(s) this job will write already exist" in again.stdout  # as the tutorial says
