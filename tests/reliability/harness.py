"""The fault matrix's building blocks: a row (``Fault``), what a row's scenario gets to work
with (``Case``) and what it gives back (``Outcome``).

A row is data: the fault, what the service does, what bte does, the message a user sees,
the end state and the outputs it must leave. Its ``run`` sets the fault up against real
parts (the echo sample as a process or a container, local folders, the moto S3 server)
and runs the job; tests/reliability/test_matrix.py asserts every row the same way, and
tests/reliability/table.py renders the same rows as docs/reliability.md's table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator import run_transform_job
from emulator.engine import events as ev
from emulator.spec.errors import BteError
from tests.engine.jobs import job_request, model_request

REFUSED = "refused"  # the request or its inputs were refused before any instance started
PING_TIMEOUT_S = 15.0  # matrix rows wait this long for /ping, not 300 s (a loaded CI machine is slow)


@dataclass
class Outcome:
    status: str  # Completed | Failed | Stopped | refused
    text: str  # FailureReason and BteFailureDetail, or the refusal's message
    data_log: list[str] = field(default_factory=list)
    out: Path | None = None  # the local output folder, to check for leftovers
    s3_prefix: tuple[str, str] | None = None  # (bucket, prefix) of an S3 output, to check too
    log: ev.EventLog | None = None

    @property
    def everything_said(self) -> str:
        return "\n".join([self.text, *self.data_log])


@dataclass
class Case:
    """One row's working area: a temporary folder, the runtime, and the S3 server if asked."""

    tmp: Path
    docker_image: str | None = None  # the echo image when the row runs on Docker
    s3: Any = None  # tests.fixtures.s3.S3Server
    bucket: str | None = None

    @property
    def inp(self) -> Path:
        return self.tmp / "in"

    @property
    def out(self) -> Path:
        return self.tmp / "out"

    def write(self, name: str, data: bytes) -> Path:
        path = self.inp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def model(self, env: dict[str, str] | None = None) -> dict[str, Any]:
        """run_transform_job's model arguments: echo as a process, or its image in Docker."""
        if self.docker_image:
            return {"model": model_request("echo", self.docker_image, env), "runtime": "docker",
                    "runtime_options": {"network": "host"}}
        from tests.engine.jobs import SAMPLES

        return {"model": model_request("echo", None, env), "model_dir": str(SAMPLES / "echo"), "runtime": "process"}

    def request(self, name: str, **overrides: Any) -> dict[str, Any]:
        return job_request(name, str(self.inp), str(self.out), **overrides)

    def run(self, request: dict[str, Any], env: dict[str, str] | None = None, **kwargs: Any) -> Outcome:
        """Run ``request`` on echo (with ``env``) to its end; a refusal becomes an Outcome too."""
        kwargs.setdefault("ping_timeout_s", PING_TIMEOUT_S)
        kwargs.setdefault("s3_endpoint_url", self.s3.endpoint_url if self.s3 else None)
        try:
            result = run_transform_job(request, **self.model(env), **kwargs)
        except BteError as exc:
            return Outcome(REFUSED, f"{exc.code}: {exc}", out=self.out)
        lines = [e.line for e in result.log.of(ev.InstanceLog) if e.is_data_log]
        said = " ".join(filter(None, [result.failure_reason, result.run.failure_detail]))  # + BteFailureDetail
        return Outcome(result.status, said, lines, self.out, log=result.log)


@dataclass(frozen=True)
class Fault:
    """One row of the matrix (and of the table in docs/reliability.md)."""

    id: str
    group: str  # container | invocation | bad input | bad request | storage | stop
    fault: str  # what goes wrong
    service: str  # what SageMaker does, or "unknown" and why bte chose what it does
    bte: str  # what bte does: end state and outputs
    message: str  # (part of) what the user reads: asserted in the FailureReason, error or data log
    status: str  # the end state: Completed | Failed | Stopped | refused
    run: Callable[[Case], Outcome] | None = None
    outputs: tuple[str, ...] | None = None  # the output folder's names afterwards (None: not checked)
    check: Callable[[Case, Outcome], None] | None = None  # anything else the row must show
    docker: bool = False  # runs on the Docker runtime
    elsewhere: str | None = None  # the test that covers the row when it lives in another file
    s3: bool = False  # gets the moto S3 server and a fresh bucket


def lines(n: int, width: int = 10) -> bytes:
    return b"".join(b"%d,%s\n" % (i, b"x" * width) for i in range(n))


def job(name: str, env: dict[str, str] | None = None, records: int = 4, request: dict[str, Any] | None = None,
        **kwargs: Any) -> Callable[[Case], Outcome]:
    """A row's run: ``records`` lines in a.csv, the job ``name`` with ``request``'s fields, echo with ``env``."""

    def run(case: Case) -> Outcome:
        case.write("a.csv", lines(records))
        return case.run(case.request(name, **(request or {})), env, **kwargs)

    return run
