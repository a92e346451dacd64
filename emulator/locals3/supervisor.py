"""``bte serve --s3 local``: a SeaweedFS that lives under the state directory and is
restarted if it dies.

    <state dir>/s3/          weed mini's data folder: buckets, objects, its log (weed.log)

Objects uploaded and the outputs jobs write survive a restart of ``bte serve`` (and of
weed), like its job store. weed listens on free loopback ports only, runs without
authentication (bte checks ``--credentials`` in front of it) and is stopped with the
server; if bte serve is killed outright, the kernel stops weed too (``weed.py``).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from emulator.locals3.forward import Message, Receive, S3Forwarder, Scope, Send
from emulator.locals3.weed import INSTALL_HINT, WeedError, WeedServer, weed_binary

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
log = logging.getLogger("bte.locals3")
CHECK_EVERY_S = 1.0


def check_installed() -> None:
    """Raise WeedError, saying what to install, unless weed and httpx are both there."""
    weed_binary()
    try:
        import httpx  # noqa: F401
    except ImportError as exc:
        raise WeedError(f"bte serve --s3 local forwards S3 requests with httpx, which is not installed: {INSTALL_HINT}.") from exc


class LocalS3:
    """The supervised weed and the ASGI app (``app``) that forwards S3 requests to it."""

    def __init__(self, state_root: Path) -> None:
        self.weed = WeedServer(Path(state_root) / "s3")
        self.app = S3Forwarder(lambda: self.weed.endpoint_url)
        self.restarts = 0
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        check_installed()
        self.weed.start()
        # The watcher both checks and restarts weed, so it outlives every weed it starts (a
        # weed dies with the thread that started it; weed.py).
        self._watcher = threading.Thread(target=self._watch, name="bte-local-s3", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(CHECK_EVERY_S):
            if self.weed.alive():
                continue
            _say(f"the local S3 (SeaweedFS) stopped; starting it again on {self.weed.data_dir} "
                 f"(its log: {self.weed.log_path})")
            try:
                self.weed.start()
                self.restarts += 1
            except WeedError as exc:
                _say(f"the local S3 did not start again: {exc}; trying again in {CHECK_EVERY_S:g} s")

    def stopping_with(self, app: ASGIApp) -> ASGIApp:
        """``app``, made to stop weed when the server shuts down: after the app's own
        shutdown (jobs stop first: they may still be writing outputs), before the server
        says it is done. (uvicorn ends the process with the signal it caught right after,
        so code after ``server.run`` never runs on SIGTERM.)"""

        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "lifespan":
                await app(scope, receive, send)
                return

            async def on_send(message: Message) -> None:
                if message["type"] == "lifespan.shutdown.complete":
                    await asyncio.to_thread(self.stop)
                await send(message)

            await app(scope, receive, on_send)

        return wrapped

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        self.weed.stop()


def _say(text: str) -> None:
    log.warning(text)
    print(f"bte serve: {text}", file=sys.stderr, flush=True)
