"""An inference pipeline's containers: image, artifacts, code and environment of each.

A CreateModel request with two or more ``Containers`` is a serial inference pipeline.
Each container is resolved as a single one is (its ModelDataUrl extracted once into the
cache; ``code/inference.py`` or ``inference.py`` in it is the code the process runtime
serves), and named by its ContainerHostname, or ``container-<n>`` when the request gives
none (the service assigns "a unique name based on the position"; the form is bte's).
"""

from __future__ import annotations

import os

from emulator.engine.errors import ModelSourceError
from emulator.engine.model_source import ModelSource, code_dir_in, extract_artifacts
from emulator.spec import ModelSpec


def resolve_pipeline_source(
    model: ModelSpec,
    *,
    model_dir: str | os.PathLike[str] | None = None,
    image: str | None = None,
    s3_endpoint_url: str | None = None,
) -> ModelSource:
    """One ModelSource per container, in order, under ``steps``."""
    if model_dir is not None or image is not None:
        given = "--model-dir" if model_dir is not None else "--image"
        raise ModelSourceError(
            f"model {model.name} is an inference pipeline of {len(model.containers)} containers: {given} "
            "replaces the code or image of a single container. Give each container's Image and ModelDataUrl "
            "(on bte, a local folder with inference.py works) in the CreateModel request instead"
        )
    steps = []
    for number, container in enumerate(model.containers, 1):
        artifacts: str | None = None
        notes: tuple[str, ...] = ()
        if container.model_data_url:
            fetched = extract_artifacts(container.model_data_url, s3_endpoint_url=s3_endpoint_url)
            artifacts, notes = fetched.path, ((fetched.note,) if fetched.note else ())
        steps.append(ModelSource(
            image=container.image, model_dir=artifacts, code_dir=code_dir_in(artifacts) if artifacts else None,
            environment=dict(container.environment), notes=notes,
            hostname=container.container_hostname or f"container-{number}",
        ))
    return ModelSource(image=None, model_dir=None, code_dir=None, environment={}, steps=tuple(steps),
                       notes=tuple(note for step in steps for note in step.notes))


def choose_pipeline_runtime(source: ModelSource, requested: str | None) -> str:
    """The runtime for a pipeline: the one asked for if every container can run on it; else
    the process runtime when every container has inference.py (as for a single container
    whose artifacts hold code), else Docker when every container names an Image."""
    steps = source.steps
    no_code = [n for n, s in enumerate(steps, 1) if s.code_dir is None]
    no_image = [n for n, s in enumerate(steps, 1) if not s.image]
    if requested == "process" or (requested is None and not no_code):
        if no_code:
            raise ModelSourceError(
                f"the local-process runtime runs each pipeline container's inference.py, and "
                f"{_names(no_code, steps)} has none: give it a ModelDataUrl (a local folder or a model.tar.gz) "
                "holding inference.py or code/inference.py, or run the images with --runtime docker"
            )
        return "process"
    if requested == "docker" or requested is None:
        if no_image:
            raise ModelSourceError(
                f"the docker runtime runs each pipeline container's Image, and {_names(no_image, steps)} "
                "names none: give it an Image, or give every container inference.py and use --runtime process"
            )
        return "docker"
    return requested


def _names(numbers: list[int], steps: tuple[ModelSource, ...]) -> str:
    return ", ".join(f"container {n} of {len(steps)} ({steps[n - 1].hostname})" for n in numbers)
