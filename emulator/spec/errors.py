"""The errors a user of bte can meet, one class per code.

BteError                      base of everything bte raises on purpose
├── ServiceError              errors the SageMaker service itself answers with (code = AWS code)
│   ├── ValidationException
│   ├── ResourceNotFound
│   ├── ResourceInUse
│   └── ResourceLimitExceeded
└── (each room adds its own subclasses: data/errors.py, storage/errors.py,
     runtime/errors.py, engine/errors.py)

Every room translates the errors of the libraries it wraps (docker, botocore,
requests) into one of these at its boundary, chaining the cause.
"""

from __future__ import annotations


class BteError(Exception):
    """Base of every error bte raises on purpose; ``str(err)`` is the user-facing text."""

    code: str = "BteError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServiceError(BteError):
    """An error the real service answers with; ``code`` is its AWS error code."""

    code = "InternalFailure"
    http_status = 400


class ValidationException(ServiceError):
    code = "ValidationException"


class ResourceNotFound(ServiceError):
    code = "ResourceNotFound"


class ResourceInUse(ServiceError):
    code = "ResourceInUse"


class ResourceLimitExceeded(ServiceError):
    code = "ResourceLimitExceeded"


class RequestValidationError(ValidationException):
    """A request that breaks one or more constraints of the service model.

    ``str(err)`` is the service's text (``N validation errors detected: <m1>; <m2>``);
    ``violations`` keeps each message on its own, for a CLI that lists them one per line.
    """

    def __init__(self, violations: list[str] | tuple[str, ...]) -> None:
        count = len(violations)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{count} validation {noun} detected: " + "; ".join(violations))
        self.violations: tuple[str, ...] = tuple(violations)


class UnknownOperation(ServiceError):
    """An operation name the SageMaker service model does not have (AWS answers this code)."""

    code = "UnknownOperationException"
