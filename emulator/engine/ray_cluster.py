"""bte's connection to a Ray cluster, and what an instance asks of it (``bte[ray]``).

One connection per process (Ray's own rule): the first job chooses the address, and a
later job that names another is refused. With no address, bte starts a Ray of its own
on this machine, with the dashboard and usage statistics off and logical resources
enough for the job's instances (docs/scale-out.md).

An instance asks its node for its InstanceType's vCPUs as Ray CPUs and its memory as
Ray ``memory``: both are logical, for placement only. A request that no node of the
cluster can ever meet is refused at submission, naming the resource, rather than left
waiting; ``scale_to_fit`` asks for the largest node's share instead.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from emulator.engine.errors import EngineError
from emulator.runtime import instance_resources

GiB = 1024**3
LOCAL_OBJECT_STORE_BYTES = 100 * 1024**2
_lock = threading.Lock()
_address: str | None = None  # what this process is connected to ("" for a Ray of its own)


class RayUnavailable(EngineError):
    """Ray is not installed, or its cluster cannot be reached or cannot hold an instance."""

    code = "RayUnavailable"


@dataclass(frozen=True)
class InstanceRequest:
    """What one instance asks of a node: Ray CPUs and bytes of Ray memory."""

    cpus: float
    memory_bytes: int

    def words(self) -> str:
        return f"{self.cpus:g} CPU(s) and {self.memory_bytes / GiB:.4g} GiB of memory"


def ray_module() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable("the Ray executor needs Ray: pip install 'bte[ray]'") from exc
    return ray


def request_for(instance_type: str) -> InstanceRequest:
    """The Ray resources of one instance of ``instance_type`` (a type bte does not know asks 1 CPU)."""
    resources = instance_resources(instance_type)
    if resources is None:
        return InstanceRequest(1, 0)
    return InstanceRequest(resources.vcpus, resources.memory_bytes)


def connect(address: str | None, request: InstanceRequest, count: int) -> None:
    """Connect this process to the cluster at ``address`` (None: start a local Ray sized
    for ``count`` instances of ``request``); idempotent for the same address."""
    global _address
    ray = ray_module()
    wanted = address or ""
    with _lock:
        if ray.is_initialized():
            if _address is not None and _address != wanted:
                raise RayUnavailable(
                    f"this bte process is connected to the Ray cluster at {_address or 'of its own'}; "
                    f"it cannot also use {wanted or 'a Ray of its own'} (one cluster per process: start another bte)")
            return
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        kwargs: dict[str, Any] = dict(log_to_driver=False, logging_level="WARNING", configure_logging=False)
        try:
            if address:
                ray.init(address=address, **kwargs)
            else:
                # Logical resources: the instances share this machine, as on the local executor.
                # No input or output crosses Ray's object store: a small one is enough.
                ray.init(num_cpus=max(1, int(request.cpus * count)), include_dashboard=False,
                         object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                         _memory=max(request.memory_bytes * count, GiB), **kwargs)
        except Exception as exc:  # ConnectionError, RuntimeError, ValueError: all mean "no cluster"
            where = f"at {address}" if address else "on this machine"
            raise RayUnavailable(f"could not connect to a Ray cluster {where}: {exc.__class__.__name__}: {exc} "
                                 "(is `ray start --head` running there? see docs/scale-out.md)") from exc
        _address = wanted


def fit(request: InstanceRequest, instance_type: str, scale_to_fit: bool = False) -> InstanceRequest:
    """``request`` if some live node can hold it; else the largest node's share with
    ``scale_to_fit``; else RayUnavailable naming the resource no node has enough of."""
    ray = ray_module()
    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    cpus = max((float(r.get("CPU", 0)) for r in nodes), default=0.0)
    memory = max((int(r.get("memory", 0)) for r in nodes), default=0)
    if any(float(r.get("CPU", 0)) >= request.cpus and int(r.get("memory", 0)) >= request.memory_bytes for r in nodes):
        return request
    if scale_to_fit and cpus > 0:
        return InstanceRequest(min(request.cpus, cpus), min(request.memory_bytes, memory))
    short = []
    if cpus < request.cpus:
        short.append(f"CPUs: {instance_type} asks for {request.cpus:g}, the largest node has {cpus:g}")
    if memory < request.memory_bytes:
        short.append(f"memory: {instance_type} asks for {request.memory_bytes / GiB:.4g} GiB, "
                     f"the largest node has {memory / GiB:.4g} GiB")
    if not short:
        short.append(f"no one node has both {request.words()}")
    raise RayUnavailable(
        f"no node of the Ray cluster can hold one {instance_type} instance ({'; '.join(short)}). Use a smaller "
        "InstanceType, give the nodes more (ray start --num-cpus N --memory BYTES), or scale the request "
        "down to the largest node with --ray-scale-to-fit"
    )


def node_of_this_process() -> tuple[str, str]:
    """(IP address, node id) of the Ray node this process runs on."""
    ray = ray_module()
    return ray.util.get_node_ip_address(), ray.get_runtime_context().get_node_id()


def disconnect() -> None:
    """Leave the cluster (a Ray of bte's own stops with it); a later job may connect anew."""
    global _address
    with _lock:
        ray = ray_module()
        if ray.is_initialized():
            ray.shutdown()
        _address = None
