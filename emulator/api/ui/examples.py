"""The repository's example jobs (``examples/*/job.json``), ready for the page's form.

Relative local paths in an example are relative to the repository (``bte run`` reads
them from the working directory); here they are made absolute, so the job means the same
whatever folder the server started in. The model is the example's ``model.json`` when it
has one, else the sample image of the model it names (``bte-sample/<ModelName>:latest``,
built by scripts/build_sample_images.py), run with Docker as the service runs a model.
Local paths still pass the server's ``--allow-local`` check when the job is created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[3]
SAMPLE_IMAGE = "bte-sample/{name}:latest"


@dataclass(frozen=True)
class Example:
    name: str  # the example's folder
    job: dict[str, Any]
    model: dict[str, Any] | None


def examples(root: Path = REPOSITORY) -> list[Example]:
    found = []
    for path in sorted((root / "examples").glob("*/job.json")):
        try:
            job = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(job, dict) or "TransformJobName" not in job:
            continue
        found.append(Example(path.parent.name, _absolute(job, root), _model(path.parent, job, root)))
    return found


def _model(folder: Path, job: dict[str, Any], root: Path) -> dict[str, Any] | None:
    own = folder / "model.json"
    if own.exists():
        try:
            model: dict[str, Any] = json.loads(own.read_text())
            return model
        except ValueError:
            return None
    name = job.get("ModelName")
    if isinstance(name, str) and (root / "sample_models" / name).is_dir():
        return {"ModelName": name, "PrimaryContainer": {"Image": SAMPLE_IMAGE.format(name=name)}}
    return None


def _absolute(job: dict[str, Any], root: Path) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(job))
    source = out.get("TransformInput", {}).get("DataSource", {}).get("S3DataSource", {})
    if isinstance(source.get("S3Uri"), str):
        source["S3Uri"] = _local(source["S3Uri"], root)
    output = out.get("TransformOutput", {})
    if isinstance(output.get("S3OutputPath"), str):
        output["S3OutputPath"] = _local(output["S3OutputPath"], root)
    return out


def _local(uri: str, root: Path) -> str:
    if "://" in uri or uri.startswith("/"):
        return uri
    absolute = str(root / uri)
    return absolute + "/" if uri.endswith("/") else absolute
