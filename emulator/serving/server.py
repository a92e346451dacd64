"""Starting uvicorn with the shim's app, as the ``serve`` command does."""

from __future__ import annotations

import importlib.util
import sys

import uvicorn

from emulator.serving.settings import ServingSettings, SettingsError

USAGE = "usage: python -m emulator.serving serve   (configured by SAGEMAKER_* / SM_MODEL_DIR / BTE_BIND_HOST)"


def main(argv: list[str]) -> int:
    if argv[:1] not in ([], ["serve"]) or len(argv) > 1:
        print(f"{USAGE}\ngot: {' '.join(argv)}", file=sys.stderr)
        return 2
    try:
        settings = ServingSettings.from_env()
    except SettingsError as exc:
        print(f"bte serving: {exc}", file=sys.stderr, flush=True)
        return 2
    serve(settings)
    return 0


def serve(settings: ServingSettings) -> None:
    """Run until SIGTERM/SIGINT. Several workers need an import string, so the app is built by factory."""
    http = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    print(
        f"bte serving: listening on {settings.host}:{settings.port}, program "
        f"{settings.submit_dir / settings.program}, {settings.workers} worker(s)",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        "emulator.serving.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        http=http,
        access_log=False,
        log_level="info",
        # The engine keeps connections open between mini-batches; a short keep-alive
        # would make it reconnect (and sometimes race a closing socket).
        timeout_keep_alive=75,
    )
