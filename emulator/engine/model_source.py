"""Where an instance's model comes from: an image, a model directory, model artifacts.

A CreateModel request names an Image and a ModelDataUrl (a model.tar.gz, local or in
S3). The artifacts are extracted once into a cache folder and mounted at /opt/ml/model
(Docker) or given as SM_MODEL_DIR (local process). For the local-process runtime the
code (inference.py) comes from a model directory, or from ``code/`` inside the
artifacts, as the SageMaker framework containers expect.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from emulator import storage
from emulator.engine.errors import ModelSourceError
from emulator.spec import ModelSpec


@dataclass(frozen=True)
class ModelSource:
    image: str | None
    model_dir: str | None  # host folder with the model artifacts (/opt/ml/model)
    code_dir: str | None  # host folder with inference.py, for the local-process runtime
    environment: dict[str, str]

    def describe(self) -> str:
        parts = []
        if self.image:
            parts.append(f"image {self.image}")
        if self.code_dir:
            parts.append(f"code {self.code_dir}")
        if self.model_dir and self.model_dir != self.code_dir:
            parts.append(f"artifacts {self.model_dir}")
        return ", ".join(parts) or "nothing"


def cache_root() -> Path:
    return Path(os.environ.get("BTE_CACHE_DIR") or Path.home() / ".cache" / "bte")


def resolve_model_source(
    model: ModelSpec | None = None,
    *,
    model_dir: str | os.PathLike[str] | None = None,
    image: str | None = None,
    s3_endpoint_url: str | None = None,
) -> ModelSource:
    """Combine a CreateModel request with the CLI's --model-dir / --image overrides."""
    env: dict[str, str] = {}
    artifacts: str | None = None
    if model is not None:
        container = model.primary_container or (model.containers[0] if model.containers else None)
        if container is None:
            raise ModelSourceError(f"model {model.name} has no PrimaryContainer or Containers")
        if model.containers and len(model.containers) > 1:
            raise ModelSourceError(
                f"model {model.name} is an inference pipeline of {len(model.containers)} containers; "
                "bte runs single-container models for now"
            )
        env.update(container.environment or {})
        image = image or container.image
        if container.model_data_url:
            artifacts = extract_artifacts(container.model_data_url, s3_endpoint_url=s3_endpoint_url)
    code_dir: str | None = None
    if model_dir is not None:
        path = Path(model_dir).resolve()
        if not path.is_dir():
            raise ModelSourceError(f"model directory {model_dir} does not exist or is not a folder")
        code_dir = str(path)
        artifacts = artifacts or str(path)
    elif artifacts is not None:
        code = Path(artifacts) / "code"
        if (code / "inference.py").exists():
            code_dir = str(code)
        elif (Path(artifacts) / "inference.py").exists():
            code_dir = artifacts
    return ModelSource(image=image, model_dir=artifacts, code_dir=code_dir, environment=env)


def extract_artifacts(url: str, *, s3_endpoint_url: str | None = None) -> str:
    """Extract a model.tar.gz once into the cache; a folder is used as it is."""
    local = _local_path(url)
    if local is not None and local.is_dir():
        return str(local)
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    if local is not None:
        if not local.exists():
            raise ModelSourceError(f"Could not find model data at {url}")
        stat = local.stat()
        key = hashlib.sha256(f"{local}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    target = cache_root() / "models" / key
    if (target / ".complete").exists():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".extract-"))
    try:
        with tempfile.TemporaryFile() as archive:
            try:
                for chunk in storage.open_input(url, s3_endpoint_url=s3_endpoint_url):
                    archive.write(chunk)
            except Exception as exc:
                raise ModelSourceError(f"Could not find model data at {url}: {exc}") from exc
            archive.seek(0)
            try:
                with tarfile.open(fileobj=archive, mode="r:*") as tar:
                    tar.extractall(tmp, filter="data")
            except tarfile.TarError as exc:
                raise ModelSourceError(f"model data at {url} is not a readable .tar.gz: {exc}") from exc
        (tmp / ".complete").touch()
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return str(target)


def _local_path(url: str) -> Path | None:
    if url.startswith("file://"):
        return Path(url[len("file://"):])
    if "://" not in url:
        return Path(url).resolve()
    return None
