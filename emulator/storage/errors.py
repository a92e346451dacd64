"""The storage room's errors, one class per cause a user can act on.

BteError
└── StorageError                   anything storage raises on purpose
    ├── EndpointUnreachable        the S3 endpoint did not answer (refused, timed out, dropped)
    ├── ObjectMissing              an object that was named (manifest entry, open) is not there
    ├── KmsNotSupported            the endpoint refused server-side encryption with KmsKeyId
    ├── CorruptInput               a Gzip input that does not decompress
    ├── OutputWriteFailed          an output could not be committed (nothing was left behind)
    └── (also ValidationException, answered synchronously by the service before a job runs)
        ├── UnsupportedUri         a scheme other than s3://, file:// or a plain path
        ├── UnsupportedDataSource  AugmentedManifestFile, or an unknown S3DataType
        ├── NoObjectsFound         a prefix that matches nothing
        ├── NoSuchBucket           the bucket does not exist
        ├── AccessDenied           credentials missing, unknown or without permission
        ├── ManifestError          a ManifestFile that is missing or not in the service's format
        └── OutputNameCollision    two inputs that would write the same output object

Every botocore/OS error is translated at the boundary (``s3.py``, ``local.py``) into
one of these, with the original chained as ``__cause__``. Messages name the URI and
the endpoint, the cause, and what to change.
"""

from __future__ import annotations

from emulator.spec.errors import BteError, ValidationException


class StorageError(BteError):
    """Base of the storage room's errors; ``uri`` is the object or prefix concerned."""

    code = "StorageError"

    def __init__(self, message: str, *, uri: str = "") -> None:
        super().__init__(message)
        self.uri = uri


class EndpointUnreachable(StorageError):
    code = "EndpointUnreachable"


class ObjectMissing(StorageError):
    code = "ObjectMissing"


class KmsNotSupported(StorageError):
    code = "KmsNotSupported"


class CorruptInput(StorageError):
    code = "CorruptInput"


class OutputWriteFailed(StorageError):
    code = "OutputWriteFailed"


# The classes below are also ValidationException: the service answers them before a job
# exists. ``code`` is set on each so StorageError's code does not shadow the AWS one.


class UnsupportedUri(StorageError, ValidationException):
    code = "ValidationException"


class UnsupportedDataSource(StorageError, ValidationException):
    code = "ValidationException"


class NoObjectsFound(StorageError, ValidationException):
    code = "ValidationException"


class NoSuchBucket(StorageError, ValidationException):
    code = "ValidationException"


class AccessDenied(StorageError, ValidationException):
    code = "ValidationException"


class ManifestError(StorageError, ValidationException):
    code = "ValidationException"


class OutputNameCollision(StorageError, ValidationException):
    code = "ValidationException"
