"""The Python API: run or plan a transform job in one call.

    from emulator import run_transform_job
    result = run_transform_job("job.json", model_dir="sample_models/review-sentiment")
    result.status, result.outputs, result.describe()

Local paths and ``file://`` URIs are accepted in S3Uri, S3OutputPath and ModelDataUrl
here (bte's extension); the SageMaker-compatible API refuses them as the service does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from emulator import runtime as runtimes
from emulator import spec as specs
from emulator import storage
from emulator.engine.errors import ModelSourceError
from emulator.engine.model_source import ModelSource, resolve_model_source
from emulator.engine.pipeline_source import choose_pipeline_runtime
from emulator.plan import Plan, PlanWarning, instance_names, make_plan, merge_environment
from emulator.runtime.forked_start import ForkedHeadStart, ForkedStarter
from emulator.runtime.head_start import HeadStart

# The engine, the planning checks and the run record are imported where they are used:
# `bte run` starts its instances (HeadStart) before it needs them, and their imports are
# part of what runs while the container starts.
if TYPE_CHECKING:
    from emulator.engine import events as ev
    from emulator.engine.runner import JobRunner, RunResult

LINT_HEAD_BYTES = 64 * 1024
LINT_MAX_FILES = 50

JobRequest = Mapping[str, Any] | str | os.PathLike[str]


def load_request(request: JobRequest) -> dict[str, Any]:
    """A request as a dict, from a dict or a JSON file's path."""
    if isinstance(request, Mapping):
        return dict(request)
    path = Path(request)
    try:
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded
    except OSError as exc:
        raise specs.ValidationException(f"cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise specs.ValidationException(f"{path} is not valid JSON: {exc}") from exc


@dataclass
class PreparedJob:
    spec: specs.TransformJobSpec
    model: specs.ModelSpec | None
    source: ModelSource
    plan: Plan
    runtime_name: str
    head_start: HeadStart | ForkedHeadStart | None = None  # instances begun while the plan was made (prepare's start_early)


@dataclass
class TransformJobResult:
    spec: specs.TransformJobSpec
    plan: Plan
    run: RunResult
    creation_time: dt.datetime
    log: ev.EventLog  # every event of the run, in order

    @property
    def status(self) -> str:
        return self.run.status

    @property
    def failure_reason(self) -> str | None:
        """The service's FailureReason text (engine/errors.py)."""
        return self.run.failure_reason

    @property
    def failure_detail(self) -> str | None:
        """bte's explanation of the failure: the file, mini-batch, instance, what to change."""
        return self.run.failure_detail

    @property
    def outputs(self) -> dict[str, str]:
        return dict(self.run.outputs)

    def describe(self) -> dict[str, Any]:
        """The DescribeTransformJob-shaped result, filled as the service fills it (only the
        service's fields: bte's explanation of a failure is :attr:`failure_detail`)."""

        def stamp(t: float | None) -> dt.datetime | None:
            return dt.datetime.fromtimestamp(t, dt.timezone.utc) if t else None

        return specs.describe_transform_job(
            self.spec,
            arn=specs.transform_job_arn(self.spec.name),
            status=self.run.status,
            creation_time=self.creation_time,
            start_time=stamp(self.run.start_time),
            end_time=stamp(self.run.end_time),
            failure_reason=self.run.failure_reason,
        )


def choose_runtime(source: ModelSource, requested: str | None, image_given: bool = False) -> str:
    if source.steps:
        return choose_pipeline_runtime(source, requested)
    if requested:
        return requested
    if source.image and (source.code_dir is None or image_given):
        return "docker"
    if source.code_dir is not None:
        return "process"
    raise ModelSourceError(
        "no model to run: give a model directory with inference.py (--model-dir), an image "
        "(--image), or a CreateModel request (--model) whose PrimaryContainer names an Image"
    )


def prepare(
    job: JobRequest,
    *,
    model: JobRequest | None = None,
    model_dir: str | os.PathLike[str] | None = None,
    image: str | None = None,
    runtime: str | None = None,
    s3_endpoint_url: str | None = None,
    start_early: bool = False,
    starter: ForkedStarter | None = None,
) -> PreparedJob:
    """Validate, resolve the model, list the inputs and plan: everything before a container.

    ``start_early``: once the request is valid, the model resolved and the inputs listed and
    the output location checked (every error a user must see before a container starts),
    begin the instances of a single-container job on their runtime, so that they start and
    load the model while the inputs are surveyed and the plan made; ``run_prepared`` then
    takes them over. Whoever does not call ``run_prepared`` must call
    ``prepared.head_start.discard()``."""
    spec = specs.parse_transform_job(load_request(job), allow_local_uris=True)
    model_spec = None
    if model is not None:
        model_spec = specs.parse_model(load_request(model), allow_local_uris=True)
        specs.check_model_for_batch(model_spec)  # what CreateTransformJob refuses, refused here too
        if model_spec.name != spec.model_name:
            raise specs.ValidationException(
                f"Could not find model \"{specs.model_arn(spec.model_name)}\". bte: the job names ModelName "
                f"'{spec.model_name}' but the model request given is '{model_spec.name}'"
            )
    source = resolve_model_source(model_spec, model_dir=model_dir, image=image, s3_endpoint_url=s3_endpoint_url)
    runtime_name = choose_runtime(source, runtime, image_given=image is not None)
    if runtime_name == "process" and source.code_dir is None and not source.steps:
        raise ModelSourceError(
            "the local-process runtime needs inference.py: pass --model-dir DIR, or a ModelDataUrl whose "
            "model.tar.gz holds code/inference.py; or run the image with --runtime docker"
        )
    if runtime_name == "docker" and not source.image and not source.steps:
        raise ModelSourceError("the docker runtime needs an image: pass --image TAG or a model with an Image")
    inputs = storage.list_inputs(spec.input_uri, spec.data_type, s3_endpoint_url=s3_endpoint_url)
    storage.check_output_path(spec.output_path, s3_endpoint_url=s3_endpoint_url)
    head_start = None
    if start_early and not source.steps:
        head_start = begin_instances(spec, source, runtime_name, starter)
    elif starter is not None:
        starter.cancel()
    try:
        plan = _plan(spec, source, inputs, s3_endpoint_url)
    except BaseException:
        if head_start is not None:
            head_start.discard()
        raise
    return PreparedJob(spec, model_spec, source, plan, runtime_name, head_start)


def begin_instances(spec: specs.TransformJobSpec, source: ModelSource, runtime_name: str,
                    starter: ForkedStarter | None = None) -> HeadStart | ForkedHeadStart:
    """Start a single-container job's instances now, as the engine would start them: by
    ``starter`` (a child forked before bte's imports, emulator/runtime/forked_start.py) on
    Docker, else by threads here."""
    environment = {name: var.value for name, var in merge_environment(source.environment, spec).items()}
    instances = [
        runtimes.InstanceSpec(name=name, job_name=spec.name, environment=environment, instance_type=spec.instance_type,
                              image=source.image, model_dir=source.model_dir, code_dir=source.code_dir)
        for name in instance_names(spec.name, spec.instance_count)
    ]
    if starter is not None and runtime_name == "docker":
        starter.start(instances)
        return ForkedHeadStart(starter, lambda: runtimes.get_runtime("docker"))
    if starter is not None:
        starter.cancel()
    head_start = HeadStart(runtimes.get_runtime(runtime_name))
    head_start.begin(instances)
    return head_start


def _plan(spec: specs.TransformJobSpec, source: ModelSource, inputs: list[storage.InputObject],
          s3_endpoint_url: str | None) -> Plan:
    from emulator.planning import checks
    from emulator.planning.steps import plan_steps
    from emulator.planning.survey import output_warnings

    heads = {obj.uri: _head(obj, s3_endpoint_url) for obj in inputs[:LINT_MAX_FILES]}
    plan = make_plan(spec, source.environment, inputs, heads=heads)
    plan = dataclasses.replace(plan, steps=plan_steps(spec, source.steps), warnings=plan.warnings + tuple(
        PlanWarning(w.code, w.source, w.message, w.fix)
        for w in output_warnings(plan, s3_endpoint_url) + checks.data_processing(spec)[1]))
    return plan


def _head(obj: storage.InputObject, s3_endpoint_url: str | None) -> bytes:
    head = b""
    chunks = storage.open_input(obj, chunk_size=LINT_HEAD_BYTES, s3_endpoint_url=s3_endpoint_url)
    try:
        for chunk in chunks:
            head += chunk
            if len(head) >= LINT_HEAD_BYTES:
                break
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    return head[:LINT_HEAD_BYTES]


def plan_transform_job(job: JobRequest, **kwargs: Any) -> Plan:
    return prepare(job, **kwargs).plan


def run_transform_job(
    job: JobRequest,
    *,
    model: JobRequest | None = None,
    model_dir: str | os.PathLike[str] | None = None,
    image: str | None = None,
    runtime: str | None = None,
    s3_endpoint_url: str | None = None,
    **run_kwargs: Any,
) -> TransformJobResult:
    """Run a transform job to its end and return the result (never raises for a Failed job)."""
    creation_time = dt.datetime.now(dt.timezone.utc)
    prepared = prepare(
        job, model=model, model_dir=model_dir, image=image, runtime=runtime, s3_endpoint_url=s3_endpoint_url
    )
    return run_prepared(prepared, s3_endpoint_url=s3_endpoint_url, creation_time=creation_time, **run_kwargs)


def ray_executor(prepared: PreparedJob, runtime_options: dict[str, Any], steps: list[runtimes.StepSpec],
                 address: str | None, scale_to_fit: bool, placement_timeout_s: float) -> Callable[..., Any]:
    """The Ray executor for ``prepared``, its cluster connected and its instance's fit checked."""
    from emulator.engine import ray_cluster
    from emulator.engine.ray_actor import RuntimeRecipe
    from emulator.engine.ray_executor import RayExecutor

    spec = prepared.spec
    request = ray_cluster.request_for(spec.instance_type)
    ray_cluster.connect(address, request, spec.instance_count)
    request = ray_cluster.fit(request, spec.instance_type, scale_to_fit)
    recipe = RuntimeRecipe(prepared.runtime_name, runtime_options, tuple(steps))
    return functools.partial(RayExecutor, recipe=recipe, request=request, placement_timeout_s=placement_timeout_s)


def _clean_up_killed_runs(job: str, rt: runtimes.Runtime | None, stream: ev.EventStream, s3_endpoint_url: str | None) -> None:
    """What earlier runs of this job left when their bte was killed: their instances, their
    temporaries, their open uploads (emulator/leftovers.py). Never fails the run."""
    from emulator import leftovers
    from emulator.engine import events as ev

    client = getattr(rt, "client", None)
    try:
        cleaned = leftovers.clean_up_instances(job, docker=client is not None, docker_client=client)
        runs = leftovers.clean_up_runs(job, s3_endpoint_url=s3_endpoint_url)
    except Exception as exc:  # cleanup of someone else's leftovers must not stop this run
        stream.emit(ev.InstanceLog(job=job, instance="bte", line=f"cleanup of earlier killed runs failed: {exc}"))
        return
    for line in cleaned.lines() + runs.lines():
        stream.emit(ev.InstanceLog(job=job, instance="bte", line=f"earlier killed run: {line}"))


def run_prepared(
    prepared: PreparedJob,
    *,
    s3_endpoint_url: str | None = None,
    ping_timeout_s: float | None = None,
    listeners: Iterable[Callable[[ev.Event], None]] = (),
    runtime_options: Mapping[str, Any] | None = None,
    on_runner: Callable[[JobRunner], None] | None = None,
    creation_time: dt.datetime | None = None,
    run_id: str | None = None,
    execution_parameters_timeout_s: float | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    ray_scale_to_fit: bool = False,
) -> TransformJobResult:
    """Run a job that :func:`prepare` validated and planned.

    ``run_id`` (default: a new one) names the run in the job store and its folder in the state
    directory, where ``run.json`` records what it owns, and its temporary objects.
    ``executor``: "local" (threads in this process) or "ray" (an actor per instance on the
    Ray cluster at ``ray_address``, or on a Ray of its own; docs/scale-out.md)."""
    from emulator.engine import events as ev
    from emulator.engine.runner import JobRunner, RunOptions
    from emulator.store import run_record
    from emulator.store.paths import new_run_id

    creation_time = creation_time or dt.datetime.now(dt.timezone.utc)
    spec = prepared.spec
    stream = ev.EventStream(spec.name)
    log = ev.EventLog()
    stream.subscribe(log)
    for listener in listeners:
        stream.subscribe(listener)
    options = RunOptions(s3_endpoint_url=s3_endpoint_url, run_id=run_id or new_run_id())
    if ping_timeout_s is not None:
        options.ping_timeout_s = ping_timeout_s
    if execution_parameters_timeout_s is not None:
        options.execution_parameters_timeout_s = execution_parameters_timeout_s
    steps = [runtimes.StepSpec(s.label, s.hostname, s.image, s.model_dir, s.code_dir, s.container_environment())
             for s in prepared.plan.steps]
    head_start = prepared.head_start
    if head_start is not None and (runtime_options or executor != "local"):  # begun here, on the default runtime: not what is asked for
        head_start.discard()
        head_start = None
    rt: runtimes.Runtime | None = None
    make_executor = None
    if executor == "ray":  # refused here, before anything starts, if no node can hold an instance
        make_executor = ray_executor(prepared, dict(runtime_options or {}), steps, ray_address, ray_scale_to_fit,
                                     options.ping_timeout_s)
    elif executor != "local":
        raise specs.ValidationException(f"unknown executor {executor!r}: use local or ray")
    else:
        rt = head_start.runtime() if head_start else runtimes.get_runtime(prepared.runtime_name, **dict(runtime_options or {}))
    # Recorded before anything starts, so a cleanup elsewhere always sees this run as live.
    record = run_record.begin(spec.name, options.run_id, spec.output_path, s3_endpoint_url)
    options.on_upload = lambda uri, upload_id: run_record.note_upload(record, uri, upload_id)
    _clean_up_killed_runs(spec.name, rt, stream, s3_endpoint_url)
    if rt is not None and steps:
        rt = runtimes.PipelineRuntime(rt, steps)
    runner = JobRunner(
        prepared.plan, rt, prepared.source.model_dir, prepared.source.code_dir, prepared.source.image,
        stream, options, executor=make_executor,
    )
    if on_runner:
        on_runner(runner)
    result: RunResult | None = None
    try:
        result = runner.run()
    finally:
        # The engine connection (about 10 sockets on the Docker runtime) goes with the run,
        # not with garbage collection: a long-lived server runs many jobs.
        if head_start is not None:
            head_start.discard()  # begun but never asked for (the run stopped or failed first)
        close = getattr(rt, "close", None)
        if close is not None:
            close()
        run_record.end(record, result.status if result else "Failed")
    return TransformJobResult(prepared.spec, prepared.plan, result, creation_time, log)
