"""The few Docker Engine API calls a container's start needs, over the engine's Unix socket.

A small job waits for its container's start, and before the Docker SDK can send anything
it must be imported (requests, urllib3, ssl: about 0.1 s on a laptop core, longer than the
engine's own ``create``) and connect (a version query and a ping). The forked starter
(forked_start.py) therefore speaks these calls itself, as plain HTTP/1.0 on the socket
(even the standard library's http.client costs 20 ms of imports: its email parser), and
the rest of bte uses the SDK as before. Both send the same bodies: the request
is built once (``docker_runtime.container_request``), and ``EngineSocket`` has the names and
results of the SDK's own low-level calls (``docker.APIClient``: ``info``, ``inspect_image``,
``create_container_from_config``, ``start``, ``remove_container``), so ``DockerRuntime`` runs
one code path over either.

Only a local engine on a Unix socket is spoken to this way (``DOCKER_HOST`` unset or
``unix://``): TLS, TCP, SSH and named pipes stay with the SDK. Paths carry no API version,
so the engine answers in its own current version; every field sent has been in the API
since long before the oldest engine the SDK supports.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any
from urllib.parse import quote, urlencode

DEFAULT_SOCKET = "/var/run/docker.sock"


class EngineAnswered(Exception):
    """The engine answered with an error status; ``explanation`` is its message (as the
    SDK's ``APIError.explanation``)."""

    def __init__(self, status: int, explanation: str) -> None:
        super().__init__(f"{status}: {explanation}")
        self.status_code = status
        self.explanation = explanation


class ImageMissing(EngineAnswered):
    """404 on an image: the SDK's ``ImageNotFound``."""


class EngineSocket:
    """The local engine's API over its socket, one connection per call (calls run in
    parallel from several threads when a job starts several instances)."""

    def __init__(self, path: str, timeout: float = 60) -> None:
        self.path = path
        self.timeout = timeout

    @classmethod
    def from_environment(cls) -> EngineSocket | None:
        """The engine the Docker SDK's ``from_env`` would reach, when it is a local socket
        that exists; None otherwise (the caller then uses the SDK)."""
        host = os.environ.get("DOCKER_HOST", "")
        if host and not host.startswith("unix://"):
            return None
        if os.environ.get("DOCKER_TLS_VERIFY"):
            return None
        path = host.removeprefix("unix://") or DEFAULT_SOCKET
        return cls(path) if os.path.exists(path) else None

    def _call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
        """One request; its answer's JSON (None when empty). HTTP/1.0, so the engine sends
        no chunked encoding and ends the answer by closing the connection."""
        target = path + (f"?{urlencode(query)}" if query else "")
        data = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {target} HTTP/1.0\r\nHost: docker\r\nContent-Length: {len(data)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(self.path)
            sock.sendall(head.encode() + b"\r\n" + data)
            chunks = []
            while chunk := sock.recv(1 << 16):
                chunks.append(chunk)
        answer = b"".join(chunks)
        status_line, _, rest = answer.partition(b"\r\n")
        _, _, payload = rest.partition(b"\r\n\r\n")
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError):
            raise ConnectionError(f"the Docker engine's answer could not be read: {status_line[:80]!r}") from None
        if status >= 400:
            raise EngineAnswered(status, _message(payload))
        return json.loads(payload) if payload.strip() else None

    # -- the SDK's APIClient names --------------------------------------------------
    def info(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("GET", "/info")
        return answer

    def inspect_image(self, image: str) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = self._call("GET", f"/images/{quote(image, safe='/:@')}/json")
        except EngineAnswered as exc:
            if exc.status_code == 404:
                raise ImageMissing(exc.status_code, exc.explanation) from exc
            raise
        return answer

    def create_container_from_config(self, config: dict[str, Any], name: str | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", "/containers/create", config, {"name": name} if name else None)
        return answer

    def start(self, container: str) -> None:
        self._call("POST", f"/containers/{container}/start")

    def remove_container(self, container: str, force: bool = False) -> None:
        self._call("DELETE", f"/containers/{container}", query={"force": "1" if force else "0"})

    def close(self) -> None:
        pass  # a connection per call: nothing is held


def _message(raw: bytes) -> str:
    try:
        return str(json.loads(raw).get("message") or raw.decode("utf-8", "replace"))
    except (ValueError, AttributeError):
        return raw.decode("utf-8", "replace").strip()
