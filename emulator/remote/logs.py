"""``bte logs JOB [--follow]``: a job's container log and data log, read the way the
SageMaker SDK reads them (CloudWatch Logs' DescribeLogStreams and GetLogEvents in the
``/aws/sagemaker/TransformJobs`` group, streams named ``JOB/<instance>`` and
``JOB/<instance>/data-log``).

Each line is printed as ``[<stream>] <message>``, the stream name without the job's
prefix. With ``follow``, new lines are printed as they arrive until the job ends
(Completed, Failed or Stopped); then the last lines are read and the job's status is
returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from emulator.remote.connection import Connection, RemoteError
from emulator.remote.jobs import TERMINAL_STATUSES, describe

LOG_GROUP = "/aws/sagemaker/TransformJobs"


@dataclass
class _Stream:
    name: str
    token: str | None = None  # nextForwardToken of the last read


@dataclass
class LogReader:
    """Reads every stream of one job from where it last stopped."""

    conn: Connection
    job_name: str
    streams: dict[str, _Stream] = field(default_factory=dict)

    def discover(self) -> None:
        params: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamNamePrefix": f"{self.job_name}/"}
        while True:
            try:
                page = self.conn.call("logs", "describe_log_streams", **params)
            except RemoteError as exc:
                if "ResourceNotFoundException" in str(exc):
                    return  # no log group yet: the job has written nothing
                raise
            for stream in page.get("logStreams", []):
                name = stream["logStreamName"]
                self.streams.setdefault(name, _Stream(name))
            token = page.get("nextToken")
            if not token or token == params.get("nextToken"):
                return
            params["nextToken"] = token

    def read_new(self) -> list[tuple[int, str, str]]:
        """(timestamp, stream label, message) of every event not read before, oldest first."""
        found: list[tuple[int, str, str]] = []
        for stream in sorted(self.streams.values(), key=lambda s: s.name):
            label = stream.name[len(self.job_name) + 1:]
            while True:
                params: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamName": stream.name,
                                          "startFromHead": True}
                if stream.token:
                    params["nextToken"] = stream.token
                page = self.conn.call("logs", "get_log_events", **params)
                events = page.get("events", [])
                found.extend((e["timestamp"], label, e["message"]) for e in events)
                token = page.get("nextForwardToken")
                unchanged = token == stream.token
                stream.token = token or stream.token
                if not events or unchanged:
                    break
        found.sort(key=lambda item: item[0])
        return found


def print_logs(conn: Connection, job_name: str, write: Callable[[str], None], *, follow: bool = False,
               poll_s: float = 1.0) -> str:
    """Print the job's log lines; with ``follow``, until the job ends. Returns its last status."""
    status = describe(conn, job_name)["TransformJobStatus"]  # a missing job fails here, by name
    reader = LogReader(conn, job_name)
    while True:
        ended = status in TERMINAL_STATUSES
        reader.discover()
        for _, label, message in reader.read_new():
            write(f"[{label}] {message.rstrip(chr(10))}")
        if ended or not follow:
            return str(status)
        time.sleep(poll_s)
        status = describe(conn, job_name)["TransformJobStatus"]
