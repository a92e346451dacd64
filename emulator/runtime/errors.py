"""Errors of the runtime room: where a model instance runs.

BteError                         (emulator.spec.errors)
└── InstanceError                something went wrong with a model instance
    ├── DockerUnavailable        no Docker engine answers (or the SDK is missing)
    ├── ImageNotFound            the image is not built locally; bte never pulls
    └── InstanceStartFailed      the container or process could not be started

Docker SDK errors and OSErrors are translated into these at the room's boundary, with
the original chained as ``__cause__``; none escapes under its own type.
"""

from __future__ import annotations

from emulator.spec.errors import BteError


class InstanceError(BteError):
    """Base of every error the runtime room raises; ``instance`` names the instance, if any."""

    code = "InstanceError"

    def __init__(self, message: str, *, instance: str | None = None) -> None:
        super().__init__(message)
        self.instance = instance


class DockerUnavailable(InstanceError):
    code = "DockerUnavailable"


class ImageNotFound(InstanceError):
    code = "ImageNotFound"

    def __init__(self, message: str, *, image: str, instance: str | None = None) -> None:
        super().__init__(message, instance=instance)
        self.image = image


class InstanceStartFailed(InstanceError):
    code = "InstanceStartFailed"
