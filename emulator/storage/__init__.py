"""Storage: where a transform job's bytes live, local folders or any S3-compatible store.

    inputs = list_inputs("s3://bucket/prefix", "S3Prefix")      # raises before any container starts
    for obj in inputs:
        with open_output(output_uri("s3://bucket/out", obj)) as out:   # <out>/<relative>.out
            for chunk in open_input(obj, compression="Gzip"):
                out.write(transform(chunk))                       # committed on clean exit only

Backends are picked by URI scheme (``registry.py``): ``s3://`` through boto3, plain paths
and ``file://`` on the local disk, with the same prefix, order and naming rules.
"""

from __future__ import annotations

from emulator.storage.base import InputObject, OutputWriter, Storage, StoredObject
from emulator.storage.compression import gunzip
from emulator.storage.errors import (
    AccessDenied,
    CorruptInput,
    EndpointUnreachable,
    KmsNotSupported,
    ManifestError,
    NoObjectsFound,
    NoSuchBucket,
    ObjectMissing,
    OutputNameCollision,
    OutputWriteFailed,
    StorageError,
    UnsupportedDataSource,
    UnsupportedUri,
)
from emulator.storage.registry import storage_for
from emulator.storage.sources import (
    check_output_path,
    delete_output,
    list_inputs,
    open_input,
    open_output,
    output_uri,
)

__all__ = [
    "AccessDenied",
    "CorruptInput",
    "EndpointUnreachable",
    "InputObject",
    "KmsNotSupported",
    "ManifestError",
    "NoObjectsFound",
    "NoSuchBucket",
    "ObjectMissing",
    "OutputNameCollision",
    "OutputWriteFailed",
    "OutputWriter",
    "Storage",
    "StorageError",
    "StoredObject",
    "UnsupportedDataSource",
    "UnsupportedUri",
    "check_output_path",
    "delete_output",
    "gunzip",
    "list_inputs",
    "open_input",
    "open_output",
    "output_uri",
    "storage_for",
]
