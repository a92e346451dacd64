"""echo: answers every invocation with the exact bytes it received, under the request's Content-Type.

A test model for bte's engine, with fault knobs read from the environment at model load:

  ECHO_LATENCY_MS            sleep this long in every request
  ECHO_FAIL_EVERY_N          every Nth request (counted from 1) answers 500
  ECHO_CRASH_AFTER_N         the process exits (status 1) right after answering request N
  ECHO_NEVER_HEALTHY         "1": GET /ping answers 503 forever
  ECHO_START_DELAY_S         model_fn sleeps this long (ping answers 503 meanwhile)
  ECHO_EXECUTION_PARAMETERS  JSON served at /execution-parameters; "null" serves none (404)
  ECHO_EXECUTION_PARAMETERS_BODY     served as-is (200, text/plain) at /execution-parameters
  ECHO_EXECUTION_PARAMETERS_DELAY_S  /execution-parameters answers after this long
  ECHO_FAIL_FIRST_N          the first N requests answer 500 (then all succeed)
  ECHO_REFUSE_EVERY_N        every Nth request answers 415 (a 4xx: the model refuses the input)
  ECHO_REPEAT                the answer is the request's bytes repeated this many times
  ECHO_BREAK_EVERY_N         every Nth request gets half an answer, then the connection closes
  ECHO_EXIT_AT_START         model_fn exits the process with this status before serving

Extra routes (bte's extra_routes hook) let a test observe it from outside:
GET /echo/stats and POST /echo/reset.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

DEFAULT_EXECUTION_PARAMETERS = {"MaxConcurrentTransforms": 4, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}
_KEEP = 1000  # how many recent sizes / content types the stats remember


def _int(name: str) -> int:
    return int(os.environ.get(name) or 0)


@dataclass(frozen=True)
class Knobs:
    latency_s: float
    fail_every_n: int
    crash_after_n: int
    never_healthy: bool
    fail_first_n: int = 0
    refuse_every_n: int = 0
    repeat: int = 1

    @classmethod
    def from_env(cls) -> Knobs:
        return cls(
            latency_s=float(os.environ.get("ECHO_LATENCY_MS") or 0) / 1000.0,
            fail_every_n=_int("ECHO_FAIL_EVERY_N"),
            crash_after_n=_int("ECHO_CRASH_AFTER_N"),
            never_healthy=(os.environ.get("ECHO_NEVER_HEALTHY") or "").lower() in ("1", "true", "yes"),
            fail_first_n=_int("ECHO_FAIL_FIRST_N"),
            refuse_every_n=_int("ECHO_REFUSE_EVERY_N"),
            repeat=max(1, _int("ECHO_REPEAT")),
        )


class Stats:
    """Counters shared by the handler threads; every change happens under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.sizes: deque[int] = deque(maxlen=_KEEP)
            self.content_types: deque[str] = deque(maxlen=_KEEP)
            self.accepts: deque[str] = deque(maxlen=_KEEP)

    def begin(self, size: int, content_type: str, accept: str) -> int:
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.sizes.append(size)
            self.content_types.append(content_type)
            self.accepts.append(accept)
            return self.requests

    def end(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "max_in_flight": self.max_in_flight,
                "in_flight": self.in_flight,
                "sizes": list(self.sizes),
                "env": dict(os.environ),
                "content_types": list(self.content_types),
                "accepts": list(self.accepts),
            }


STATS = Stats()


def model_fn(model_dir: str) -> Knobs:
    if os.environ.get("ECHO_EXIT_AT_START"):
        status = int(os.environ["ECHO_EXIT_AT_START"])
        print(f"echo: exiting at start with status {status} (ECHO_EXIT_AT_START)", file=sys.stderr, flush=True)
        os._exit(status)
    delay = float(os.environ.get("ECHO_START_DELAY_S") or 0)
    if delay > 0:
        print(f"echo: ECHO_START_DELAY_S={delay:g}, loading slowly", flush=True)
        time.sleep(delay)
    return Knobs.from_env()


def ping_fn(model: Knobs) -> bool:
    return not model.never_healthy


def execution_parameters() -> dict[str, Any] | None:
    raw = os.environ.get("ECHO_EXECUTION_PARAMETERS")
    return DEFAULT_EXECUTION_PARAMETERS if not raw else json.loads(raw)


try:  # the toolkit's, where it is installed; else a class of the same name and shape
    from sagemaker_inference.errors import BaseInferenceToolkitError
except ImportError:
    class BaseInferenceToolkitError(Exception):  # type: ignore[no-redef]
        def __init__(self, status_code: int, message: str, phrase: str) -> None:
            super().__init__(status_code, message, phrase)
            self.status_code, self.message, self.phrase = status_code, message, phrase


class Refused(BaseInferenceToolkitError):
    """A BaseInferenceToolkitError: the server answers its ``status_code`` with its
    ``message`` (then the traceback), as the inference toolkit does."""

    def __init__(self, message: str) -> None:
        super().__init__(415, message, message)


def transform_fn(model: Knobs, body: bytes | bytearray | str, content_type: str, accept: str) -> tuple[bytes, str]:
    n = STATS.begin(len(body), content_type, accept)
    try:
        if model.latency_s:
            time.sleep(model.latency_s)
        if model.fail_every_n and n % model.fail_every_n == 0:
            raise RuntimeError(f"echo: request {n} fails on purpose (ECHO_FAIL_EVERY_N={model.fail_every_n})")
        if n <= model.fail_first_n:
            raise RuntimeError(f"echo: request {n} fails on purpose (ECHO_FAIL_FIRST_N={model.fail_first_n})")
        if model.refuse_every_n and n % model.refuse_every_n == 0:
            raise Refused(f"echo: request {n} refused on purpose (ECHO_REFUSE_EVERY_N)")
        return body * model.repeat, content_type
    finally:
        STATS.end()
        if model.crash_after_n and n == model.crash_after_n:
            _exit_soon(n)


def _exit_soon(n: int) -> None:
    # Give the server a moment to send this last answer, then die like a crashed container.
    print(f"echo: exiting after request {n} (ECHO_CRASH_AFTER_N)", file=sys.stderr, flush=True)
    timer = threading.Timer(0.2, os._exit, args=(1,))
    timer.daemon = True
    timer.start()


def extra_routes(app: Any) -> None:
    from starlette.responses import JSONResponse, Response

    async def stats(request: Any) -> JSONResponse:
        return JSONResponse(STATS.snapshot())

    async def reset(request: Any) -> Response:
        STATS.reset()
        return Response(status_code=204)

    app.add_route("/echo/stats", stats, methods=["GET"])
    app.add_route("/echo/reset", reset, methods=["POST"])
    _add_fault_routes(app)


def _add_fault_routes(app: Any) -> None:
    """Faults the shim's own routes cannot make: put in front of them, so they win."""
    from starlette.routing import Route

    body = os.environ.get("ECHO_EXECUTION_PARAMETERS_BODY")
    delay = float(os.environ.get("ECHO_EXECUTION_PARAMETERS_DELAY_S") or 0)
    if body is not None or delay:
        shim = next(r for r in app.router.routes if getattr(r, "path", "") == "/execution-parameters")
        app.router.routes.insert(0, Route("/execution-parameters", _SlowOrOdd(shim, body, delay)))
    break_every = _int("ECHO_BREAK_EVERY_N")
    if break_every:
        shim = next(r for r in app.router.routes if getattr(r, "path", "") == "/invocations")
        app.router.routes.insert(0, Route("/invocations", _BreakOff(shim, break_every), methods=["POST"]))


class _SlowOrOdd:
    """/execution-parameters after a delay, with the shim's answer or a given body."""

    def __init__(self, shim: Any, body: str | None, delay_s: float) -> None:
        self.shim, self.body, self.delay_s = shim, body, delay_s

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        import asyncio

        await asyncio.sleep(self.delay_s)
        if self.body is None:
            await self.shim.handle(scope, receive, send)
            return
        data = self.body.encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})


class _BreakOff:
    """Every Nth POST /invocations: the answer starts, half of it is sent, the connection closes."""

    def __init__(self, shim: Any, every: int) -> None:
        self.shim, self.every, self.count = shim, every, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.count += 1
        if self.count % self.every:
            await self.shim.handle(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        answer = body or b"x"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer[: len(answer) // 2], "more_body": True})
        raise ConnectionAbortedError(f"echo: request {self.count} breaks off mid-answer (ECHO_BREAK_EVERY_N)")
