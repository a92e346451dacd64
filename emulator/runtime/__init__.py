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

import importlib
from typing import TYPE_CHECKING, Any

from emulator.runtime.base import Instance, InstanceSpec, LogCallback, Runtime, free_port, prefixed_writer
from emulator.runtime.errors import DockerUnavailable, ImageNotFound, InstanceError, InstanceStartFailed

# The runtimes themselves are imported on first use: `bte run` begins its instances before
# the engine's imports (emulator/runtime/forked_start.py), and a local-process job never
# needs the Docker side.
_LAZY = {
    "INSTANCE_LABEL": "docker_engine", "JOB_LABEL": "docker_engine", "LIVE_CONTAINERS": "docker_engine",
    "cleanup_containers": "docker_engine", "docker_available": "docker_engine",
    "NETWORK_ENV": "docker_runtime", "DockerInstance": "docker_runtime", "DockerRuntime": "docker_runtime",
    "network_mode": "docker_runtime",
    "INSTANCE_TYPES": "instance_types", "InstanceResources": "instance_types", "Limits": "instance_types",
    "instance_resources": "instance_types", "resolve_limits": "instance_types",
    "PipelineInstance": "pipeline", "PipelineRuntime": "pipeline", "StepSpec": "pipeline",
    "ProcessInstance": "process_runtime", "ProcessRuntime": "process_runtime",
    "kill_live_processes": "process_runtime", "live_process_ids": "process_runtime",
}

if TYPE_CHECKING:
    from emulator.runtime.docker_engine import (
        INSTANCE_LABEL,
        JOB_LABEL,
        LIVE_CONTAINERS,
        cleanup_containers,
        docker_available,
    )
    from emulator.runtime.docker_runtime import NETWORK_ENV, DockerInstance, DockerRuntime, network_mode
    from emulator.runtime.instance_types import INSTANCE_TYPES, InstanceResources, Limits, instance_resources, resolve_limits
    from emulator.runtime.pipeline import PipelineInstance, PipelineRuntime, StepSpec
    from emulator.runtime.process_runtime import ProcessInstance, ProcessRuntime, kill_live_processes, live_process_ids


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


RUNTIMES = ("docker", "process")


def get_runtime(name: str, **options: Any) -> Runtime:
    """The runtime called ``name`` ("docker" or "process"), built with ``options``.

    docker: ``client``, ``network`` ("bridge" | "host"; default $BTE_DOCKER_NETWORK, else
    bridge), ``stop_timeout``, ``log_capacity``. process: ``command``, ``stop_timeout``,
    ``log_capacity``. Raises DockerUnavailable when "docker" is asked for and no engine answers.
    """
    if name == "docker":
        from emulator.runtime.docker_runtime import DockerRuntime

        return DockerRuntime(**options)
    if name == "process":
        from emulator.runtime.process_runtime import ProcessRuntime

        return ProcessRuntime(**options)
    raise InstanceError(f"unknown runtime {name!r}: use one of {', '.join(RUNTIMES)}")


def kill_all_instances() -> None:
    """Kill every instance this process started, at once, with no time to shut down: what a
    second Ctrl-C asks for. Their ``stop()`` then finds nothing left to stop."""
    from emulator.runtime.docker_engine import LIVE_CONTAINERS
    from emulator.runtime.process_runtime import kill_live_processes

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
