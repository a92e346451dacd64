"""One builder for complete, valid job requests, and how tests run a sample model
either as a local process or in Docker (style: override only what a test is about)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

from emulator.engine import events as ev

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_models"


def job_request(name: str, input_uri: str, output_uri: str, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TransformJobName": name,
        "ModelName": "echo",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": output_uri, "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    return deep_merge(request, overrides)


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def model_request(name: str, image: str | None, env: dict[str, str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"Environment": dict(env or {})}
    if image:
        container["Image"] = image
    return {"ModelName": name, "PrimaryContainer": container}


class Target:
    """Where a sample model runs in a test: 'process' or 'docker'."""

    def __init__(self, kind: str, sample_image=None) -> None:
        self.kind = kind
        self._sample_image = sample_image

    def kwargs(self, sample: str, env: dict[str, str] | None = None, model_name: str = "echo") -> dict[str, Any]:
        if self.kind == "process":
            return {
                "model": model_request(model_name, None, env),
                "model_dir": str(SAMPLES / sample),
                "runtime": "process",
            }
        return {
            "model": model_request(model_name, self._sample_image(sample), env),
            "runtime": "docker",
            "runtime_options": {"network": "host"},
        }


class ContainerProbe:
    """Listens to the event stream and, when a file is done (its instance still up), reads
    what the echo container saw from its /echo/stats route."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.stats: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.InstanceStarted):
            self.urls[event.instance] = event.url
        elif isinstance(event, ev.FileDone):
            url = self.urls[event.instance]
            stats = requests.get(f"{url}/echo/stats", timeout=5).json()
            with self._lock:
                self.stats[event.instance] = stats


def start_bte_run(folder: Path, request: dict[str, Any], *args: str,
                  env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`bte run` of ``request`` as a real process (the worktree's code), its job file in ``folder``."""
    import os

    job = folder / f"{request['TransformJobName']}.json"
    job.write_text(json.dumps(request))
    return subprocess.Popen([sys.executable, "-m", "emulator.cli", "run", str(job), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder,
                            env={**os.environ, **(env or {})})


def wait_for(condition: Any, what: str, timeout_s: float = 30) -> Any:
    """Poll ``condition()`` until it is truthy; fail naming ``what`` after the deadline."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
