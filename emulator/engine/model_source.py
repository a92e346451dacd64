"""Where an instance's model comes from: an image, a model directory, model artifacts.

A CreateModel request names an Image and a ModelDataUrl (a model.tar.gz, local or in
S3). The artifacts are extracted once into a cache folder and mounted at /opt/ml/model
(Docker) or given as SM_MODEL_DIR (local process): that folder holds the archive's files
and nothing of bte's, readable by any user (docs/runtime.md, "The model folder"). For the local-process runtime the
code (inference.py) comes from a model directory, or from ``code/`` inside the
artifacts, as the SageMaker framework containers expect.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import storage
from emulator.engine.errors import ModelSourceError
from emulator.spec import ModelSpec


MODEL_FOLDER = "model"
SOURCE_FILE = "source.json"


@dataclass(frozen=True)
class ModelSource:
    image: str | None
    model_dir: str | None  # host folder with the model artifacts (/opt/ml/model)
    code_dir: str | None  # host folder with inference.py, for the local-process runtime
    environment: dict[str, str]
    notes: tuple[str, ...] = ()  # what bte did that the user should know (a changed model fetched again)
    hostname: str | None = None  # a pipeline container's ContainerHostname (or bte's default)
    # An inference pipeline: one source per container, in order; the fields above are then unset.
    steps: tuple[ModelSource, ...] = ()

    def describe(self) -> str:
        if self.steps:
            return f"an inference pipeline of {len(self.steps)} containers ({', '.join(str(s.hostname) for s in self.steps)})"
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
    notes: list[str] = []
    if model is not None:
        container = model.primary_container or (model.containers[0] if model.containers else None)
        if container is None:
            raise ModelSourceError(f"model {model.name} has no PrimaryContainer or Containers")
        if len(model.containers) > 1:  # a Containers list of one runs as a single container
            from emulator.engine.pipeline_source import resolve_pipeline_source

            return resolve_pipeline_source(model, model_dir=model_dir, image=image, s3_endpoint_url=s3_endpoint_url)
        env.update(container.environment or {})
        image = image or container.image
        if container.model_data_url:
            fetched = extract_artifacts(container.model_data_url, s3_endpoint_url=s3_endpoint_url)
            artifacts = fetched.path
            notes += [fetched.note] if fetched.note else []
    code_dir: str | None = None
    if model_dir is not None:
        path = Path(model_dir).resolve()
        if not path.is_dir():
            raise ModelSourceError(f"model directory {model_dir} does not exist or is not a folder")
        code_dir = str(path)
        artifacts = artifacts or str(path)
    elif artifacts is not None:
        code_dir = code_dir_in(artifacts)
    return ModelSource(image=image, model_dir=artifacts, code_dir=code_dir, environment=env, notes=tuple(notes))


def code_dir_in(artifacts: str) -> str | None:
    """The folder with inference.py in extracted artifacts: ``code/``, else the top, else none."""
    code = Path(artifacts) / "code"
    if (code / "inference.py").exists():
        return str(code)
    if (Path(artifacts) / "inference.py").exists():
        return artifacts
    return None


@dataclass(frozen=True)
class Artifacts:
    path: str  # the folder mounted at /opt/ml/model: the archive's files and nothing else
    note: str | None = None  # what the user should know (the model changed and was fetched again)


def extract_artifacts(url: str, *, s3_endpoint_url: str | None = None) -> Artifacts:
    """The model's files in a folder: a folder as it is; a model.tar.gz extracted once into
    the cache, keyed by what the object is (S3's ETag and size, a file's size and mtime),
    so a model uploaded again to the same key is fetched again.

        <cache>/models/<key>/model/        the archive's files, readable by any user
        <cache>/models/<key>/source.json   what was fetched (written last: the entry is whole)
        <cache>/models/urls/<url hash>     the key last fetched for that URL
    """
    local = _local_path(url)
    if local is not None and local.is_dir():
        return Artifacts(str(local))
    try:
        found = storage.storage_for(url, s3_endpoint_url).stat(url)
    except Exception as exc:
        raise ModelSourceError(f"Could not find model data at {url}: {exc}") from exc
    if found is None:
        raise ModelSourceError(f"Could not find model data at {url}")
    import hashlib  # here and in _extract: only a fetched model needs them (8 ms of every start)
    import tempfile

    identity = {"url": url, "version": found.version, "size": found.size}
    models = cache_root() / "models"
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    target, last_used = models / key, models / "urls" / hashlib.sha256(url.encode()).hexdigest()[:16]
    if (target / SOURCE_FILE).exists():
        return Artifacts(str(target / MODEL_FOLDER))
    note = _changed(last_used, identity)
    models.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=models, prefix=".extract-"))
    try:
        _extract(url, tmp / MODEL_FOLDER, s3_endpoint_url)
        (tmp / SOURCE_FILE).write_text(json.dumps(identity))
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    last_used.parent.mkdir(exist_ok=True)
    last_used.write_text(json.dumps(identity))
    return Artifacts(str(target / MODEL_FOLDER), note)


def _changed(last_used: Path, identity: dict[str, Any]) -> str | None:
    try:
        before = json.loads(last_used.read_text())
    except (OSError, ValueError):
        return None
    what = "ETag" if identity["url"].startswith("s3://") else "modification time"
    return (f"the model data at {identity['url']} changed since bte last fetched it ({what} {before['version']}, "
            f"{before['size']} bytes -> {identity['version']}, {identity['size']} bytes): fetched again")


def _extract(url: str, folder: Path, s3_endpoint_url: str | None) -> None:
    import tarfile
    import tempfile

    with tempfile.TemporaryFile() as archive:
        try:
            for chunk in storage.open_input(url, s3_endpoint_url=s3_endpoint_url):
                archive.write(chunk)
        except Exception as exc:
            raise ModelSourceError(f"Could not find model data at {url}: {exc}") from exc
        archive.seek(0)
        try:
            with tarfile.open(fileobj=archive, mode="r:*") as tar:
                tar.extractall(folder, filter="data")
        except tarfile.TarError as exc:
            raise ModelSourceError(f"model data at {url} is not a readable .tar.gz: {exc}") from exc
    _readable_by_all(folder)


def _readable_by_all(folder: Path) -> None:
    """The model folder as the service gives it: any user may read it, so a serving image
    that runs as a non-root user loads its model (folders 0755, files at least 0444)."""
    folder.mkdir(exist_ok=True)
    folder.chmod(0o755)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode):
                os.chmod(path, mode | 0o444 | (0o111 if mode & 0o111 else 0))


def _local_path(url: str) -> Path | None:
    if url.startswith("file://"):
        return Path(url[len("file://"):])
    if "://" not in url:
        return Path(url).resolve()
    return None
