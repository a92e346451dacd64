"""``bte serve``: bind, end what a dead server left running, print the URL, serve.

The first line on stdout is the endpoint URL (``http://127.0.0.1:PORT``), printed once the
socket listens, so a test or a script can start ``bte serve --port 0`` and read it.
"""

from __future__ import annotations

import os
import socket
import sys

from emulator.api.settings import ServerSettings

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bte", "AWS_SECRET_ACCESS_KEY": "bte"}


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are
    # TCP, and without it every answer waits ~40 ms on the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(settings: ServerSettings) -> int:
    import uvicorn

    from emulator.api.app import build_app
    from emulator.api.recovery import recover
    from emulator.store.db import Store

    _prepare_environment(settings)
    store = Store(settings.state_dir)
    ended = recover(store)
    sock = bind(settings.host, settings.port)
    settings.url = settings.own_url(sock.getsockname()[1])
    app = build_app(store, settings)
    print(settings.url, flush=True)
    for name in ended:
        print(f"bte serve: job {name} was running when bte last stopped: ended as Failed", file=sys.stderr, flush=True)
    print(f"bte serve: state in {store.root}; jobs read and write S3 at {settings.jobs_s3_endpoint()}",
          file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        store.close()
    return 0


def _prepare_environment(settings: ServerSettings) -> None:
    # moto files every unsigned or unknown-key request under one account: make it the
    # account of bte's ARNs, so STS GetCallerIdentity and the ARNs agree.
    os.environ.setdefault("MOTO_ACCOUNT_ID", settings.account)
    if settings.s3_endpoint_url is None:
        # Jobs read and write this server's own S3, which checks no signature; boto3 still
        # needs some credentials to sign with.
        if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            os.environ.update(DUMMY_CREDENTIALS)
        os.environ.setdefault("AWS_DEFAULT_REGION", settings.region)
