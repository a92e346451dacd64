"""Instance types: how much CPU and memory a SageMaker instance type stands for, and
what a local container gets when it asks for one.

The table lists vCPUs and memory (GiB) of the ``ml.*`` types CreateTransformJob accepts
(the botocore enum ``TransformInstanceType``), as AWS publishes them for the matching EC2
types. GPUs and accelerators are not emulated: a ``ml.g5.xlarge`` runs on the CPU with
4 vCPUs and 16 GiB.

A local machine is usually smaller than the instance it stands in for, so the limits are
capped to what the Docker host has (``resolve_limits``): on a 2-core laptop an
``ml.m5.4xlarge`` (16 vCPU / 64 GiB) gets 2 CPUs and the laptop's memory, and the cap is
reported as a note. A type the request validator accepts but this table does not know
(AWS adds types over time) runs without limits, also with a note.
"""

from __future__ import annotations

from dataclasses import dataclass

GiB = 1024**3

# Size suffix -> vCPUs, for the families whose sizes follow EC2's regular scheme.
_SIZE_VCPUS: dict[str, int] = {
    "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "9xlarge": 36,
    "10xlarge": 40, "12xlarge": 48, "16xlarge": 64, "18xlarge": 72, "24xlarge": 96,
    "32xlarge": 128, "48xlarge": 192,
}

# Family -> (GiB of memory per vCPU, sizes offered as transform instances).
_REGULAR_FAMILIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "m4": (4, ("xlarge", "2xlarge", "4xlarge", "10xlarge", "16xlarge")),
    "c5": (2, ("xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge")),
    "m5": (4, ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge")),
    "m6i": (4, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge")),
    "c6i": (2, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge")),
    "r6i": (8, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge")),
    "m7i": (4, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")),
    "c7i": (2, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")),
    "r7i": (8, ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")),
    "g4dn": (4, ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
    "g5": (4, ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")),
    "g6": (4, ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")),
    "g6e": (8, ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")),
    "inf2": (4, ("xlarge", "8xlarge", "24xlarge", "48xlarge")),
    "trn1": (4, ("2xlarge", "32xlarge")),
}

# Types whose memory does not follow a per-vCPU ratio, written out: (vCPUs, GiB).
_IRREGULAR: dict[str, tuple[int, float]] = {
    "ml.c4.xlarge": (4, 7.5), "ml.c4.2xlarge": (8, 15), "ml.c4.4xlarge": (16, 30), "ml.c4.8xlarge": (36, 60),
    "ml.p2.xlarge": (4, 61), "ml.p2.8xlarge": (32, 488), "ml.p2.16xlarge": (64, 732),
    "ml.p3.2xlarge": (8, 61), "ml.p3.8xlarge": (32, 244), "ml.p3.16xlarge": (64, 488),
}


@dataclass(frozen=True)
class InstanceResources:
    """What an instance type stands for on AWS."""

    instance_type: str
    vcpus: int
    memory_gib: float

    @property
    def memory_bytes(self) -> int:
        return int(self.memory_gib * GiB)


def _build_table() -> dict[str, InstanceResources]:
    table: dict[str, InstanceResources] = {}
    for family, (gib_per_vcpu, sizes) in _REGULAR_FAMILIES.items():
        for size in sizes:
            name = f"ml.{family}.{size}"
            vcpus = _SIZE_VCPUS[size]
            table[name] = InstanceResources(name, vcpus, vcpus * gib_per_vcpu)
    for name, (vcpus, gib) in _IRREGULAR.items():
        table[name] = InstanceResources(name, vcpus, gib)
    return table


INSTANCE_TYPES: dict[str, InstanceResources] = _build_table()


def instance_resources(instance_type: str) -> InstanceResources | None:
    """The vCPUs and memory of ``instance_type``, or None for a type this table lacks."""
    return INSTANCE_TYPES.get(instance_type)


@dataclass(frozen=True)
class Limits:
    """The limits a local instance runs under; None means unlimited. ``notes`` say why."""

    cpus: float | None
    memory_bytes: int | None
    notes: tuple[str, ...] = ()

    @property
    def nano_cpus(self) -> int | None:
        return None if self.cpus is None else int(self.cpus * 1e9)


def _fmt_gib(n_bytes: float) -> str:
    return f"{n_bytes / GiB:.4g} GiB"


def resolve_limits(instance_type: str, host_cpus: int | None, host_memory_bytes: int | None) -> Limits:
    """The CPU and memory limits for ``instance_type``, capped to what the host has.

    ``host_cpus``/``host_memory_bytes`` describe the machine the instance runs on (for
    Docker, the engine's host as ``docker info`` reports it); None means unknown, no cap.
    """
    resources = instance_resources(instance_type)
    if resources is None:
        return Limits(None, None, (
            f"instance type {instance_type} is not in bte's table of instance types; "
            "its container runs without CPU or memory limits",
        ))
    cpus: float = resources.vcpus
    memory = resources.memory_bytes
    notes: list[str] = []
    if host_cpus is not None and host_cpus > 0 and cpus > host_cpus:
        notes.append(
            f"{instance_type} has {resources.vcpus} vCPUs but this host has {host_cpus} CPUs; "
            f"the instance gets {host_cpus} CPUs"
        )
        cpus = host_cpus
    if host_memory_bytes is not None and host_memory_bytes > 0 and memory > host_memory_bytes:
        notes.append(
            f"{instance_type} has {_fmt_gib(memory)} of memory but this host has "
            f"{_fmt_gib(host_memory_bytes)}; the instance gets {_fmt_gib(host_memory_bytes)}"
        )
        memory = host_memory_bytes
    return Limits(cpus, memory, tuple(notes))
