from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.server import BteServer


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BTE_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BteServer]:
    """A `bte serve` for one test (its own state directory)."""
    srv = BteServer(tmp_path / "state").start()
    yield srv
    srv.stop()


@pytest.fixture
def sagemaker(server: BteServer) -> Any:
    return server.client("sagemaker")


@pytest.fixture
def s3(server: BteServer) -> Any:
    return server.client("s3")
