"""boto3 S3 clients, and the translation of botocore's errors into the room's own.

The client is created the ordinary way, so botocore applies the ecosystem's settings:
AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, ``endpoint_url`` in a profile, AWS_PROFILE, the
standard credential chain, AWS_MAX_ATTEMPTS and friends. An explicit endpoint (bte's
``--s3-endpoint-url``) wins over all of them.

Addressing style: S3-compatible servers (MinIO, Ceph, moto) are usually reached by IP or
plain host name, where virtual-hosted addressing (``bucket.host``) does not resolve. So
when the endpoint in effect is not AWS's own, bte uses path-style addressing, unless the
profile sets ``s3 = addressing_style = ...`` itself, which is then honoured.

Retries: botocore's ``standard`` mode (unless AWS_RETRY_MODE or the profile's
``retry_mode`` chooses another; AWS_MAX_ATTEMPTS is honoured), plus bte's ride-out of an
endpoint that is down for a while (``s3_retry.py``, BTE_S3_OUTAGE_SECONDS).

Clients are cached per endpoint and per AWS_* / BTE_S3_* environment (tests and long-lived
processes that change the environment get a fresh client).
"""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
import botocore.session
from botocore.config import Config

from emulator.storage.errors import (
    AccessDenied,
    EndpointUnreachable,
    KmsNotSupported,
    NoSuchBucket,
    ObjectMissing,
    StorageError,
)
from emulator.storage.s3_retry import OUTAGE_ENV, OutageRetry, outage_seconds

_clients: dict[tuple[str | None, tuple[tuple[str, str], ...]], Any] = {}
_lock = threading.Lock()

_DENIED_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "AllAccessDisabled",
    "403",
    "Forbidden",
}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


def s3_client(endpoint_url: str | None = None) -> Any:
    """The boto3 S3 client for ``endpoint_url`` (None: whatever the AWS settings say)."""
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(("AWS_", "BTE_S3_"))))
    key = (endpoint_url, env)
    with _lock:  # boto3 sessions are not thread-safe; clients are
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _create(endpoint_url)
    return client


def _create(endpoint_url: str | None) -> Any:
    window = outage_seconds()
    try:
        core = botocore.session.Session()
        scoped = core.get_scoped_config()
        user_s3 = scoped.get("s3") or {}
        session = boto3.session.Session(botocore_session=core)
        config = Config()
        if not os.environ.get("AWS_RETRY_MODE") and "retry_mode" not in scoped:
            config = Config(retries={"mode": "standard"})
        client = session.client("s3", endpoint_url=endpoint_url, config=config)
        if "addressing_style" not in user_s3 and not _is_aws(client.meta.endpoint_url):
            config = config.merge(Config(s3={"addressing_style": "path"}))
            client = session.client("s3", endpoint_url=endpoint_url, config=config)
        if window > 0:
            # First, so its delay wins over botocore's own handler (which still counts attempts).
            client.meta.events.register_first("needs-retry.s3", OutageRetry(window, endpoint_of(client)))
    except botocore.exceptions.ProfileNotFound as exc:
        raise AccessDenied(
            f"The AWS profile {exc.kwargs.get('profile')!r} (AWS_PROFILE) is not in ~/.aws/config or "
            "~/.aws/credentials: fix AWS_PROFILE or add the profile.",
        ) from exc
    except (ValueError, botocore.exceptions.BotoCoreError) as exc:
        raise EndpointUnreachable(f"Cannot create an S3 client for endpoint {endpoint_url or '(from AWS settings)'}: {exc}") from exc
    return client


def _is_aws(endpoint_url: str) -> bool:
    host = urlsplit(endpoint_url).hostname or ""
    return host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")


def endpoint_of(client: Any) -> str:
    return str(client.meta.endpoint_url)


def translate(
    exc: Exception,
    *,
    client: Any,
    uri: str,
    bucket: str,
    doing: str,
    permission: str,
    kms_key_id: str | None = None,
) -> StorageError:
    """The room's error for a botocore error met while ``doing`` something with ``uri``.
    The caller raises it ``from exc``."""
    endpoint = endpoint_of(client)
    region = client.meta.region_name
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        text = str(err.get("Message", "")) or code
        if code == "NoSuchBucket":
            return NoSuchBucket(
                f'The bucket "{bucket}" does not exist at the S3 endpoint {endpoint} (region {region}) '
                f'while {doing} "{uri}". Create the bucket, or fix the URI or the endpoint setting '
                "(AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url).",
                uri=uri,
            )
        if code in _MISSING_CODES:
            return ObjectMissing(f'The S3 object "{uri}" does not exist at {endpoint} ({doing}).', uri=uri)
        # SeaweedFS without a KMS answers a write with SSEKMSKeyId with a bare InternalError.
        kms_codes = ("NotImplemented", "KMS.NotFoundException", "KMS.DisabledException", "InternalError")
        if kms_key_id and (code in kms_codes or "KMS" in text):
            return KmsNotSupported(
                f'The S3 endpoint {endpoint} refused server-side encryption with KmsKeyId "{kms_key_id}" '
                f'while {doing} "{uri}": {code}: {text}. Configure KMS on the server, or drop KmsKeyId.',
                uri=uri,
            )
        if code in _DENIED_CODES:
            return AccessDenied(
                f'Access to "{uri}" was refused by the S3 endpoint {endpoint} while {doing}: {code}: {text}. '
                "Check the credentials bte uses (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
                f'~/.aws/credentials) and that they allow {permission} on bucket "{bucket}".',
                uri=uri,
            )
        return StorageError(f'S3 endpoint {endpoint} answered {code}: {text} while {doing} "{uri}".', uri=uri)
    if isinstance(exc, (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError)):
        return AccessDenied(
            f'No AWS credentials were found for {doing} "{uri}": set AWS_ACCESS_KEY_ID and '
            "AWS_SECRET_ACCESS_KEY (for MinIO: its access key and secret key), choose a profile with "
            "AWS_PROFILE, or configure ~/.aws/credentials.",
            uri=uri,
        )
    if isinstance(exc, botocore.exceptions.CredentialRetrievalError):
        return AccessDenied(f'AWS credentials could not be obtained for {doing} "{uri}": {exc}.', uri=uri)
    if isinstance(exc, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
        return EndpointUnreachable(
            f'The S3 endpoint {endpoint} did not answer while {doing} "{uri}": {exc}. bte retried for '
            f"{outage_seconds():g} s ({OUTAGE_ENV}). Check that the server is running and that "
            "AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (or the profile's endpoint_url, or bte's "
            "--s3-endpoint-url) points at it.",
            uri=uri,
        )
    return StorageError(f'S3 error while {doing} "{uri}" at {endpoint}: {exc}', uri=uri)


BOTO_ERRORS: tuple[type[Exception], ...] = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
