"""The platform's calls that an inference pipeline asks of every container: /ping before
the first mini-batch, /execution-parameters, and which container died.

A single-container instance is a pipeline of one here (its label is empty), so the
runner has one code path. How bte combines the containers' /execution-parameters is its
own choice (the service does not document it; docs/pipelines.md): every container is
asked, and each parameter takes the most restrictive answer, since every mini-batch
passes through every container: the fewest MaxConcurrentTransforms, the smallest
MaxPayloadInMB (0, no limit, counts as the largest), SingleRecord over MultiRecord.
"""

from __future__ import annotations

from typing import Any

from emulator.engine.container_client import ask_execution_parameters, ping_once
from emulator.plan import parse_container_parameters
from emulator.runtime import Instance, PipelineInstance

Part = tuple[str, Instance]  # (" container 2 of 3 (…)" or "" for a single container, its instance)


def parts(instance: Instance) -> tuple[Part, ...]:
    """The containers of an instance, each with the words that name it after the instance's name."""
    if isinstance(instance, PipelineInstance):
        return tuple((f" {label}", step) for label, step in zip(instance.labels, instance.steps))
    return (("", instance),)


def targets(instance: Instance) -> tuple[tuple[str, str], ...]:
    """(URL, label) of each container of a pipeline, in order; () for a single container."""
    if isinstance(instance, PipelineInstance):
        return tuple((step.url, label) for label, step in zip(instance.labels, instance.steps))
    return ()


def dead_part(instance: Instance) -> Part | None:
    """The first container that is no longer running, if any."""
    return next((part for part in parts(instance) if not part[1].is_alive()), None)


class HealthWatch:
    """Pings every container until each has answered 200 once: the service starts sending as
    soon as /ping answers 200, and a pipeline's every container must have answered."""

    def __init__(self, instance: Instance) -> None:
        # (who, container, its last /ping status: None when nothing answered)
        self.pending: list[tuple[str, Instance, int | None]] = [(who, part, None) for who, part in parts(instance)]

    def poll(self) -> bool:
        """Ping the containers not yet healthy; True once none is left."""
        self.pending = [(who, part, status) for who, part, _ in self.pending
                        if (status := ping_once(part.url)) != 200]
        return not self.pending


def ask_all_execution_parameters(instance: Instance, timeout_s: float) -> tuple[dict[str, Any], list[str]]:
    """The usable values of the containers' /execution-parameters answers, combined (see the
    module docstring), and the data-log lines about answers not used, each naming its container."""
    combined: dict[str, Any] = {}
    problems: list[str] = []
    for who, part in parts(instance):
        asked = ask_execution_parameters(part.url, timeout_s)
        values, found = parse_container_parameters(asked.body)
        found = ([asked.unused] if asked.unused else []) + found
        problems += [f"{who.strip()}: {problem}" if who else problem for problem in found]
        for key, value in values.items():
            if key not in combined:
                combined[key] = value
            elif key == "BatchStrategy":
                combined[key] = "SingleRecord" if "SingleRecord" in (value, combined[key]) else value
            elif key == "MaxPayloadInMB":
                combined[key] = min((value, combined[key]), key=lambda mb: mb or float("inf"))
            else:
                combined[key] = min(value, combined[key])
    return combined, problems
