"""Pure planning: everything that can be decided before a container starts.

Given a validated job spec, the model's environment and the input listing, the plan
says which instance gets which file, what environment each container sees and where
every variable came from, which execution parameters are already fixed (and which wait
for the container's /execution-parameters), and the warnings a user should read first.
``bte plan`` prints it; the engine executes it and never re-derives it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from emulator.spec import TransformJobSpec
from emulator.storage import InputObject

if TYPE_CHECKING:
    from emulator.planning.steps import PipelineStep

DEFAULT_MAX_CONCURRENT_TRANSFORMS = 1
DEFAULT_BATCH_STRATEGY = "MultiRecord"
DEFAULT_MAX_PAYLOAD_IN_MB = 6
MB = 1 << 20  # the service's "MB" for MaxPayloadInMB; AWS's own code reads it as MiB

_STRATEGY_NAMES = {
    "MULTI_RECORD": "MultiRecord",
    "MULTIRECORD": "MultiRecord",
    "SINGLE_RECORD": "SingleRecord",
    "SINGLERECORD": "SingleRecord",
}
_ENV_STRATEGY = {"MultiRecord": "MULTI_RECORD", "SingleRecord": "SINGLE_RECORD"}


@dataclass(frozen=True)
class EnvVar:
    value: str
    source: str  # "model" | "job" | "platform"


@dataclass(frozen=True)
class ExecutionParameters:
    max_concurrent_transforms: int
    batch_strategy: str  # "MultiRecord" | "SingleRecord"
    max_payload_in_mb: int  # 0 means no limit
    sources: Mapping[str, str]  # parameter name -> "request" | "container" | "default"

    @property
    def max_payload_bytes(self) -> int | None:
        return None if self.max_payload_in_mb == 0 else self.max_payload_in_mb * MB

    def data_log_line(self) -> str:
        """The line the service prints once per instance in its data log."""
        return (
            f"MaxConcurrentTransforms={self.max_concurrent_transforms}, "
            f"MaxPayloadInMB={self.max_payload_in_mb}, "
            f"BatchStrategy={_ENV_STRATEGY[self.batch_strategy]}"
        )


@dataclass(frozen=True)
class PlanWarning:
    code: str
    source: str
    message: str
    fix: str


@dataclass(frozen=True)
class Plan:
    spec: TransformJobSpec
    inputs: tuple[InputObject, ...]
    assignments: Mapping[str, tuple[InputObject, ...]]  # instance name -> its files, in order
    environment: Mapping[str, EnvVar]
    parameters: ExecutionParameters  # before the container is asked
    warnings: tuple[PlanWarning, ...] = field(default=())
    steps: tuple[PipelineStep, ...] = field(default=())  # an inference pipeline's containers

    @property
    def instance_names(self) -> tuple[str, ...]:
        return tuple(self.assignments)

    def container_environment(self) -> dict[str, str]:
        return {name: var.value for name, var in self.environment.items()}


def instance_names(job_name: str, count: int) -> tuple[str, ...]:
    return tuple(f"{job_name}-{i}" for i in range(1, count + 1))


def assign_files(inputs: Sequence[InputObject], names: Sequence[str]) -> dict[str, tuple[InputObject, ...]]:
    """Deal files to instances in listing order, round-robin: a file is never split.

    The service's own assignment is not documented (reference 6.5); round-robin over the
    key-sorted listing is bte's choice: deterministic, and it spreads equal-sized files
    evenly. With one file and N instances, N-1 instances stay idle, as on the service.
    """
    buckets: dict[str, list[InputObject]] = {name: [] for name in names}
    for i, obj in enumerate(inputs):
        buckets[names[i % len(names)]].append(obj)
    return {name: tuple(objs) for name, objs in buckets.items()}


def merge_environment(model_env: Mapping[str, str], spec: TransformJobSpec) -> dict[str, EnvVar]:
    """The container's environment: the model's, then the job's over it, then the platform's.

    Job over model is what SageMaker's SDK does (its local mode, and Framework
    transformers merging client-side). The platform's variables come last so that
    SAGEMAKER_BATCH and the three parameter variables are exactly what the platform sets;
    the three are set only where the request set the field (reference section 5).
    """
    env: dict[str, EnvVar] = {k: EnvVar(v, "model") for k, v in model_env.items()}
    env.update({k: EnvVar(v, "job") for k, v in spec.environment.items()})
    env["SAGEMAKER_BATCH"] = EnvVar("true", "platform")
    if spec.max_payload_in_mb is not None:
        env["SAGEMAKER_MAX_PAYLOAD_IN_MB"] = EnvVar(str(spec.max_payload_in_mb), "platform")
    if spec.batch_strategy is not None:
        env["SAGEMAKER_BATCH_STRATEGY"] = EnvVar(_ENV_STRATEGY[spec.batch_strategy], "platform")
    if spec.max_concurrent_transforms is not None:
        env["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"] = EnvVar(str(spec.max_concurrent_transforms), "platform")
    return env


def parse_container_parameters(body: bytes | str | None) -> tuple[dict[str, Any], list[str]]:
    """Read a /execution-parameters answer; returns (usable values, problems ignored).

    Both spellings of the strategy are accepted ("MULTI_RECORD" and "MultiRecord"). An
    unreadable answer or a bad value is ignored, with a note, and the default is used:
    the service's handling of bad answers is unknown (reference section 4), and a job
    that runs with defaults is the friendlier choice.
    """
    if body is None:
        return {}, []
    try:
        data = json.loads(body)
    except ValueError:
        return {}, [f"/execution-parameters answered something that is not JSON: {str(body)[:80]!r}"]
    if not isinstance(data, dict):
        return {}, [f"/execution-parameters answered {type(data).__name__}, not a JSON object"]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key in ("MaxConcurrentTransforms", "MaxPayloadInMB"):
        if key in data:
            value = data[key]
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                if key == "MaxConcurrentTransforms" and value == 0:
                    problems.append("/execution-parameters MaxConcurrentTransforms=0 ignored")
                else:
                    values[key] = value
            else:
                problems.append(f"/execution-parameters {key}={value!r} ignored: not a non-negative integer")
    if "BatchStrategy" in data:
        name = _STRATEGY_NAMES.get(str(data["BatchStrategy"]).upper())
        if name:
            values["BatchStrategy"] = name
        else:
            problems.append(f"/execution-parameters BatchStrategy={data['BatchStrategy']!r} ignored")
    return values, problems


def resolve_execution_parameters(
    spec: TransformJobSpec, container: Mapping[str, Any] | None = None
) -> ExecutionParameters:
    """Per parameter: the request, else the container's answer, else the default (reference 4)."""
    container = container or {}
    sources: dict[str, str] = {}

    def pick(name: str, requested: Any, default: Any) -> Any:
        if requested is not None:
            sources[name] = "request"
            return requested
        if name in container:
            sources[name] = "container"
            return container[name]
        sources[name] = "default"
        return default

    return ExecutionParameters(
        max_concurrent_transforms=pick(
            "MaxConcurrentTransforms", spec.max_concurrent_transforms, DEFAULT_MAX_CONCURRENT_TRANSFORMS
        ),
        batch_strategy=pick("BatchStrategy", spec.batch_strategy, DEFAULT_BATCH_STRATEGY),
        max_payload_in_mb=pick("MaxPayloadInMB", spec.max_payload_in_mb, DEFAULT_MAX_PAYLOAD_IN_MB),
        sources=sources,
    )


def make_plan(
    spec: TransformJobSpec,
    model_env: Mapping[str, str],
    inputs: Sequence[InputObject],
    *,
    heads: Mapping[str, bytes] | None = None,
) -> Plan:
    """Build the plan. ``heads`` maps an input's URI to its first stored bytes, for the
    input lint; ``bte plan`` then scans whole inputs (emulator/planning)."""
    from emulator import data

    names = instance_names(spec.name, spec.instance_count)
    params = resolve_execution_parameters(spec)
    warnings: list[PlanWarning] = []
    for w in data.lint_job(
        max_concurrent_transforms=spec.max_concurrent_transforms, max_payload_in_mb=spec.max_payload_in_mb
    ):
        warnings.append(PlanWarning(w.code, w.source, w.message, w.fix))
    for obj in inputs:
        head = (heads or {}).get(obj.uri)
        if head is None:
            continue
        for w in data.lint_head(
            head,
            compression_type=spec.compression_type,
            source=obj.display_name,
            split_type=spec.split_type,
            content_type=spec.content_type,
            max_payload_bytes=params.max_payload_bytes,
            stored_size=obj.size,
        ):
            warnings.append(PlanWarning(w.code, w.source, w.message, w.fix))
    if len(inputs) < len(names):
        idle = len(names) - len(inputs)
        warnings.append(
            PlanWarning(
                "idle-instances",
                spec.input_uri,
                f"{len(inputs)} input file(s) for {len(names)} instances: {idle} instance(s) will sit idle, "
                "because a file is never split across instances",
                "split the input into at least InstanceCount files, or lower InstanceCount",
            )
        )
    return Plan(
        spec=spec,
        inputs=tuple(inputs),
        assignments=assign_files(inputs, names),
        environment=merge_environment(model_env, spec),
        parameters=params,
        warnings=tuple(warnings),
    )
