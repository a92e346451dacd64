"""The page's routes under ``/ui``: shells and the parts they fetch.

A shell (``GET /ui``, ``/ui/new``, ``/ui/jobs/<name>``, ``/ui/static/...``) holds no data
of the store; its script fetches each part with ``POST /ui/api/<part>`` (signed with
SigV4 when the page holds credentials) and creates or stops jobs through the SageMaker
API itself (``POST /`` with ``X-Amz-Target``). So a server started with ``--credentials``
serves the shells to anyone and everything else only to signed requests, checked by the
same guard as every API call (``request_guard.py``; docs/ui.md).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from emulator.api.sagemaker import SageMakerApi
from emulator.api.settings import ServerSettings
from emulator.api.ui.examples import examples
from emulator.api.ui.views import LISTED, STATES, Views
from emulator.planning.render import size
from emulator.spec.errors import BteError
from emulator.store.db import ACTIVE, Store

HERE = Path(__file__).parent
MAX_PART_REQUEST_BYTES = 64 * 1024  # a part's request is a name, filters and log tokens


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    env.filters.update(when=_when, seconds=_seconds, size=lambda n: size(int(n or 0)).split(" (")[0],
                       pretty=lambda value: json.dumps(value, indent=2, default=str))
    return env


def build_ui(store: Store, settings: ServerSettings, sagemaker: SageMakerApi) -> FastAPI:
    views = Views(store, settings, sagemaker)
    env = templates()
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="static")

    def shell(template: str, title: str, **values: Any) -> HTMLResponse:
        page = env.get_template(template).render(
            title=title, auth_required=settings.credentials is not None, region=settings.region, **values)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.get("/ui")
    @app.get("/ui/")
    async def job_list() -> HTMLResponse:
        return shell("list.html", "Transform jobs", page="list", states=STATES)

    @app.get("/ui/new")
    async def new_job() -> HTMLResponse:
        found = examples()
        return shell("new.html", "New transform job", page="new", examples=found,
                     examples_json=[{"job": e.job, "model": e.model} for e in found],
                     roots=[str(root) for root in settings.allow_local_roots])

    @app.get("/ui/jobs/{name}")
    async def job_page(name: str) -> HTMLResponse:
        return shell("job.html", f"Transform job {name}", page="job", job=name)

    @app.post("/ui/api/list")
    async def list_part(request: Request) -> Response:
        ask = await _payload(request)
        status = ask.get("status") if ask.get("status") in STATES else None
        name = str(ask.get("name") or "")[:63]
        jobs = await run_in_threadpool(views.jobs, status, name)
        models = await run_in_threadpool(views.models, name)
        filtered = bool(status or name)
        return JSONResponse({
            "jobs": env.get_template("parts/jobs.html").render(jobs=jobs, filtered=filtered, limit=LISTED),
            "models": env.get_template("parts/models.html").render(models=models, filtered=filtered),
            "active": any(j.status in ACTIVE for j in jobs)})

    @app.post("/ui/api/job")
    async def job_part(request: Request) -> Response:
        ask = await _payload(request)
        return JSONResponse(await run_in_threadpool(_job, views, env, str(ask.get("name") or ""),
                                                    dict(ask.get("tokens") or {})))

    @app.post("/ui/api/plan")
    async def plan_part(request: Request) -> Response:
        run = views.run(str((await _payload(request)).get("name") or ""))
        if run is None:
            return _missing()
        plan = await run_in_threadpool(views.plans.get, run)
        return JSONResponse({"html": env.get_template("parts/plan.html").render(plan=plan)})

    @app.post("/ui/api/preview")
    async def preview_part(request: Request) -> Response:
        ask = await _payload(request)
        job, model = ask.get("job"), ask.get("model")
        if not isinstance(job, dict) or not (model is None or isinstance(model, dict)):
            return JSONResponse({"message": "send {\"job\": CreateTransformJob request, \"model\": null or "
                                            "CreateModel request}"}, 400)
        try:
            plan = await run_in_threadpool(views.preview, job, model)
        except BteError as exc:
            return JSONResponse({"__type": getattr(exc, "code", "ValidationException"), "message": str(exc)}, 400)
        return JSONResponse({"html": env.get_template("parts/plan.html").render(plan=plan)})

    @app.post("/ui/api/report")
    async def report_part(request: Request) -> Response:
        run = views.run(str((await _payload(request)).get("name") or ""))
        if run is None:
            return _missing()
        try:
            path = await run_in_threadpool(views.report, run)
        except BteError as exc:
            return JSONResponse({"message": str(exc)}, 404)
        if path is None:
            return JSONResponse({"message": f"the job is {run.status}: its report is drawn when it ends"}, 409)
        return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-store"})

    return app


def _job(views: Views, env: Environment, name: str, tokens: dict[str, Any]) -> dict[str, Any]:
    run = views.run(name)
    if run is None:
        return {"found": False}
    described = views.describe(run)
    progress = views.progress(run)
    active = run.status in ACTIVE
    end = run.end_time if not active else None
    started = run.start_time
    duration = ((end or dt.datetime.now().timestamp()) - started) if started else None
    detail = run.failure_detail or progress.failure_detail
    return {
        "found": True, "status": run.status, "active": active, "run_id": run.run_id,
        "head": env.get_template("parts/head.html").render(d=described, duration=duration, run_id=run.run_id,
                                                           origin=run.origin, detail=detail),
        "progress": env.get_template("parts/progress.html").render(p=progress, plan=views.plans.peek(run.run_id),
                                                                   active=active),
        "request": env.get_template("parts/request.html").render(request=run.request, model=run.model),
        "logs": views.log_lines(run, tokens),
    }


async def _payload(request: Request) -> dict[str, Any]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PART_REQUEST_BYTES:
            break
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _missing() -> Response:
    return JSONResponse({"message": "no transform job of that name in this server's store"}, 404)


def _when(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return dt.datetime.fromtimestamp(float(value), dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"
