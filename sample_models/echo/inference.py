"""echo: answers every invocation with the exact bytes it received, under the request's Content-Type.

A test model for bte's engine, with fault knobs read from the environment at model load:

  ECHO_LATENCY_MS            sleep this long in every request
  ECHO_FAIL_EVERY_N          every Nth request (counted from 1) answers 500
  ECHO_CRASH_AFTER_N         the process exits (status 1) right after answering request N
  ECHO_NEVER_HEALTHY         "1": GET /ping answers 503 forever
  ECHO_START_DELAY_S         model_fn sleeps this long (ping answers 503 meanwhile)
  ECHO_EXECUTION_PARAMETERS  JSON served at /execution-parameters; "null" serves none (404)

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


@dataclass(frozen=True)
class Knobs:
    latency_s: float
    fail_every_n: int
    crash_after_n: int
    never_healthy: bool

    @classmethod
    def from_env(cls) -> Knobs:
        return cls(
            latency_s=float(os.environ.get("ECHO_LATENCY_MS") or 0) / 1000.0,
            fail_every_n=int(os.environ.get("ECHO_FAIL_EVERY_N") or 0),
            crash_after_n=int(os.environ.get("ECHO_CRASH_AFTER_N") or 0),
            never_healthy=(os.environ.get("ECHO_NEVER_HEALTHY") or "").lower() in ("1", "true", "yes"),
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


def transform_fn(model: Knobs, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
    n = STATS.begin(len(body), content_type, accept)
    try:
        if model.latency_s:
            time.sleep(model.latency_s)
        if model.fail_every_n and n % model.fail_every_n == 0:
            raise RuntimeError(f"echo: request {n} fails on purpose (ECHO_FAIL_EVERY_N={model.fail_every_n})")
        return body, content_type
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
