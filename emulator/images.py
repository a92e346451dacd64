"""Building a serving image for a model directory.

A directory with an ``inference.py`` gets a generated Dockerfile: a venv at /opt/venv on
the chosen base image, fastapi + uvicorn (+ the directory's ``requirements.txt``) installed
with pip (offline from a wheelhouse when one is given), bte's serving shim
(``emulator/serving``, copied as source: it needs nothing else of bte), and the directory's
files in /opt/ml/code. ``docker run IMAGE serve`` starts the shim.

A directory with its own ``Dockerfile`` is built with that instead; the build context is the
directory plus ``wheels/`` (a copy of the wheelhouse), and the base image arrives as the build
argument ``BASE_IMAGE``.

Every image carries the label ``bte.content-hash``: a digest of everything that went in
(files, Dockerfile, base image id), so ``ensure_image`` can skip a build that would change
nothing. Errors from Docker come out as ``ImageBuildError`` with the model directory, the
tag, and the tail of the build log.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from emulator.spec.errors import BteError

HASH_LABEL = "bte.content-hash"
BIND_TO_PORT_LABEL = "com.amazonaws.sagemaker.capabilities.accept-bind-to-port"
SHIM_PACKAGES = ("fastapi", "uvicorn")
_SERVING_DIR = Path(__file__).parent / "serving"
_SKIP_NAMES = frozenset({"__pycache__", ".git", ".venv", ".ipynb_checkpoints", ".pytest_cache"})
_EMULATOR_STUB = b'"""Stub of the bte package inside a model image: only emulator.serving is present."""\n'


class ImageBuildError(BteError):
    """A serving image could not be built; the message names the model directory, the tag and the cause."""

    code = "ImageBuildError"


@dataclass(frozen=True)
class BuildResult:
    tag: str
    image_id: str
    built: bool  # False: an image with the same content hash was already there
    seconds: float


def build_image(
    model_dir: str | Path,
    tag: str,
    *,
    base_image: str = "python:3.11-slim",
    wheelhouse: str | Path | None = None,
    docker_client: Any = None,
) -> str:
    """Build ``tag`` for ``model_dir`` and return the image id (``sha256:...``); always builds."""
    return ensure_image(
        model_dir, tag, base_image=base_image, wheelhouse=wheelhouse, docker_client=docker_client, force=True
    ).image_id


def ensure_image(
    model_dir: str | Path,
    tag: str,
    *,
    base_image: str = "python:3.11-slim",
    wheelhouse: str | Path | None = None,
    docker_client: Any = None,
    force: bool = False,
) -> BuildResult:
    """Build ``tag`` unless an image of that tag already carries the same content hash."""
    import docker
    import docker.errors

    started = time.monotonic()
    model_dir = Path(model_dir).resolve()
    context = _Context(model_dir, tag, base_image, Path(wheelhouse) if wheelhouse is not None else None)
    where = f"image {tag} for {model_dir}"
    try:
        client = docker_client or docker.from_env()
        base_id = _image_id(client, base_image)
        digest = context.digest(base_id)
        previous = _existing(client, tag)
        if not force and previous is not None and (previous.labels or {}).get(HASH_LABEL) == digest:
            return BuildResult(tag, previous.id, False, time.monotonic() - started)
        with tempfile.TemporaryFile() as tar:
            context.write_tar(tar)
            tar.seek(0)
            image, _logs = client.images.build(
                fileobj=tar,
                custom_context=True,
                tag=tag,
                rm=True,
                forcerm=True,
                buildargs={"BASE_IMAGE": base_image},
                labels={HASH_LABEL: digest},
            )
    except docker.errors.BuildError as exc:
        raise ImageBuildError(f"building {where} failed: {exc.msg}\n{_log_tail(exc.build_log)}") from exc
    except docker.errors.DockerException as exc:
        raise ImageBuildError(
            f"building {where} failed: {exc}; is the Docker engine running (docker info) and is the base "
            f"image {base_image} present?"
        ) from exc
    if previous is not None and previous.id != image.id:
        _remove_quietly(client, previous.id)
    return BuildResult(tag, image.id, True, time.monotonic() - started)


class _Context:
    """The files of one build context, as (path in context, path on disk or bytes)."""

    def __init__(self, model_dir: Path, tag: str, base_image: str, wheelhouse: Path | None) -> None:
        if not model_dir.is_dir():
            raise ImageBuildError(f"cannot build {tag}: {model_dir} is not a directory")
        self.own_dockerfile = (model_dir / "Dockerfile").is_file()
        if not self.own_dockerfile and not (model_dir / "inference.py").is_file():
            raise ImageBuildError(
                f"cannot build {tag}: {model_dir} has neither inference.py (served by bte's shim) nor a Dockerfile"
            )
        if wheelhouse is not None and not wheelhouse.is_dir():
            raise ImageBuildError(f"cannot build {tag}: wheelhouse {wheelhouse} is not a directory")
        self.model_dir, self.base_image, self.wheelhouse = model_dir, base_image, wheelhouse

    def entries(self) -> Iterator[tuple[str, Path | bytes]]:
        prefix = "" if self.own_dockerfile else "code/"
        for path in _walk(self.model_dir):
            rel = path.relative_to(self.model_dir).as_posix()
            if self.own_dockerfile and rel.split("/")[0] == "wheels":
                continue  # the wheelhouse copy takes this place
            yield prefix + rel, path
        if self.wheelhouse is not None:
            for path in _walk(self.wheelhouse):
                yield "wheels/" + path.relative_to(self.wheelhouse).as_posix(), path
        if not self.own_dockerfile:
            yield "shim/emulator/__init__.py", _EMULATOR_STUB
            for path in sorted(_SERVING_DIR.glob("*.py")):
                yield f"shim/emulator/serving/{path.name}", path
            yield "Dockerfile", self.dockerfile().encode()

    def dockerfile(self) -> str:
        offline = "--no-index --find-links /tmp/wheels " if self.wheelhouse is not None else ""
        has_requirements = (self.model_dir / "requirements.txt").is_file()
        lines = [
            "ARG BASE_IMAGE",
            f"FROM {self.base_image}",
            "ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \\",
            "    SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/code SAGEMAKER_PROGRAM=inference.py",
            "RUN python3 -m venv /opt/venv && mkdir -p /opt/ml/model /opt/ml/code",
        ]
        if self.wheelhouse is not None:
            lines.append("COPY wheels /tmp/wheels")
        if has_requirements:
            lines.append("COPY code/requirements.txt /tmp/requirements.txt")
        pip = f"/opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -q {offline}"
        install = f"RUN {pip}{' '.join(SHIM_PACKAGES)}"
        if has_requirements:
            install += f" && {pip}-r /tmp/requirements.txt"
        lines.append(install + (" && rm -rf /tmp/wheels" if self.wheelhouse is not None else ""))
        lines += [
            "COPY shim /opt/bte-shim",
            # A .pth file puts the shim on the venv's path without touching PYTHONPATH.
            "RUN /opt/venv/bin/python -c \"import sysconfig, pathlib; "
            "pathlib.Path(sysconfig.get_paths()['purelib'], 'bte-shim.pth').write_text('/opt/bte-shim\\n')\"",
            "COPY code /opt/ml/code",
            "EXPOSE 8080",
            f'LABEL {BIND_TO_PORT_LABEL}="true"',
            'ENTRYPOINT ["/opt/venv/bin/python", "-m", "emulator.serving"]',
            'CMD ["serve"]',
        ]
        return "\n".join(lines) + "\n"

    def digest(self, base_image_id: str) -> str:
        sha = hashlib.sha256(f"base={self.base_image}@{base_image_id}\n".encode())
        for name, source in self.entries():
            sha.update(f"\0{name}\0".encode())
            if isinstance(source, bytes):
                sha.update(source)
            else:
                with source.open("rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        sha.update(chunk)
        return "sha256:" + sha.hexdigest()

    def write_tar(self, out: IO[bytes]) -> None:
        with tarfile.open(fileobj=out, mode="w") as tar:
            for name, source in self.entries():
                if isinstance(source, bytes):
                    info = tarfile.TarInfo(name)
                    info.size, info.mode = len(source), 0o644
                    tar.addfile(info, io.BytesIO(source))
                else:
                    tar.add(source, arcname=name, recursive=False)


def _walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.iterdir()):
        if path.name in _SKIP_NAMES or path.suffix == ".pyc":
            continue
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            yield path


def _image_id(client: Any, name: str) -> str:
    import docker.errors

    try:
        return str(client.images.get(name).id)
    except docker.errors.ImageNotFound:
        return "absent"  # the build itself then says what is missing


def _existing(client: Any, tag: str) -> Any:
    import docker.errors

    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None


def _remove_quietly(client: Any, image_id: str) -> None:
    """Drop the image a rebuild replaced, so rebuilds do not pile up untagged images."""
    import docker.errors

    try:
        client.images.remove(image_id, noprune=False)
    except docker.errors.APIError:
        pass  # still used by a container or another tag: leave it


def _log_tail(build_log: Any, lines: int = 15) -> str:
    text = "".join(str(item.get("stream") or item.get("error") or "") for item in build_log if isinstance(item, dict))
    return "\n".join(text.rstrip().splitlines()[-lines:])
