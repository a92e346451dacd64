"""Where the model runs: start an instance, get its URL and logs, stop it.

    runtime = get_runtime("docker")            # or "process"
    instance = runtime.start(InstanceSpec(name="my-job-1", job_name="my-job",
                                          environment={...}, image="my-image:latest",
                                          model_dir="/tmp/model"), on_log=print_line)
    ... GET {instance.url}/ping until 200, POST {instance.url}/invocations ...
    instance.stop()

See docs/runtime.md.
"""

from __future__ import annotations

from typing import Any

from emulator.runtime.base import Instance, InstanceSpec, LogCallback, Runtime, free_port, prefixed_writer
from emulator.runtime.docker_engine import (
    INSTANCE_LABEL,
    JOB_LABEL,
    LIVE_CONTAINERS,
    cleanup_containers,
    docker_available,
)
from emulator.runtime.docker_runtime import NETWORK_ENV, DockerInstance, DockerRuntime, network_mode
from emulator.runtime.errors import DockerUnavailable, ImageNotFound, InstanceError, InstanceStartFailed
from emulator.runtime.instance_types import INSTANCE_TYPES, InstanceResources, Limits, instance_resources, resolve_limits
from emulator.runtime.pipeline import PipelineInstance, PipelineRuntime, StepSpec
from emulator.runtime.process_runtime import ProcessInstance, ProcessRuntime, kill_live_processes, live_process_ids

RUNTIMES = ("docker", "process")


def get_runtime(name: str, **options: Any) -> Runtime:
    """The runtime called ``name`` ("docker" or "process"), built with ``options``.

    docker: ``client``, ``network`` ("bridge" | "host"; default $BTE_DOCKER_NETWORK, else
    bridge), ``stop_timeout``, ``log_capacity``. process: ``command``, ``stop_timeout``,
    ``log_capacity``. Raises DockerUnavailable when "docker" is asked for and no engine answers.
    """
    if name == "docker":
        return DockerRuntime(**options)
    if name == "process":
        return ProcessRuntime(**options)
    raise InstanceError(f"unknown runtime {name!r}: use one of {', '.join(RUNTIMES)}")


def kill_all_instances() -> None:
    """Kill every instance this process started, at once, with no time to shut down: what a
    second Ctrl-C asks for. Their ``stop()`` then finds nothing left to stop."""
    LIVE_CONTAINERS.remove_all()
    kill_live_processes()


__all__ = [
    "INSTANCE_LABEL",
    "INSTANCE_TYPES",
    "JOB_LABEL",
    "NETWORK_ENV",
    "RUNTIMES",
    "DockerInstance",
    "DockerRuntime",
    "DockerUnavailable",
    "ImageNotFound",
    "Instance",
    "InstanceError",
    "InstanceResources",
    "InstanceSpec",
    "InstanceStartFailed",
    "Limits",
    "LogCallback",
    "PipelineInstance",
    "PipelineRuntime",
    "ProcessInstance",
    "ProcessRuntime",
    "Runtime",
    "StepSpec",
    "cleanup_containers",
    "docker_available",
    "free_port",
    "get_runtime",
    "instance_resources",
    "kill_all_instances",
    "live_process_ids",
    "network_mode",
    "prefixed_writer",
    "resolve_limits",
]
