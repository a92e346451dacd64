"""An inference pipeline's instance: one model server per container, started and stopped together.

``PipelineRuntime`` wraps a runtime (Docker or process). Its ``start`` starts every
container of the pipeline for one instance, in parallel, each as the wrapped runtime
starts a single container, named ``<instance>/<ContainerHostname>`` (its log lines carry
that name) and listening on the port its environment's ``SAGEMAKER_BIND_TO_PORT`` gives
(or, where containers share the host's network, a free one). It returns a
``PipelineInstance``: the ``Instance`` contract for the whole group (alive while every
container is; ``stop`` stops all in parallel) plus each container's URL and label.

On Docker, every image must carry the label
``com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true`` (developer guide,
inference pipelines); an image without it fails the start with the service's text,
before any container starts.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emulator.runtime.base import Instance, InstanceSpec, LogCallback, Runtime
from emulator.runtime.errors import InstanceError, InstanceStartFailed

BIND_TO_PORT_LABEL = "com.amazonaws.sagemaker.capabilities.accept-bind-to-port"


@dataclass(frozen=True)
class StepSpec:
    """One container of the pipeline: what to run and how messages name it."""

    label: str  # e.g. "container 2 of 3 (container-2, image bte-sample/echo:latest)"
    hostname: str
    image: str | None = None
    model_dir: str | None = None
    code_dir: str | None = None
    environment: dict[str, str] = field(default_factory=dict)


class PipelineInstance:
    """The containers of one instance, in pipeline order; see ``Instance`` in ``base.py``."""

    def __init__(self, name: str, steps: Sequence[Instance], labels: Sequence[str]) -> None:
        self.name = name
        self.steps = tuple(steps)
        self.labels = tuple(labels)
        self.url = self.steps[0].url  # where the job's requests enter the pipeline
        self.notes = tuple(dict.fromkeys(note for step in self.steps for note in step.notes))

    def dead_step(self) -> int | None:
        """The index of the first container that is no longer running, if any."""
        return next((i for i, step in enumerate(self.steps) if not step.is_alive()), None)

    def is_alive(self) -> bool:
        return self.dead_step() is None

    def exit_code(self) -> int | None:
        dead = self.dead_step()
        return None if dead is None else self.steps[dead].exit_code()

    def log_tail(self, n: int = 20) -> list[str]:
        """The last lines of the container that ended, else of every container, each line
        marked with its container's hostname."""
        dead = self.dead_step()
        chosen = [dead] if dead is not None else list(range(len(self.steps)))
        share = max(1, n // len(chosen))
        return [f"[{self.steps[i].name.rsplit('/', 1)[-1]}] {line}"
                for i in chosen for line in self.steps[i].log_tail(share)]

    def stop(self) -> None:
        """Stop every container at once; the first error is raised after all were tried."""
        _in_parallel([step.stop for step in self.steps])

    def __repr__(self) -> str:
        return f"PipelineInstance(name={self.name!r}, steps={self.steps!r})"


class PipelineRuntime:
    """Starts an instance of a pipeline model on ``runtime``; see the module docstring."""

    def __init__(self, runtime: Runtime, steps: Sequence[StepSpec]) -> None:
        self.runtime = runtime
        self.steps = tuple(steps)
        self.name = runtime.name

    def start(self, spec: InstanceSpec, on_log: LogCallback | None = None) -> PipelineInstance:
        self._check_labels(spec.name)
        started: list[Instance | None] = [None] * len(self.steps)

        def start_one(i: int) -> None:
            step = self.steps[i]
            started[i] = self.runtime.start(InstanceSpec(
                name=f"{spec.name}/{step.hostname}", job_name=spec.job_name, environment=dict(step.environment),
                instance_type=spec.instance_type, image=step.image, model_dir=step.model_dir, code_dir=step.code_dir,
            ), on_log=on_log)

        try:
            _in_parallel([functools.partial(start_one, i) for i in range(len(self.steps))], self.steps)
        except BaseException:
            _in_parallel([s.stop for s in started if s is not None])
            raise
        return PipelineInstance(spec.name, [s for s in started if s is not None], [s.label for s in self.steps])

    def close(self) -> None:
        """Close the wrapped runtime's engine connection, where it has one."""
        close: Callable[[], None] | None = getattr(self.runtime, "close", None)
        if close is not None:
            close()

    def _check_labels(self, instance: str) -> None:
        labels_of: Callable[[str], dict[str, str]] | None = getattr(self.runtime, "image_labels", None)
        if labels_of is None:
            return  # the process runtime runs bte's shim, which honours SAGEMAKER_BIND_TO_PORT
        for step in self.steps:
            if step.image and labels_of(step.image).get(BIND_TO_PORT_LABEL) != "true":
                raise InstanceStartFailed(
                    f"Your Ecr Image {step.image} does not contain required {BIND_TO_PORT_LABEL}=true Docker "
                    f"label(s). bte: {step.label} of instance {instance}: an inference pipeline's containers "
                    f"must listen on SAGEMAKER_BIND_TO_PORT; add `LABEL {BIND_TO_PORT_LABEL}=true` to its "
                    "Dockerfile once its server does",
                    instance=instance,
                )


def _in_parallel(calls: Sequence[Callable[[], object]], steps: Sequence[StepSpec] = ()) -> None:
    """Run ``calls`` on threads and wait for all; re-raise the first failure, naming its
    container when ``steps`` are given."""
    errors: list[tuple[int, BaseException]] = []

    def run(i: int) -> None:
        try:
            calls[i]()
        except BaseException as exc:  # carried to the caller's thread below
            errors.append((i, exc))

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if not errors:
        return
    i, exc = min(errors, key=lambda e: e[0])
    if steps and isinstance(exc, InstanceError):
        named = copy.copy(exc)  # the same error (ImageNotFound stays ImageNotFound), naming its container
        named.message = f"{steps[i].label}: {exc.message}"
        named.args = (named.message,)
        raise named from exc
    raise exc
