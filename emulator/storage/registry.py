"""Which backend serves a URI, by scheme (as distributed's comm registry picks a transport)."""

from __future__ import annotations

from collections.abc import Callable

from emulator.storage.base import Storage
from emulator.storage.local import LocalStorage
from emulator.storage.uri import scheme_of


def _s3(endpoint: str | None) -> Storage:
    # boto3 takes about half a second to import: a job on local folders never pays for it.
    from emulator.storage.s3 import S3Storage

    return S3Storage(endpoint)


BACKENDS: dict[str, Callable[[str | None], Storage]] = {
    "file": lambda _endpoint: LocalStorage(),
    "s3": _s3,
}


def storage_for(uri: str, s3_endpoint_url: str | None = None) -> Storage:
    """The backend for ``uri``; ``s3_endpoint_url`` overrides the AWS settings for s3:// URIs."""
    return BACKENDS[scheme_of(uri)](s3_endpoint_url)
