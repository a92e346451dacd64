"""An inference pipeline's containers in the plan: what each one runs, sees and listens on.

Every container of a pipeline model runs on every instance (developer guide, "inference
pipelines"). Each gets the environment a single container would get (its own
ContainerDefinition's Environment, the job's Environment over it, the platform's
variables last) plus the two the service sets only in pipelines:
``SAGEMAKER_BIND_TO_PORT`` (the port it must listen on instead of 8080) and
``SAGEMAKER_SAFE_PORT_RANGE`` (ports it may use for anything else). The values are bte's
choice (docs/pipelines.md): container n listens on 8080 + n - 1 in its own container on
Docker's default bridge network; where containers share the host's network (the process
runtime, Docker's host network) the runtime gives each a free port on 127.0.0.1 instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from emulator.plan import EnvVar, merge_environment
from emulator.spec import TransformJobSpec

FIRST_PORT = 8080
SAFE_PORTS_BASE = 20000  # container n may use SAFE_PORTS_BASE + 1000 * (n - 1) and the 999 after it
SAFE_PORTS_PER_CONTAINER = 1000
BIND_TO_PORT = "SAGEMAKER_BIND_TO_PORT"
SAFE_PORT_RANGE = "SAGEMAKER_SAFE_PORT_RANGE"


class StepSource(Protocol):
    """What the plan needs of one container's source (engine's ModelSource fits)."""

    @property
    def image(self) -> str | None: ...

    @property
    def model_dir(self) -> str | None: ...

    @property
    def code_dir(self) -> str | None: ...

    @property
    def environment(self) -> dict[str, str]: ...

    @property
    def hostname(self) -> str | None: ...


@dataclass(frozen=True)
class PipelineStep:
    """One container of an inference pipeline, as every instance runs it."""

    number: int  # 1-based position in Containers
    count: int  # how many containers the pipeline has
    hostname: str  # ContainerHostname, or bte's default container-<number>
    image: str | None
    model_dir: str | None
    code_dir: str | None
    environment: Mapping[str, EnvVar]

    @property
    def label(self) -> str:
        """How every message names the container: position, hostname and image."""
        what = f"image {self.image}" if self.image else f"code {self.code_dir}"
        return f"container {self.number} of {self.count} ({self.hostname}, {what})"

    @property
    def port(self) -> int:
        return int(self.environment[BIND_TO_PORT].value)

    def container_environment(self) -> dict[str, str]:
        return {name: var.value for name, var in self.environment.items()}


def plan_steps(spec: TransformJobSpec, sources: Sequence[StepSource]) -> tuple[PipelineStep, ...]:
    """The pipeline's containers with their merged environments; () for a single container."""
    steps = []
    for number, source in enumerate(sources, 1):
        env = merge_environment(source.environment, spec)
        env[BIND_TO_PORT] = EnvVar(str(FIRST_PORT + number - 1), "platform")
        low = SAFE_PORTS_BASE + SAFE_PORTS_PER_CONTAINER * (number - 1)
        env[SAFE_PORT_RANGE] = EnvVar(f"{low}-{low + SAFE_PORTS_PER_CONTAINER - 1}", "platform")
        steps.append(PipelineStep(number, len(sources), source.hostname or f"container-{number}",
                                  source.image, source.model_dir, source.code_dir, env))
    return tuple(steps)


def steps_text(steps: Sequence[PipelineStep], runtime: str) -> list[str]:
    """``bte plan``'s lines for the pipeline's containers."""
    lines = [
        f"Inference pipeline: {len(steps)} containers on every instance; each mini-batch passes through them "
        "in order.",
        "  Environment of each: its container's, the job's over it, the platform's last.",
        "  Port: SAGEMAKER_BIND_TO_PORT in its own container"
        + (" on Docker's bridge network; " if runtime == "docker" else "; ")
        + "a free 127.0.0.1 port instead where containers share the host's network "
        "(the process runtime, Docker's host network).",
    ]
    for step in steps:
        where = f"port {step.port} in its container" if runtime == "docker" else "a free port given at start"
        lines.append(f"  {step.label}: {where}")
        if step.model_dir:
            lines.append(f"    model artifacts {step.model_dir}")
        lines += [f"    {name}={var.value}  [{var.source}]" for name, var in step.environment.items()]
    return lines


def steps_dict(steps: Sequence[PipelineStep]) -> list[dict[str, Any]]:
    """``bte plan --json``'s ``Containers``."""
    return [
        {"Position": s.number, "ContainerHostname": s.hostname, "Image": s.image, "ModelDir": s.model_dir,
         "CodeDir": s.code_dir, "Port": s.port,
         "Environment": {k: {"Value": v.value, "Source": v.source} for k, v in s.environment.items()}}
        for s in steps
    ]
