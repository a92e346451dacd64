from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.server import BteServer
from tests.api.shapes import ShapeWatch


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BteServer]:
    """A `bte serve` for one test (its own state directory)."""
    srv = BteServer(tmp_path / "state").start()
    yield srv
    srv.stop()


@pytest.fixture
def sagemaker(server: BteServer) -> Iterator[Any]:
    """A SageMaker client whose every answer is checked against botocore's output shape."""
    watch = ShapeWatch("sagemaker")
    yield watch.attach(server.client("sagemaker"))
    assert not watch.problems, "answers that break their output shape:\n" + "\n".join(watch.problems)


@pytest.fixture
def logs(server: BteServer) -> Iterator[Any]:
    watch = ShapeWatch("logs")
    yield watch.attach(server.client("logs"))
    assert not watch.problems, "answers that break their output shape:\n" + "\n".join(watch.problems)


@pytest.fixture
def s3(server: BteServer) -> Any:
    return server.client("s3")
