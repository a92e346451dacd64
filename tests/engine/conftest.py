from __future__ import annotations

import pytest

from tests.engine.jobs import Target


@pytest.fixture(params=["process", "docker"])
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "docker":
        return Target("docker", request.getfixturevalue("sample_image"))
    return Target("process")


@pytest.fixture
def process_target() -> Target:
    return Target("process")


@pytest.fixture
def docker_target(sample_image) -> Target:
    return Target("docker", sample_image)
