"""pytest plugin (entry point ``pytest11``): a real ``bte serve`` for your own tests.

    def test_my_pipeline(bte_endpoint, monkeypatch):
        monkeypatch.setenv("AWS_ENDPOINT_URL", bte_endpoint)
        run_my_batch_job()          # boto3 / the SageMaker SDK, unmodified

``bte_endpoint`` starts one server per test session on a free 127.0.0.1 port with a
temporary state directory, yields its URL and stops it at the end. Override the
``bte_serve_args`` fixture to pass options (``["--allow-local", str(path)]``).
"""

from __future__ import annotations

from typing import Iterator

import pytest

from emulator.server_process import ServerProcess


@pytest.fixture(scope="session")
def bte_serve_args() -> list[str]:
    """Extra ``bte serve`` options for :func:`bte_endpoint`; override it in a conftest.py."""
    return []


@pytest.fixture(scope="session")
def bte_server(tmp_path_factory: pytest.TempPathFactory, bte_serve_args: list[str]) -> Iterator[ServerProcess]:
    """The running ``bte serve`` child process (``.url``, ``.state_dir``, ``.pid``)."""
    with ServerProcess(tmp_path_factory.mktemp("bte-state"), args=bte_serve_args) as server:
        yield server


@pytest.fixture(scope="session")
def bte_endpoint(bte_server: ServerProcess) -> str:
    """The URL of a running ``bte serve``: set it as ``AWS_ENDPOINT_URL`` (or ``endpoint_url=``)."""
    return bte_server.url
