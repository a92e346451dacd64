"""The SageMaker container contract as a FastAPI app: /ping, /invocations, /execution-parameters.

The program (inference.py) is imported and ``model_fn`` is called in a background thread
when the server starts, so /ping answers 503 while a slow model loads, 200 once it is
loaded. A load that failed leaves /ping at 200 and each invocation loads again and, failing,
answers 500 with the load's error and traceback: what the SageMaker inference toolkit
under Multi Model Server does (tests/serving/test_toolkit_parity.py). Handlers are synchronous functions; each request runs them on a dedicated thread
pool (``BTE_HANDLER_THREADS``, default 64) so that a job's MaxConcurrentTransforms really
gives that many requests in flight. A handler that raises answers as the SageMaker inference toolkit does: 500 (or the
status of an exception shaped as its BaseInferenceToolkitError) with the message and the
traceback; the traceback goes to the log too, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator.serving import codecs
from emulator.serving.handlers import MMS_UNSUPPORTED_OUTPUT, Handlers, UnsupportedOutput, load_program
from emulator.serving.settings import ServingSettings

log = logging.getLogger("bte.serving")

LOADING, READY, FAILED = "loading", "ready", "failed"


class ModelState:
    """Where loading stands. The loader thread loads once at start; a load that failed is
    tried again by each invocation (under a lock), as the toolkit's Transformer calls
    ``validate_and_initialize`` on every request until one load succeeds."""

    def __init__(self, settings: ServingSettings) -> None:
        self.settings = settings
        self.status = LOADING
        self.error = ""
        self.handlers: Handlers | None = None
        self.model: Any = None
        self._lock = threading.Lock()
        self._routes_added = False

    def load(self, app: FastAPI) -> None:
        try:
            self._load(app)
        except BaseException:  # a failed load must leave a server that says why, not a dead one
            pass

    def load_again(self, app: FastAPI) -> None:
        """Called on the handler pool by an invocation after a failed load: raises what the load raised."""
        with self._lock:
            if self.status != READY:
                self._load(app)

    def _load(self, app: FastAPI) -> None:
        started = time.monotonic()
        where = self.settings.submit_dir / self.settings.program
        log.info("loading %s (model_dir=%s)", where, self.settings.model_dir)
        try:
            handlers = Handlers(load_program(self.settings.submit_dir, self.settings.program))
            if not self._routes_added:
                handlers.add_extra_routes(app)
                self._routes_added = True
            model = handlers.load_model(self.settings.model_dir)
        except BaseException as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.status = FAILED
            log.error("model failed to load from %s: %s\n%s", where, self.error, traceback.format_exc().rstrip())
            raise
        self.handlers, self.model = handlers, model
        self.status = READY
        log.info("model loaded from %s in %.2f s", where, time.monotonic() - started)


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    """Build the app; the model starts loading when the server starts (lifespan startup)."""
    settings = settings or ServingSettings.from_env()
    _configure_logging()
    state = ModelState(settings)
    pool = ThreadPoolExecutor(settings.handler_threads, thread_name_prefix="bte-handler")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=state.load, args=(app,), name="bte-model-load", daemon=True).start()
        yield
        pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.model_state = state

    async def ping(request: Request) -> Response:
        if state.status == LOADING:
            return Response(status_code=503)
        if state.status == FAILED:  # as the toolkit under MMS: up, and each invocation answers the load's error
            return Response(status_code=200)
        try:
            assert state.handlers is not None
            healthy = state.handlers.healthy(state.model)
        except Exception:
            log.exception("ping_fn raised")
            healthy = False
        return Response(status_code=200 if healthy else 503)

    async def invocations(request: Request) -> Response:
        if state.status == LOADING:
            return _not_ready(state)
        loop = asyncio.get_running_loop()
        if state.status == FAILED:
            try:
                await loop.run_in_executor(pool, state.load_again, app)
            except Exception as exc:
                return _error_response(exc, settings)
        assert state.handlers is not None
        body = await request.body()
        content_type = request.headers.get("content-type")  # None when absent: the toolkit passes None
        accept = request.headers.get("accept") or ""
        if not accept or accept == "*/*":  # the toolkit's SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (application/json)
            accept = settings.default_accept
        if settings.log_requests:
            log.info("POST /invocations %d bytes, Content-Type %s, Accept %s", len(body), content_type, accept)
        call = loop.run_in_executor(pool, state.handlers.invoke, state.model, body, content_type, accept)
        try:
            out, out_type = await (asyncio.wait_for(call, settings.timeout_s) if settings.timeout_s else call)
        except Exception as exc:
            return _error_response(exc, settings)
        return Response(out, headers={} if out_type is None else {"content-type": out_type})

    async def execution_parameters(request: Request) -> Response:
        if state.status != READY:
            return _not_ready(state)
        assert state.handlers is not None
        try:
            params = state.handlers.execution_parameters()
        except Exception as exc:
            return _error_response(exc, settings)
        if params is None:
            return Response("this model declares no execution parameters", status_code=404, media_type="text/plain")
        return JSONResponse(params)

    app.add_route("/ping", ping, methods=["GET"])
    app.add_route("/invocations", invocations, methods=["POST"])
    app.add_route("/execution-parameters", execution_parameters, methods=["GET"])
    return app


def _not_ready(state: ModelState) -> Response:
    if state.status == LOADING:
        return Response("the model is still loading; wait until GET /ping answers 200", 503, media_type="text/plain")
    return Response(f"the model failed to load: {state.error}", 500, media_type="text/plain")


def _error_response(exc: Exception, settings: ServingSettings) -> Response:
    """A handler's exception as the toolkit answers it through Multi Model Server: the
    ``status_code`` and ``message`` of a BaseInferenceToolkitError, else 500 and ``str(exc)``; the message followed by the traceback, and no
    Content-Type. (MMS also puts the message in the status line's reason phrase; uvicorn
    sends the standard phrase.)"""
    if isinstance(exc, TimeoutError):
        text = f"the handler took longer than SAGEMAKER_MODEL_SERVER_TIMEOUT={settings.timeout_s:g} s"
        log.error("invocation timed out: %s", text)
        return Response(text, 504, media_type="text/plain")
    if isinstance(exc, UnsupportedOutput):
        log.error("invocation failed: %s", exc)
        return Response(MMS_UNSUPPORTED_OUTPUT, 503, media_type=codecs.JSON)
    trace = "".join(traceback.format_exception(exc))
    status, message = getattr(exc, "status_code", None), getattr(exc, "message", None)
    if not _is_toolkit_error(exc) or not isinstance(status, int) or message is None:
        status, message = 500, str(exc)
    log.error("invocation failed: %s: %s\n%s", type(exc).__name__, exc, trace.rstrip())
    return Response(f"{message}\n{trace}", status)


def _is_toolkit_error(exc: Exception) -> bool:
    """The toolkit answers an exception's own status only for its BaseInferenceToolkitError
    (an isinstance check). The shim cannot import the toolkit, so it goes by name: the
    toolkit's class, or a class of that name where the toolkit is not installed."""
    return any(cls.__name__ == "BaseInferenceToolkitError" for cls in type(exc).__mro__)


def _configure_logging() -> None:
    """One line per record, flushed at once: logs are read live by bte (docker logs / pipes)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
