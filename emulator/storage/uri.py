"""Parsing the URIs storage accepts: ``s3://bucket/key``, ``file:///abs/path`` and plain paths.

S3 keys are taken verbatim (no percent-decoding: the service's S3Uri is a raw key, and a
``?`` or ``#`` in it is part of the key). ``file://`` URIs are percent-decoded, as RFC 8089
says; plain paths are made absolute against the current directory, ``~`` expanded. A
trailing "/" is kept on both, because it changes what a raw string prefix matches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote, unquote

from emulator.storage.errors import UnsupportedUri


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class LocalLocation:
    path: str  # absolute; a trailing "/" is preserved

    @property
    def uri(self) -> str:
        return file_uri(self.path)


Location = S3Location | LocalLocation


def scheme_of(uri: str) -> str:
    """"s3" or "file" (plain paths count as "file"); UnsupportedUri for anything else."""
    head, sep, _ = uri.partition("://")
    if not sep:  # a plain path, or "file:/abs/path"
        return "file"
    scheme = head.lower()
    if scheme in ("s3", "file"):
        return scheme
    raise UnsupportedUri(
        f'Unsupported URI "{uri}": bte reads and writes s3:// URIs (any S3-compatible endpoint), '
        "file:// URIs and plain local paths. Copy the data to one of those first.",
        uri=uri,
    )


def parse_uri(uri: str) -> Location:
    if not uri:
        raise UnsupportedUri("Empty URI: give an s3:// URI, a file:// URI or a local path.", uri=uri)
    scheme = scheme_of(uri)
    if scheme == "s3":
        rest = uri[len("s3://") :]
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise UnsupportedUri(f'S3 URI "{uri}" names no bucket: write it as s3://bucket/prefix.', uri=uri)
        return S3Location(bucket, key)
    return LocalLocation(local_path(uri))


def local_path(uri: str) -> str:
    """The absolute local path a file:// URI or plain path names (trailing "/" kept)."""
    if uri.lower().startswith("file://"):
        rest = uri[len("file://") :]
        host, slash, path = rest.partition("/")
        if host not in ("", "localhost"):
            raise UnsupportedUri(
                f'File URI "{uri}" names host "{host}": only local files are supported '
                '(write file:///absolute/path, with three slashes).',
                uri=uri,
            )
        raw = unquote(slash + path)
    elif uri.lower().startswith("file:"):
        raw = unquote(uri[len("file:") :])
    else:
        raw = uri
    trailing = raw.endswith("/") or raw.endswith(os.sep)
    path = os.path.abspath(os.path.expanduser(raw))
    if trailing and not path.endswith("/"):
        path += "/"
    return path


def file_uri(path: str) -> str:
    """``file://`` URI of an absolute path (percent-encoded, round-trips through parse_uri)."""
    return "file://" + quote(path, safe="/")
