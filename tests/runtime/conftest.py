"""Fixtures for the runtime room: the plain-http image, a model dir, a job name per test,
and a check that no container, process group or log thread outlives its test."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator.runtime import JOB_LABEL, live_process_ids
from tests.fixtures.docker_engine import SAMPLE_IMAGE, docker_client_or_reason

ROOT = Path(__file__).resolve().parents[2]
PLAIN_HTTP_DIR = ROOT / "sample_models" / "plain-http"
PLAIN_HTTP_TAG = SAMPLE_IMAGE.format(name="plain-http")


@pytest.fixture(scope="session")
def plain_http_image(docker_client) -> str:  # type: ignore[no-untyped-def]
    """bte-sample/plain-http:latest, (re)built from sample_models/plain-http.

    Built here as well as by scripts/build_sample_images.py so these tests always run the
    serve.py in the working tree; with Docker's layer cache this takes about a second.
    """
    docker_client.images.build(
        path=str(PLAIN_HTTP_DIR), tag=PLAIN_HTTP_TAG, buildargs={"BASE": "bte-base:bookworm"}, rm=True
    )
    return PLAIN_HTTP_TAG


@pytest.fixture
def job_name() -> str:
    return f"rt-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    d = tmp_path / "model"
    d.mkdir()
    (d / "prefix.txt").write_bytes(b">> ")
    return d


@pytest.fixture(autouse=True)
def _nothing_left_behind(job_name: str) -> Iterator[None]:
    """After each test: no container labelled with its job, no live process group, no log thread."""
    yield
    client, _ = docker_client_or_reason()
    if client is not None:
        try:
            left = client.containers.list(all=True, filters={"label": f"{JOB_LABEL}={job_name}"})
            for c in left:
                c.remove(force=True)
            assert not left, f"containers left behind: {[c.name for c in left]}"
        finally:
            client.close()
    assert live_process_ids() == [], "process instances left running"
    deadline = time.monotonic() + 5
    while any(t.name.startswith("bte-log-") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    threads = [t.name for t in threading.enumerate() if t.name.startswith("bte-log-")]
    assert not threads, f"log threads left running: {threads}"
