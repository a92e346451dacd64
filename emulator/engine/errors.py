"""Engine errors: what ends a file or a job, as the user reads it."""

from __future__ import annotations

from emulator.spec.errors import BteError


class EngineError(BteError):
    code = "EngineError"


class InvocationFailed(EngineError):
    """A mini-batch failed after its retries; ``str()`` is the FailureReason text."""

    code = "InvocationFailed"


class ModelSourceError(EngineError):
    """The model's image, directory or artifacts cannot be used as given."""

    code = "ModelSourceError"
