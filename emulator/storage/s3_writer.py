"""Writing one S3 object so that it exists whole or not at all.

Bytes are buffered up to one part (8 MiB). An output that stays under one part is stored
with a single PutObject at commit; a bigger one starts a multipart upload when the first
part is full, uploads each part as it fills, and completes the upload only at commit. An
abort (or any failure, the commit's own included) sends AbortMultipartUpload, so a failed
job leaves neither an object that looks finished nor an open upload. Memory stays at
about one part per writer whatever the output's size.

Before the object appears, an object already at the key is copied (server-side) to
``.<name>.<run id>.bte-replaced`` beside it; ``undo()`` copies it back if the key still
holds this commit's ETag, ``settle()`` deletes the copy (see ``OutputWriter``).

A process killed outright (SIGKILL, power loss) cannot abort; S3's lifecycle rule
AbortIncompleteMultipartUpload cleans those up (docs/storage.md), as on the service.
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from emulator.storage.base import OutputWriter
from emulator.storage.errors import OutputWriteFailed, StorageError
from emulator.storage.naming import REPLACED_SUFFIX
from emulator.storage.s3_client import BOTO_ERRORS, translate

PART_SIZE = 8 << 20  # S3's minimum part size is 5 MiB (all parts but the last)
MIN_PART_SIZE = 5 << 20


class S3OutputWriter(OutputWriter):
    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        uri: str,
        kms_key_id: str | None = None,
        *,
        part_size: int = PART_SIZE,
        run_id: str | None = None,
    ) -> None:
        super().__init__(uri, run_id)
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size {part_size} is below S3's minimum of {MIN_PART_SIZE}")
        self.client = client
        self.bucket = bucket
        self.key = key
        self.kms_key_id = kms_key_id
        self.part_size = part_size
        self.upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._buffer = bytearray()
        folder, _, name = key.rpartition("/")
        self._kept_key = f"{folder}/" * bool(folder) + f".{name}.{self.run_id}{REPLACED_SUFFIX}"
        self._kept = False
        self._etag: str | None = None

    @property
    def _sse(self) -> dict[str, str]:
        if not self.kms_key_id:
            return {}
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}

    @property
    def _checksum(self) -> dict[str, str]:
        # As s3transfer does: with botocore's default request_checksum_calculation
        # ("when_supported") the upload declares CRC32 and every part carries and echoes
        # one; with "when_required" (AWS_REQUEST_CHECKSUM_CALCULATION, for S3-compatible
        # servers that reject checksums) no checksum is sent at all.
        if getattr(self.client.meta.config, "request_checksum_calculation", None) == "when_supported":
            return {"ChecksumAlgorithm": "CRC32"}
        return {}

    def _fail(self, exc: Exception, doing: str) -> StorageError:
        return translate(
            exc,
            client=self.client,
            uri=self.uri,
            bucket=self.bucket,
            doing=doing,
            permission='"s3:PutObject"',
            kms_key_id=self.kms_key_id,
        )

    def _write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= self.part_size:
            part = bytes(self._buffer[: self.part_size])
            del self._buffer[: self.part_size]
            self._upload_part(part)

    def _upload_part(self, data: bytes) -> None:
        try:
            if self.upload_id is None:
                resp = self.client.create_multipart_upload(
                    Bucket=self.bucket, Key=self.key, **self._sse, **self._checksum
                )
                self.upload_id = resp["UploadId"]
                if self.on_upload is not None:
                    self.on_upload(self.uri, resp["UploadId"])
            number = len(self._parts) + 1
            resp = self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=data,
                **self._checksum,
            )
        except BOTO_ERRORS as exc:
            err = self._fail(exc, f"uploading part {len(self._parts) + 1} of")
            self.abort()
            raise err from exc
        part: dict[str, Any] = {"PartNumber": number, "ETag": resp["ETag"]}
        if self._checksum and "ChecksumCRC32" in resp:
            part["ChecksumCRC32"] = resp["ChecksumCRC32"]  # CompleteMultipartUpload requires it
        self._parts.append(part)

    def _commit(self) -> None:
        try:
            self._keep_existing()
            if self.upload_id is None:
                resp = self.client.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self._buffer), **self._sse)
                self._buffer.clear()
                self._etag = resp.get("ETag")
                return
        except BOTO_ERRORS as exc:
            self._drop_kept()
            raise self._fail(exc, "storing") from exc
        if self._buffer:
            self._upload_part(bytes(self._buffer))  # the last part may be smaller than 5 MiB
            self._buffer.clear()
        try:
            resp = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self._parts},
            )
            self._etag = resp.get("ETag")
        except BOTO_ERRORS as exc:
            self._drop_kept()
            raise self._fail(exc, "completing the multipart upload of") from exc

    def _head_etag(self, key: str) -> str | None:
        try:
            return str(self.client.head_object(Bucket=self.bucket, Key=key)["ETag"])
        except botocore.exceptions.ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _keep_existing(self) -> None:
        if self._head_etag(self.key) is None:
            return
        # client.copy is s3transfer's managed copy: multipart for objects over 5 GiB.
        self.client.copy({"Bucket": self.bucket, "Key": self.key}, self.bucket, self._kept_key, ExtraArgs=self._sse or None)
        self._kept = True

    def _drop_kept(self) -> None:
        if self._kept:
            self._kept = False
            self.client.delete_object(Bucket=self.bucket, Key=self._kept_key)

    def _undo(self) -> None:
        try:
            if self._etag is not None and self._head_etag(self.key) == self._etag:
                if self._kept:
                    self.client.copy(
                        {"Bucket": self.bucket, "Key": self._kept_key}, self.bucket, self.key, ExtraArgs=self._sse or None
                    )
                else:
                    self.client.delete_object(Bucket=self.bucket, Key=self.key)
            self._drop_kept()  # another run wrote the key since: its object stays
        except BOTO_ERRORS as exc:
            raise self._fail(exc, "taking back the output of a stopped run at") from exc

    def _settle(self) -> None:
        try:
            self._drop_kept()
        except BOTO_ERRORS as exc:
            raise self._fail(exc, "removing the kept copy of what was replaced at") from exc

    def _abort(self) -> None:
        self._buffer.clear()
        if self.upload_id is None:
            return
        upload_id, self.upload_id = self.upload_id, None
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
        except BOTO_ERRORS as exc:
            raise OutputWriteFailed(
                f'Could not abort the multipart upload {upload_id} of "{self.uri}": {exc}. Nothing was '
                "completed, but the upload's parts stay stored until aborted (aws s3api "
                "abort-multipart-upload) or removed by an AbortIncompleteMultipartUpload lifecycle rule.",
                uri=self.uri,
            ) from exc
