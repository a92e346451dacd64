"""SigV4 verification for ``bte serve --credentials KEY_ID:SECRET``.

The expected signature is computed by botocore's own signer (``SigV4Auth``, or
``S3SigV4Auth`` for S3, which does not normalise the path) from the request as it was
received: the method, the raw path and query string, the headers the client listed in
``SignedHeaders``, the body (or, for S3, the ``X-Amz-Content-SHA256`` value the client
signed) and the ``X-Amz-Date`` timestamp. Whatever the client signed, we sign again with
the one secret the operator gave; a different key id, a different secret or a changed
request gives a different answer.

Presigned URLs (the signature in the query string) are not accepted: the SDKs and the
AWS CLI never use them for the calls bte answers, and refusing is the safe side.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Mapping

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator.spec.errors import BteError

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<headers>[^,\s]+),\s*Signature=(?P<sig>[0-9a-f]+)"
)


@dataclass(frozen=True)
class Credential:
    """The one key pair the server accepts."""

    access_key_id: str
    secret_access_key: str

    @classmethod
    def parse(cls, text: str) -> "Credential":
        """``KEY_ID:SECRET`` as given to ``--credentials``."""
        key, sep, secret = text.partition(":")
        if not sep or not key or not secret:
            raise BteError("--credentials takes KEY_ID:SECRET (both parts non-empty, joined by a colon)")
        return cls(key, secret)


@dataclass(frozen=True)
class SignedRequest:
    """What the verifier needs of a received request. ``headers`` keys are lower case."""

    method: str
    raw_path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes | None  # None: not read (S3, whose payload hash travels in a header)


@dataclass(frozen=True)
class AuthFailure:
    """Why a request is refused: ``kind`` is ``missing``, ``unknown-key`` or ``bad-signature``."""

    kind: str
    service: str
    detail: str


def verify(request: SignedRequest, credential: Credential) -> AuthFailure | None:
    """None when ``request`` is signed with ``credential``; else why not."""
    authorization = request.headers.get("authorization")
    match = _AUTHORIZATION.match(authorization or "")
    if match is None:
        service = "unknown"
        detail = "no SigV4 Authorization header" if not authorization else "an Authorization header that is not SigV4"
        return AuthFailure("missing", service, detail)
    service = match.group("service")
    if not hmac.compare_digest(match.group("key"), credential.access_key_id):
        return AuthFailure("unknown-key", service, f"access key id {match.group('key')!r} is not the server's")
    timestamp = request.headers.get("x-amz-date", "")
    if not timestamp.startswith(match.group("date")):
        return AuthFailure("bad-signature", service, "X-Amz-Date does not match the credential scope's date")
    expected = _signature(request, credential, match, timestamp)
    if not hmac.compare_digest(expected, match.group("sig")):
        return AuthFailure("bad-signature", service, "the signature does not match the server's secret")
    return None


def _signature(request: SignedRequest, credential: Credential, match: re.Match[str], timestamp: str) -> str:
    signed = match.group("headers").split(";")
    headers = {name: request.headers.get(name, "") for name in signed}
    url = f"http://{request.headers.get('host', 'localhost')}{request.raw_path}"
    if request.query_string:
        url += "?" + request.query_string
    aws_request = AWSRequest(method=request.method, url=url, headers=headers, data=request.body or b"")
    aws_request.context["timestamp"] = timestamp
    service = match.group("service")
    signer_class = S3SigV4Auth if service == "s3" else SigV4Auth
    signer = signer_class(
        Credentials(credential.access_key_id, credential.secret_access_key), service, match.group("region")
    )
    canonical = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical)
    return str(signer.signature(string_to_sign, aws_request))
