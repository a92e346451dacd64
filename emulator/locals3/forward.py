"""An ASGI app that hands every request it gets to a local S3 server, unchanged.

``bte serve --s3 local`` mounts it where moto's in-memory S3 would be: clients keep one
endpoint (bte's port, behind its ``--credentials`` check) and their bytes land on disk in
SeaweedFS. Method, path (as sent, percent-encoding and all), query, headers (Host and
Authorization included: SeaweedFS runs without authentication behind bte, so neither is
checked twice) and bodies pass through as they are. Bodies stream both ways, a chunk at
a time, never held whole. Only hop-by-hop headers stay behind, as in any proxy, and
``Expect: 100-continue``, which bte's own server has already answered.

When SeaweedFS cannot be reached (restarting after a crash), the answer is S3's
503 ``ServiceUnavailable``, which every S3 client retries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from xml.sax.saxutils import escape

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_HOP_BY_HOP = {
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
    b"transfer-encoding", b"upgrade", b"expect",
}


class S3Forwarder:
    """Forwards to ``upstream()`` (read per request: the server's port may change when it restarts)."""

    def __init__(self, upstream: Callable[[], str]) -> None:
        self.upstream = upstream
        self._client: Any = None  # an httpx.AsyncClient, made inside the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        import httpx

        if self._client is None:
            # No read or write limit: a large object may take minutes; SeaweedFS is on loopback.
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=5.0))
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string") or b""
        url = httpx.URL(self.upstream(), raw_path=raw_path + (b"?" + query if query else b""))
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP_BY_HOP]
        has_body = any(k.lower() in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])
        request = self._client.build_request(
            scope["method"], url, headers=headers, content=_body(receive) if has_body else None
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            await _unavailable(send, str(url.copy_with(query=None)), exc)
            return
        try:
            await send({
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP],
            })
            async for chunk in response.aiter_raw():  # raw: bytes as SeaweedFS sent them, never decoded
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("the client went away in the middle of its request body")
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _unavailable(send: Send, resource: str, exc: Exception) -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code>'
        f"<Message>bte serve's local S3 (SeaweedFS) is not answering; it is restarted when it dies. "
        f"Retry shortly. ({escape(type(exc).__name__)})</Message><Resource>{escape(resource)}</Resource></Error>"
    ).encode()
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/xml"), (b"content-length", str(len(body)).encode()), (b"retry-after", b"1"),
    ]})
    await send({"type": "http.response.body", "body": body})
