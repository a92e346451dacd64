"""Engine errors and failures: what ends a file or a job, as the user reads it.

Every failure has two texts (docs/engine.md, "Failures"):

- ``reason``: the FailureReason, exactly the service's text where it is known
  (reference section 3) and the service's form (``ClientError: ...`` /
  ``AlgorithmError: ...``) where it is not; nothing of bte's in it, so a test that
  compares FailureReason with the service's text passes on bte;
- ``detail``: bte's explanation (the file, the mini-batch, the retries, the instance,
  what to change), shown on the terminal, in the job's log and store, and as
  ``BteFailureDetail`` in ``bte run --json``; never in the API's DescribeTransformJob.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.spec.errors import BteError

CLIENT_ERROR = "ClientError: See job logs for more information"
ALGORITHM_ERROR = "AlgorithmError: See job logs for more information"
PING_FAILURE = (
    "AlgorithmError: Model container failed to respond to ping. "
    "Please ensure /ping endpoint is implemented and responds with an HTTP 200 status code"
)
INTERNAL_ERROR = "InternalServerError: We encountered an internal error.  Please try again."  # two spaces, as sent


@dataclass(frozen=True)
class Failure:
    """Why a file or a job failed: the service's FailureReason and bte's explanation."""

    reason: str
    detail: str


class EngineError(BteError):
    code = "EngineError"


class InvocationFailed(EngineError):
    """A mini-batch failed after its retries; ``str()`` is bte's explanation, ``reason``
    the service's FailureReason text for it."""

    code = "InvocationFailed"

    def __init__(self, detail: str, reason: str = ALGORITHM_ERROR) -> None:
        super().__init__(detail)
        self.reason = reason


class ModelSourceError(EngineError):
    """The model's image, directory or artifacts cannot be used as given."""

    code = "ModelSourceError"


def failure_of(exc: BaseException, detail: str | None = None) -> Failure:
    """The Failure for an exception that ended a file: an invocation's own reason; the
    user's input, settings or storage (any other BteError) as ClientError; anything
    unexpected as the service's internal error, its type named only in the detail."""
    if isinstance(exc, InvocationFailed):
        reason = exc.reason
    elif isinstance(exc, BteError):
        reason = CLIENT_ERROR
    else:
        reason = INTERNAL_ERROR
    if detail is None:
        detail = str(exc) if isinstance(exc, BteError) else f"{exc.__class__.__name__}: {exc}"
    return Failure(reason, detail)
