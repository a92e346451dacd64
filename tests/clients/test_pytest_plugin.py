"""The pytest plugin, as a user meets it: a project of their own whose test asks for `bte_endpoint`.

The plugin comes in through its `pytest11` entry point (installing bte is all it takes);
pytest runs as a subprocess in a throwaway folder with nothing of this repository on its path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

USER_TEST = '''
import os

import boto3


def test_my_pipeline_talks_to_bte(bte_endpoint, monkeypatch, bte_server):
    monkeypatch.setenv("AWS_ENDPOINT_URL", bte_endpoint)
    with open(os.environ["PID_FILE"], "w") as f:
        f.write(str(bte_server.pid))
    s3, sagemaker = boto3.client("s3"), boto3.client("sagemaker")
    s3.create_bucket(Bucket="mine")
    s3.put_object(Bucket="mine", Key="in/a.csv", Body=b"1,2\\n")
    sagemaker.create_model(ModelName="m", PrimaryContainer={"Image": "my-serving:latest"})
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["m"]
    assert s3.get_object(Bucket="mine", Key="in/a.csv")["Body"].read() == b"1,2\\n"
    assert bte_endpoint.startswith("http://127.0.0.1:")


def test_the_same_server_serves_the_whole_session(bte_endpoint):
    sagemaker = boto3.client("sagemaker", endpoint_url=bte_endpoint)
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["m"]
'''


def test_a_users_project_uses_the_bte_endpoint_fixture(tmp_path: Path) -> None:
    project = tmp_path / "my-project"
    project.mkdir()
    (project / "test_pipeline.py").write_text(USER_TEST)
    pid_file = tmp_path / "server.pid"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "BTE_", "PYTEST"))}
    env.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
               PID_FILE=str(pid_file), PYTHONPATH="")

    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_pipeline.py"],
                            cwd=project, env=env, capture_output=True, text=True, timeout=180)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    pid = int(pid_file.read_text())
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower(), \
        "the fixture left bte serve running"
