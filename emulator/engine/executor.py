"""The executor seam: who carries out the lifecycle's instance instructions, and where.

The runner (engine/runner.py) owns the lifecycle, the plan, the events and the outputs;
an executor owns the instances. Two implementations, one interface:

- ``LocalExecutor`` (engine/local_executor.py, the default): a thread per instance in
  bte's own process;
- ``RayExecutor`` (engine/ray_executor.py, ``pip install 'bte[ray]'``): an actor per
  instance on a Ray cluster, each running the same ``InstanceHost`` on its node.

Every method returns at once; what happens is reported through the ``HostSink`` the
executor was given (the runner), as events and lifecycle stimuli, from any thread.
"""

from __future__ import annotations

from typing import Protocol

from emulator.engine.log_streams import InstanceStreams
from emulator.storage import InputObject

EXECUTORS = ("local", "ray")


class Executor(Protocol):
    name: str

    def start(self, instances: dict[str, InstanceStreams]) -> None:
        """Start each instance (by name, with its log streams); each ends in InstanceHealthy
        or InstanceFailed (or, on Ray, InstanceLost)."""

    def run_files(self, instance: str, files: tuple[InputObject, ...], started_at: float) -> None:
        """Run ``files`` on a healthy instance; InstanceIdle once they are all done. A second
        call (files moved from a lost instance) runs after the first."""

    def cancel(self) -> None:
        """Stop feeding mini-batches (StopTransformJob, a failure elsewhere)."""

    def stop_all(self) -> None:
        """Stop every instance, leaving nothing behind; InstancesStopped once done."""

    def close(self) -> None:
        """The job is over (its outputs settled or undone): let go of what is left."""
