"""Clients against a real `bte serve` child process: boto3, the AWS CLI, the SageMaker SDK.

Each SDK and the CLI run as a subprocess with their own venv's python
(build/venvs/NAME, made by scripts/client_venvs.sh) and only environment variables
pointing them at the server (`client_env`). Without a venv a test is skipped with the
command that makes it; under CI (CI=true) it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from emulator.server_process import ServerProcess

REPO = Path(__file__).resolve().parents[2]
VENVS = REPO / "build" / "venvs"
HERE = Path(__file__).resolve().parent
SAMPLES = REPO / "sample_models"
# The bucket the SDK config file that `bte serve` writes names (sagemaker-<region>-<account>):
# the SDK would otherwise ask STS for the account at its public address (docs/api.md).
SDK_BUCKET = "sagemaker-us-east-1-000000000000"

StartServer = Callable[..., ServerProcess]


def venv_bin(name: str, program: str = "python") -> Path:
    path = VENVS / name / "bin" / program
    if not path.exists():
        reason = f"{path} is missing: bash scripts/client_venvs.sh makes it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """start_server(*args) -> a running `bte serve --port 0 ARGS` with a state dir under tmp_path."""
    started: list[ServerProcess] = []

    def start(*args: str) -> ServerProcess:
        env = dict(os.environ)
        env.setdefault("BTE_DOCKER_NETWORK", "host")  # tests reach containers on 127.0.0.1
        server = ServerProcess(tmp_path / f"state{len(started)}", args=args, env=env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server: StartServer) -> ServerProcess:
    return start_server()


def boto_client(url: str, service: str, key: str = "testing", secret: str = "testing") -> Any:
    return boto3.session.Session().client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def client_env(tmp_path: Path, server: ServerProcess) -> dict[str, str]:
    """All a client process gets: the endpoint, dummy credentials, a region, no network, and
    the SDK config file the server wrote (as its start-up lines tell a user to export)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    config = server.state_dir / "sagemaker-config.yaml"
    assert config.is_file(), f"bte serve wrote no {config}"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(config),
    }


def run_client(command: list[str | Path], env: dict[str, str], timeout: float = 300,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a client to its end; a failure shows its whole output."""
    result = subprocess.run([str(c) for c in command], env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{command[0]} exited {result.returncode}\n--- stdout\n{result.stdout}\n"
                             f"--- stderr\n{result.stderr}")
    return result


@pytest.fixture
def local_echo_model(tmp_path: Path) -> Path:
    """A folder under tmp_path/allowed holding the echo sample's inference.py (a local-process model)."""
    folder = tmp_path / "allowed" / "model"
    shutil.copytree(SAMPLES / "echo", folder)
    return folder
