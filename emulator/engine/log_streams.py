"""Log streams named and split as the service's, under ``/aws/sagemaker/TransformJobs``.

The developer guide's table of CloudWatch log streams gives a transform job, per instance,

    <TransformJobName>/<instance id>-<epoch timestamp>            the container's own log
    <TransformJobName>/<instance id>-<epoch timestamp>/data-log   the platform's lines about it

The instance id has EC2's form (``i-`` and 17 hex digits), derived here from the run and
the instance's name so that a run's names are stable; the epoch is the second the
instance started. Both are bte's choice of value in the service's form; the layout and
the data-log line format are the service's (docs/engine.md, "Log streams").
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from emulator.engine.events import InstanceLog, data_log_line


def instance_id(run_id: str, instance: str) -> str:
    """An EC2-style id for one instance of one run: ``i-`` and 17 hex digits."""
    return "i-" + hashlib.sha256(f"{run_id}/{instance}".encode()).hexdigest()[:17]


@dataclass(frozen=True)
class InstanceStreams:
    """The two log streams of one instance, and the events that write to them."""

    job: str
    instance: str
    instance_id: str
    epoch: int

    @classmethod
    def start(cls, job: str, instance: str, run_id: str, when: float | None = None) -> InstanceStreams:
        return cls(job, instance, instance_id(run_id, instance), int(time.time() if when is None else when))

    @property
    def container(self) -> str:
        return f"{self.job}/{self.instance_id}-{self.epoch}"

    @property
    def data_log(self) -> str:
        return f"{self.container}/data-log"

    def log(self, line: str) -> InstanceLog:
        """A line of the instance's container log."""
        return InstanceLog(job=self.job, instance=self.instance, line=line, stream=self.container)

    def container_log(self, container: str, line: str) -> InstanceLog:
        """A line of one container of an inference pipeline (``<instance>/<ContainerHostname>``):
        a stream of its own, ``<instance's stream>/<ContainerHostname>`` (docs/pipelines.md)."""
        return InstanceLog(job=self.job, instance=container, line=line,
                           stream=f"{self.container}/{container.rsplit('/', 1)[-1]}")

    def data(self, text: str, tag: str = "sagemaker logs") -> InstanceLog:
        """A line of the instance's data log, in the service's format."""
        now = time.time()
        return InstanceLog(job=self.job, instance=self.instance, line=data_log_line(text, now, tag),
                           stream=self.data_log, time=now)
