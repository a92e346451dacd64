"""One endpoint, several services: SageMaker and CloudWatch Logs from bte, S3 and STS from moto.

Requests are routed by what they are, never by port (``route``): an ``X-Amz-Target``
header names a JSON-protocol service (``SageMaker.<Op>``, ``Logs_20140328.<Op>``); else
the SigV4 credential scope (``Authorization`` header, or ``X-Amz-Credential`` in a
presigned URL) names the service; else a ``sts.`` Host means STS; anything else unsigned
is S3, as on moto's own server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from emulator.api import wire
from emulator.api.jobs import JobManager
from emulator.api.logs import LogsApi
from emulator.api.sagemaker import SageMakerApi
from emulator.api.settings import ServerSettings
from emulator.api.ui import build_ui, is_ui_request
from emulator.spec.errors import BteError, ServiceError, UnknownOperation
from emulator.store.db import Store

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("bte.api")
SAGEMAKER_TARGET = "SageMaker"
LOGS_TARGET = "Logs_20140328"
SERVED = "SageMaker (transform jobs and models), CloudWatch Logs (/aws/sagemaker/TransformJobs), S3 and STS"


def route(scope: Scope) -> str:
    """The service a request is for: 'sagemaker', 'logs', 's3', 'sts', or another signing name."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    target = headers.get("x-amz-target")
    if target:
        prefix = target.split(".", 1)[0]
        return {SAGEMAKER_TARGET: "sagemaker", LOGS_TARGET: "logs"}.get(prefix, f"target:{prefix}")
    credential = ""
    auth = headers.get("authorization", "")
    if "Credential=" in auth:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0]
    else:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        credential = (query.get("X-Amz-Credential") or [""])[0]
    parts = credential.strip().split("/")
    if len(parts) == 5:
        return str(parts[3]).lower()
    if headers.get("host", "").startswith("sts."):
        return "sts"
    return "s3"


def build_app(store: Store, settings: ServerSettings, s3_app: ASGIApp | None = None) -> ASGIApp:
    """The whole server: the router in front of bte's API and moto's S3 and STS
    (``s3_app`` instead of moto's S3: ``bte serve --s3 local``)."""
    jobs = JobManager(store, settings)
    api = build_api(store, settings, jobs)
    ui = build_ui(store, settings, SageMakerApi(store, settings, jobs))  # the web page (docs/ui.md)
    aws = _moto_apps()
    if s3_app is not None:
        aws["s3"] = s3_app

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await api(scope, receive, send)  # lifespan: starts and stops the job manager
            return
        if is_ui_request(scope):
            await ui(scope, receive, send)
            return
        service = route(scope)
        if service in ("sagemaker", "logs"):
            await api(scope, receive, send)
        elif service in aws:
            await aws[service](scope, receive, send)
        else:
            await _refuse(send, service)

    return app


def build_api(store: Store, settings: ServerSettings, jobs: JobManager) -> FastAPI:
    sagemaker = SageMakerApi(store, settings, jobs)
    logs = LogsApi(store, settings.region, settings.account)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(jobs.shutdown)

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/")
    async def aws_json(request: Request) -> Response:
        body = await request.body()
        target = request.headers.get("x-amz-target", "")
        content, status = await run_in_threadpool(answer, sagemaker, logs, target, body)
        return Response(content, status_code=status, media_type=wire.CONTENT_TYPE,
                        headers={"x-amzn-RequestId": wire.request_id()})

    return app


def answer(sagemaker: SageMakerApi, logs: LogsApi, target: str, body: bytes) -> tuple[bytes, int]:
    """(response body, HTTP status) for one AWS JSON 1.1 request."""
    prefix, _, operation = target.partition(".")
    try:
        params = wire.parse_body(body)
        if prefix == SAGEMAKER_TARGET and operation:
            result = sagemaker.call(operation, params)
            shape = _sagemaker_output(operation)
        elif prefix == LOGS_TARGET and operation:
            result = logs.call(operation, params)
            shape = _logs_output(operation)
        else:
            raise wire.AwsError("UnknownOperationException", f"Operation {target or '(none)'} is not known. "
                                f"bte serve answers {SERVED}.")
        return json.dumps(wire.serialize(shape, result)).encode(), 200
    except wire.AwsError as err:
        return wire.error_body(err), err.status
    except UnknownOperation as err:
        return wire.error_body(wire.AwsError("UnknownOperationException", err.message)), 400
    except ServiceError as err:
        return wire.error_body(wire.AwsError.from_service_error(err)), err.http_status
    except BteError as err:
        return wire.error_body(wire.validation(str(err))), 400
    except Exception as err:  # a bug: answer as the service does, keep the trace in the server log
        log.exception("bte serve: %s failed", target)
        text = f"bte: {target} failed inside bte serve: {err.__class__.__name__}: {err}"
        return wire.error_body(wire.AwsError("InternalFailure", text, 500)), 500


def _sagemaker_output(operation: str) -> Any:
    from emulator.spec.model import output_shape

    return output_shape(operation)


def _logs_output(operation: str) -> Any:
    return logs_model().operation_model(operation).output_shape


_LOGS_MODEL: list[Any] = []


def logs_model() -> Any:
    """botocore's CloudWatch Logs service model (loaded once)."""
    if not _LOGS_MODEL:
        import botocore.loaders
        import botocore.model

        data = botocore.loaders.create_loader().load_service_model("logs", "service-2")
        _LOGS_MODEL.append(botocore.model.ServiceModel(data, service_name="logs"))
    return _LOGS_MODEL[0]


def _moto_apps() -> dict[str, ASGIApp]:
    """moto's S3 and STS, each its own WSGI app, run behind the router."""
    from a2wsgi import WSGIMiddleware
    from moto.moto_server.werkzeug_app import create_backend_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    return {name: WSGIMiddleware(create_backend_app(name)) for name in ("s3", "sts")}  # type: ignore[arg-type,misc]


async def _refuse(send: Send, service: str) -> None:
    name = service.removeprefix("target:")
    err = wire.AwsError("UnknownOperationException", f"bte serve does not answer {name}; it answers {SERVED}.")
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", wire.CONTENT_TYPE.encode()), (b"x-amzn-requestid", wire.request_id().encode())]})
    await send({"type": "http.response.body", "body": wire.error_body(err)})
