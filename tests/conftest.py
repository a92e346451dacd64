"""Suite-wide fixtures. Room-specific reusable fixtures live in tests/fixtures/.

S3: a test that takes ``s3_server`` (and ``s3_bucket``) runs once against each real S3
server, moto's and SeaweedFS's (``test_x[moto]``, ``test_x[seaweedfs]``), started once per
session; ``s3_server.kind`` says which. Fault tests that need a server of their own to
kill and restart use ``weed_server``. See tests/fixtures/s3.py.
"""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "tests.fixtures.docker_engine",
    "tests.fixtures.s3",
]


@pytest.fixture(autouse=True)
def _clean_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a developer's own AWS settings from reaching tests (httpx does the same for proxies)."""
    for name in list(os.environ):
        if name.startswith("AWS_") and name not in ("AWS_DEFAULT_REGION",):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture(autouse=True)
def _own_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test's runs record themselves in a state directory of its own, never in ~/.bte."""
    monkeypatch.setenv("BTE_STATE_DIR", str(tmp_path_factory.mktemp("state")))
