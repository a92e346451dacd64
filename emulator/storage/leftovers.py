"""What a killed run left in its output location, and removing it.

A run that ends (Completed, Failed, Stopped) removes its own temporaries. A run whose
process was killed outright (SIGKILL, a crash of the machine) cannot; what it may leave:

- local: ``.<name>.<run id>.<random>.bte-partial`` (an output being written) and
  ``.<name>.<run id>.bte-replaced`` (the kept copy of an output its commit replaced);
- S3: ``.<name>.<run id>.bte-replaced`` objects, and the multipart uploads it had begun.

Names carrying the run id are this run's beyond doubt; so are the uploads the run noted
as it began them (emulator/store/run_record.py): nothing of another run is ever touched,
even one that is writing the same prefix now. A killed run is treated as a Failed one:
the outputs it committed stay, and the kept copies go.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from emulator.storage.local import PARTIAL_SUFFIX, LocalStorage
from emulator.storage.naming import REPLACED_SUFFIX
from emulator.storage.registry import storage_for
from emulator.storage.uri import S3Location, local_path, parse_uri


def is_run_leftover(name: str, run_id: str) -> bool:
    """Whether a file or key's last segment is a temporary of run ``run_id``."""
    return name.startswith(".") and f".{run_id}." in name and name.endswith((PARTIAL_SUFFIX, REPLACED_SUFFIX))


def remove_run_leftovers(
    output_path: str,
    run_id: str,
    *,
    uploads: Iterable[tuple[str, str]] = (),
    s3_endpoint_url: str | None = None,
) -> list[str]:
    """Remove the temporaries of the dead run ``run_id`` under ``output_path`` (its
    S3OutputPath) and abort ``uploads`` ((output URI, upload id) pairs it began; one that
    was completed or aborted already is skipped). Returns what was removed, one line each."""
    backend = storage_for(output_path, s3_endpoint_url)
    if isinstance(backend, LocalStorage):
        return _local(output_path, run_id)
    return _s3(getattr(backend, "client"), output_path, run_id, uploads)


def _local(output_path: str, run_id: str) -> list[str]:
    folder = local_path(output_path).rstrip("/") or "/"
    removed: list[str] = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if is_run_leftover(name, run_id):
                path = os.path.join(root, name)
                LocalStorage().delete(path)
                removed.append(path)
    return removed


def _s3(client: Any, output_path: str, run_id: str, uploads: Iterable[tuple[str, str]]) -> list[str]:
    # botocore only here: every `bte run` imports this module, few ever reach S3
    import botocore.exceptions

    from emulator.storage.s3_client import BOTO_ERRORS, translate

    loc = _s3_location(output_path)
    prefix = loc.key.rstrip("/") + "/" if loc.key else ""
    removed: list[str] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=loc.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if is_run_leftover(item["Key"].rpartition("/")[2], run_id):
                    client.delete_object(Bucket=loc.bucket, Key=item["Key"])
                    removed.append(f"s3://{loc.bucket}/{item['Key']}")
        for uri, upload_id in uploads:
            target = _s3_location(uri)
            if not _still_open(client, target, upload_id):
                continue  # SeaweedFS answers an abort of a completed upload with success
            try:
                client.abort_multipart_upload(Bucket=target.bucket, Key=target.key, UploadId=upload_id)
            except botocore.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "NoSuchUpload":
                    continue  # completed or aborted before the run was killed
                raise
            removed.append(f"{uri} (multipart upload {upload_id} aborted)")
    except BOTO_ERRORS as exc:
        raise translate(exc, client=client, uri=output_path, bucket=loc.bucket, doing="cleaning up after a killed run in",
                        permission='"s3:ListBucket", "s3:DeleteObject", "s3:AbortMultipartUpload"') from exc
    return removed


def _still_open(client: Any, target: S3Location, upload_id: str) -> bool:
    pages = client.get_paginator("list_multipart_uploads").paginate(Bucket=target.bucket, Prefix=target.key)
    return any(u["UploadId"] == upload_id and u["Key"] == target.key for page in pages for u in page.get("Uploads", []))


def _s3_location(uri: str) -> S3Location:
    loc = parse_uri(uri)
    assert isinstance(loc, S3Location)
    return loc
