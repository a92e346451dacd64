"""S3 and every S3-compatible endpoint (MinIO, Ceph, moto's server), through boto3.

Listing pages through ListObjectsV2 (1,000 keys a page) in the order S3 returns keys,
UTF-8 binary order. Reads stream the GetObject body chunk by chunk; when the connection
drops mid-object, the read resumes where it stopped with a Range request pinned to the
object's ETag (If-Match), so a changed object fails rather than splicing two versions.
Writes are in ``s3_writer.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import botocore.exceptions

from emulator.storage.base import OutputWriter, Storage, StoredObject
from emulator.storage.errors import ManifestError, NoObjectsFound, NoSuchBucket, ObjectMissing, StorageError
from emulator.storage.naming import REPLACED_SUFFIX
from emulator.storage.s3_client import BOTO_ERRORS, endpoint_of, s3_client, translate
from emulator.storage.s3_writer import S3OutputWriter
from emulator.storage.uri import S3Location, parse_uri

READ_RESUMES = 3  # how many times one read may resume after a dropped connection
_STREAM_ERRORS = (
    botocore.exceptions.ResponseStreamingError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.IncompleteReadError,
    botocore.exceptions.ConnectionClosedError,
)


def _loc(uri: str) -> S3Location:
    loc = parse_uri(uri)
    assert isinstance(loc, S3Location), uri
    return loc


def no_objects_message(uri: str, bucket: str, region: str, cause: str = "") -> str:
    """The service's text (reference §2.7), with "the role" read as bte's own credentials."""
    found = f'No S3 objects found under S3 URL "{uri}" given in input data source'
    return (
        f"{found}{': ' + cause if cause else ''}. Please ensure that the bucket exists in the selected "
        f"region ({region}), that objects exist under that S3 prefix, and that the credentials bte uses "
        f'have "s3:ListBucket" permissions on bucket "{bucket}".'
    )


class S3Storage(Storage):
    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url

    @property
    def client(self) -> Any:
        return s3_client(self.endpoint_url)

    def prefix_key(self, uri: str) -> str:
        return _loc(uri).key

    def _object(self, bucket: str, key: str, size: int) -> StoredObject:
        return StoredObject(uri=f"s3://{bucket}/{key}", key=key, size=size, display_name=f"{bucket}/{key}")

    def list_prefix(self, uri: str) -> list[StoredObject]:
        loc = _loc(uri)
        client = self.client
        found: list[StoredObject] = []
        markers = 0
        try:
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=loc.bucket, Prefix=loc.key)
            for page in pages:
                for item in page.get("Contents", []):
                    if item["Key"].endswith("/"):
                        markers += 1  # a folder marker, as the console creates; not an input
                        continue
                    if item["Key"].endswith(REPLACED_SUFFIX):
                        continue  # a running job's kept copy of an output it replaced
                    found.append(self._object(loc.bucket, item["Key"], int(item["Size"])))
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
                cause = f'the bucket "{loc.bucket}" does not exist at the S3 endpoint {endpoint_of(client)}'
                raise NoSuchBucket(
                    no_objects_message(uri, loc.bucket, client.meta.region_name, cause), uri=uri
                ) from exc
            raise translate(exc, client=client, uri=uri, bucket=loc.bucket, doing="listing", permission='"s3:ListBucket"') from exc
        except BOTO_ERRORS as exc:
            raise translate(exc, client=client, uri=uri, bucket=loc.bucket, doing="listing", permission='"s3:ListBucket"') from exc
        if not found:
            cause = f"only {markers} folder marker key(s) ending in '/', which are not inputs" if markers else ""
            raise NoObjectsFound(no_objects_message(uri, loc.bucket, client.meta.region_name, cause), uri=uri)
        found.sort(key=lambda o: o.key)  # S3 lists in this order already; other servers may not
        return found

    def stat(self, uri: str) -> StoredObject | None:
        loc = _loc(uri)
        client = self.client
        try:
            head = client.head_object(Bucket=loc.bucket, Key=loc.key)
        except BOTO_ERRORS as exc:
            err = translate(exc, client=client, uri=uri, bucket=loc.bucket, doing="looking up", permission='"s3:GetObject"')
            if isinstance(err, ObjectMissing):
                return None
            raise err from exc
        return dataclasses.replace(self._object(loc.bucket, loc.key, int(head["ContentLength"])),
                                   version=str(head.get("ETag") or ""))

    def read_small(self, uri: str, limit: int) -> bytes:
        loc = _loc(uri)
        client = self.client
        try:
            resp = client.get_object(Bucket=loc.bucket, Key=loc.key)
            if int(resp["ContentLength"]) > limit:
                resp["Body"].close()
                raise ManifestError(f'Manifest file "{uri}" is larger than {limit} bytes.', uri=uri)
            return bytes(resp["Body"].read())
        except BOTO_ERRORS as exc:
            err = translate(exc, client=client, uri=uri, bucket=loc.bucket, doing="reading the manifest", permission='"s3:GetObject"')
            if isinstance(err, (ObjectMissing, NoSuchBucket)):
                err = ManifestError(f'Manifest file "{uri}" does not exist: {err}', uri=uri)
            raise err from exc

    def open_read(self, uri: str, chunk_size: int) -> Iterator[bytes]:
        loc = _loc(uri)
        resp = self._get(loc, uri, None, None)
        return self._stream(loc, uri, resp, chunk_size)

    def _get(self, loc: S3Location, uri: str, start: int | None, etag: str | None) -> Any:
        client = self.client
        extra: dict[str, str] = {}
        if start is not None:
            extra["Range"] = f"bytes={start}-"
        if etag:
            extra["IfMatch"] = etag
        try:
            return client.get_object(Bucket=loc.bucket, Key=loc.key, **extra)
        except BOTO_ERRORS as exc:
            raise translate(exc, client=client, uri=uri, bucket=loc.bucket, doing="reading", permission='"s3:GetObject"') from exc

    def _stream(self, loc: S3Location, uri: str, resp: Any, chunk_size: int) -> Iterator[bytes]:
        etag = resp.get("ETag")
        size = int(resp["ContentLength"])
        offset = 0
        resumes = 0
        body = resp["Body"]
        try:
            while True:
                try:
                    chunk = body.read(chunk_size)
                except _STREAM_ERRORS as exc:
                    if resumes >= READ_RESUMES or offset >= size:
                        raise StorageError(
                            f'Reading "{uri}" failed at byte {offset} of {size} after {resumes} resumed '
                            f"attempts: {exc}",
                            uri=uri,
                        ) from exc
                    resumes += 1
                    body.close()
                    try:
                        body = self._get(loc, uri, offset, etag)["Body"]
                    except StorageError as err:
                        if "PreconditionFailed" in str(err):
                            raise StorageError(
                                f'Input "{uri}" changed while it was being read (its ETag is no longer '
                                f"{etag}); the read stopped at byte {offset} of {size} rather than join two "
                                "versions. Run the job again once the object stays put.",
                                uri=uri,
                            ) from err
                        raise
                    continue
                if not chunk:
                    return
                offset += len(chunk)
                yield chunk
        finally:
            body.close()

    def open_write(self, uri: str, kms_key_id: str | None, run_id: str | None = None) -> OutputWriter:
        loc = _loc(uri)
        if not loc.key or loc.key.endswith("/"):
            raise StorageError(f'Output URI "{uri}" names no object (it ends in "/").', uri=uri)
        return S3OutputWriter(self.client, loc.bucket, loc.key, uri, kms_key_id, run_id=run_id)

    def delete(self, uri: str) -> None:
        loc = _loc(uri)
        client = self.client
        try:
            client.delete_object(Bucket=loc.bucket, Key=loc.key)
        except BOTO_ERRORS as exc:
            err = translate(exc, client=client, uri=uri, bucket=loc.bucket, doing="deleting", permission='"s3:DeleteObject"')
            if not isinstance(err, ObjectMissing):
                raise err from exc

    def check_output(self, uri: str) -> None:
        loc = _loc(uri)
        client = self.client
        try:
            client.head_bucket(Bucket=loc.bucket)
        except BOTO_ERRORS as exc:
            err = translate(exc, client=client, uri=uri, bucket=loc.bucket, doing="checking the output path", permission='"s3:ListBucket" and "s3:PutObject"')
            if isinstance(err, ObjectMissing):  # HeadBucket answers a bare 404
                err = NoSuchBucket(
                    f'The output bucket "{loc.bucket}" of S3OutputPath "{uri}" does not exist at the S3 '
                    f"endpoint {endpoint_of(client)}. Create it, or fix S3OutputPath or the endpoint setting.",
                    uri=uri,
                )
            raise err from exc
