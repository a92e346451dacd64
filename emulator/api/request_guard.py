"""The server's gate: body size limits and, with ``--credentials``, SigV4 verification.

An ASGI middleware in front of every route (SageMaker, Logs, STS, S3), so a refused
request never reaches a parser. Its answers, chosen in the service's style (the reference
has no text for them; docs/api.md, "Security", lists them):

==========================  =====================================  ======  ==========================
case                        SageMaker / Logs (JSON)                STS     S3
==========================  =====================================  ======  ==========================
body over the limit         413 RequestEntityTooLargeException     413     400 EntityTooLarge
no SigV4 Authorization      403 MissingAuthenticationTokenException 403    403 AccessDenied
another access key id       400 UnrecognizedClientException        403     403 InvalidAccessKeyId
wrong secret / changed      403 InvalidSignatureException          403     403 SignatureDoesNotMatch
==========================  =====================================  ======  ==========================

A control-plane body (JSON or query) is read into memory only up to
``MAX_CONTROL_BODY_BYTES``; S3 bodies stream through untouched (their signature covers
the ``X-Amz-Content-SHA256`` header, not a hash of the bytes computed here).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Awaitable, Callable, MutableMapping
from xml.sax.saxutils import escape

from emulator.api.signature import AuthFailure, Credential, SignedRequest, verify

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_CONTROL_BODY_BYTES = 1024 * 1024  # SageMaker, Logs and STS requests: far above any real one
MAX_S3_BODY_BYTES = 5 * 1024**3  # the service's largest single PUT

_JSON_CODES = {
    "missing": (403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
    "unknown-key": (400, "UnrecognizedClientException", "The security token included in the request is invalid."),
    "bad-signature": (
        403,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    ),
}
_XML_CODES = {
    "missing": ("AccessDenied", "Access Denied"),
    "unknown-key": ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
    "bad-signature": (
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    ),
}
_STS_CODES = {**_XML_CODES, "unknown-key": ("InvalidClientTokenId", _JSON_CODES["unknown-key"][2])}


def protocol_of(scope: Scope) -> str:
    """``json`` (SageMaker, Logs, any X-Amz-Target), ``query`` (STS) or ``s3``, by the app's router."""
    from emulator.api.app import route

    service = route(scope)
    return {"s3": "s3", "sts": "query"}.get(service, "json")


def _is_page_shell(scope: Scope) -> bool:
    from emulator.api.ui import is_shell_request

    return is_shell_request(scope)


def exposure_warning(host: str) -> str | None:
    """The warning ``bte serve`` prints when it listens beyond loopback; None on loopback."""
    if host in ("127.0.0.1", "::1", "localhost") or host.startswith("127."):
        return None
    return (
        f"WARNING: bte serve listens on {host}, not on 127.0.0.1: anyone who can reach this port can create "
        "models and jobs that run containers on this machine, and read and write its S3. Bind 127.0.0.1 "
        "(the default) unless you mean it, and give --credentials KEY_ID:SECRET so that only signed requests "
        "are served."
    )


class RequestGuard:
    """Refuses oversize bodies and, given a credential, requests not signed with it."""

    def __init__(self, app: ASGIApp, credential: Credential | None = None,
                 max_control_body: int = MAX_CONTROL_BODY_BYTES, max_s3_body: int = MAX_S3_BODY_BYTES) -> None:
        self.app = app
        self.credential = credential
        self.max_control_body = max_control_body
        self.max_s3_body = max_s3_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.credential is not None and _is_page_shell(scope):
            await self.app(scope, receive, send)  # a page without data; its data is signed (docs/ui.md)
            return
        protocol = protocol_of(scope)
        limit = self.max_s3_body if protocol == "s3" else self.max_control_body
        declared = _headers(scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(send, protocol, int(declared), limit)
            return
        if protocol == "s3":
            if self.credential is not None and not await self._authorised(scope, None, send, protocol):
                return
            await self.app(scope, _counting(receive, limit), send)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await _too_large(send, protocol, None, limit)
            return
        if self.credential is not None and not await self._authorised(scope, body, send, protocol):
            return
        await self.app(scope, _replay(body, receive), send)

    async def _authorised(self, scope: Scope, body: bytes | None, send: Send, protocol: str) -> bool:
        assert self.credential is not None
        raw_path = scope.get("raw_path") or scope["path"].encode()
        request = SignedRequest(
            method=scope["method"], raw_path=raw_path.decode("latin-1"),
            query_string=scope.get("query_string", b"").decode("latin-1"), headers=_headers(scope), body=body,
        )
        failure = verify(request, self.credential)
        if failure is None:
            return True
        await _refuse(send, protocol, failure)
        return False


class _BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    """Passes an S3 body through, failing the request once it passes ``limit`` (chunked uploads)."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge(f"S3 request body passed {limit} bytes")
        return message

    return counted


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def _too_large(send: Send, protocol: str, size: int | None, limit: int) -> None:
    told = f"{size} bytes" if size is not None else "more bytes"
    text = f"Request body of {told} exceeds bte serve's limit of {limit} bytes (docs/api.md, Security)."
    if protocol == "s3":
        await _xml(send, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size. " + text)
    elif protocol == "query":
        await _sts_xml(send, 413, "RequestEntityTooLarge", text)
    else:
        await _json(send, 413, "RequestEntityTooLargeException", text)


async def _refuse(send: Send, protocol: str, failure: AuthFailure) -> None:
    if protocol == "json":
        status, code, text = _JSON_CODES[failure.kind]
        await _json(send, status, code, text)
    elif protocol == "query":
        code, text = _STS_CODES[failure.kind]
        await _sts_xml(send, 403, code, text)
    else:
        code, text = _XML_CODES[failure.kind]
        await _xml(send, 403, code, text)


async def _json(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"__type": code, "message": message}).encode()
    await _respond(send, status, "application/x-amz-json-1.1", body)


async def _xml(send: Send, status: int, code: str, message: str) -> None:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}'
            f"</Message><RequestId>{uuid.uuid4()}</RequestId></Error>").encode()
    await _respond(send, status, "application/xml", body)


async def _sts_xml(send: Send, status: int, code: str, message: str) -> None:
    body = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>").encode()
    await _respond(send, status, "text/xml", body)


async def _respond(send: Send, status: int, content_type: str, body: bytes) -> None:
    request_id = str(uuid.uuid4()).encode()
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
                    (b"x-amzn-requestid", request_id), (b"x-amz-request-id", request_id),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})
