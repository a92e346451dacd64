"""``/ui`` on ``bte serve``: the jobs, models, plans, live progress, logs and reports in a
browser (docs/ui.md). Server-rendered with Jinja2; a little script polls and signs.

- ``routes.py``: the shells and the parts they fetch
- ``views.py``: what each part shows, read through the API's own functions
- ``progress.py``: a run's progress folded from its event record as it grows
- ``plan_view.py``: a run's plan, as ``bte plan`` makes it
- ``examples.py``: the repository's example jobs for the form

Who may see what is the API's rule, checked by its guard: ``is_shell_request`` names the
only requests a server with ``--credentials`` serves unsigned (pages without data).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from emulator.api.settings import ServerSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SHELLS = re.compile(r"/ui(/|/new|/jobs/[^/]+|/static/[A-Za-z0-9_.-]+)?")
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def is_ui_request(scope: Scope) -> bool:
    """A request for the page: under ``/ui`` and not signed for S3. (``ui`` is too short to
    be a bucket name, so no path-style S3 request starts so.)"""
    path = str(scope.get("path", ""))
    if path != "/ui" and not path.startswith("/ui/"):
        return False
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization" and b"/s3/aws4_request" in value:
            return False
    return True


def is_shell_request(scope: Scope) -> bool:
    """A page without data: served even unsigned by a server that requires credentials."""
    return (scope.get("method") in ("GET", "HEAD") and is_ui_request(scope)
            and _SHELLS.fullmatch(str(scope.get("path", ""))) is not None)


def host_allowed(scope: Scope, settings: ServerSettings) -> bool:
    """A server bound to loopback serves its page only to loopback Host names: a web page
    elsewhere cannot reach it by rebinding its own name to 127.0.0.1 (DNS rebinding)."""
    bound = settings.host
    if not (bound in ("localhost", "::1") or bound.startswith("127.")):
        return True
    host = ""
    for name, value in scope.get("headers", []):
        if name.lower() == b"host":
            host = value.decode("latin-1").lower()
    hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return hostname in _LOOPBACK_NAMES or hostname.startswith("127.")


def build_ui(store: Any, settings: ServerSettings, sagemaker: Any) -> ASGIApp:
    from emulator.api.ui.routes import build_ui as build_routes

    pages = build_routes(store, settings, sagemaker)

    async def ui(scope: Scope, receive: Receive, send: Send) -> None:
        if not host_allowed(scope, settings):
            body = b"bte serve: this page answers only requests addressed to a loopback name (docs/ui.md)"
            await send({"type": "http.response.start", "status": 421,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await pages(scope, receive, send)

    return ui


__all__ = ["build_ui", "host_allowed", "is_shell_request", "is_ui_request"]
