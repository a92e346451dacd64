"""emulator.images against the real Docker engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.images import HASH_LABEL, ImageBuildError, ensure_image
from tests.serving.servers import ROOT, SAMPLES

WHEELS = ROOT / "build" / "wheels"


def test_a_directory_without_inference_py_or_dockerfile_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"\x00")
    with pytest.raises(ImageBuildError, match="has neither inference.py .* nor a Dockerfile"):
        ensure_image(tmp_path, "bte-test/nothing:latest", base_image="bte-base:bookworm")


def test_an_up_to_date_sample_image_is_not_rebuilt(docker_client: Any, sample_image: Any) -> None:
    tag = sample_image("tabular-regression")
    result = ensure_image(
        SAMPLES / "tabular-regression", tag, base_image="bte-base:bookworm", wheelhouse=WHEELS,
        docker_client=docker_client,
    )
    assert result.built is False, (
        f"{tag} was stale (sample or shim changed since it was built) or the build script hashes differently; "
        "it has now been rebuilt: run scripts/build_sample_images.py before the tests"
    )
    assert docker_client.images.get(tag).labels[HASH_LABEL].startswith("sha256:")


def test_a_failing_build_names_the_tag_and_shows_the_log(docker_client: Any, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo 'about to fail' && exit 3\n"
    )
    tag = "bte-test/failing-build:latest"
    with pytest.raises(ImageBuildError) as caught:
        ensure_image(tmp_path, tag, base_image="bte-base:bookworm", docker_client=docker_client)
    message = str(caught.value)
    assert tag in message and str(tmp_path) in message
    assert "about to fail" in message and "exit 3" in message
