"""``bte serve``: bind, end what a dead server left running, print the URL, serve.

The first line on stdout is the endpoint URL (``http://127.0.0.1:PORT``), printed once the
socket listens, so a test or a script can start ``bte serve --port 0`` and read it.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.api.settings import ServerSettings

if TYPE_CHECKING:
    from emulator.api.signature import Credential
    from emulator.locals3.supervisor import LocalS3

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bte", "AWS_SECRET_ACCESS_KEY": "bte"}
SDK_CONFIG = "sagemaker-config.yaml"
# The SageMaker Python SDK names its default bucket after the account it asks STS for, and
# it asks STS at a fixed https:// URL that no endpoint setting changes. Naming the bucket in
# the SDK's own config file (SAGEMAKER_USER_CONFIG_OVERRIDE) spares that call.
_SDK_CONFIG_TEXT = """\
# Written by bte serve. Point the SageMaker Python SDK here:
#   export SAGEMAKER_USER_CONFIG_OVERRIDE={path}
SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
      Session:
        DefaultS3Bucket: sagemaker-{region}-{account}
"""


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
    from emulator.api.request_guard import RequestGuard, exposure_warning
    from emulator.api.signature import Credential
    from emulator.store.db import Store

    credential = Credential.parse(settings.credentials) if settings.credentials else None
    _prepare_environment(settings, credential)
    store = Store(settings.state_dir)
    local_s3 = _start_local_s3(store.root) if settings.s3 == "local" else None
    ended = recover(store, external_s3=settings.s3_endpoint_url)
    sock = bind(settings.host, settings.port)
    settings.url = settings.own_url(sock.getsockname()[1])
    guard = RequestGuard(build_app(store, settings, local_s3.app if local_s3 else None), credential)
    app = local_s3.stopping_with(guard) if local_s3 is not None else guard
    sdk_config = write_sdk_config(store.root, settings)
    print(settings.url, flush=True)
    warning = exposure_warning(settings.host)
    if warning:
        print(f"bte serve: {warning}", file=sys.stderr, flush=True)
    # Never print the secret of --credentials: a terminal's scroll-back is not a secret store.
    keys = (f"AWS_ACCESS_KEY_ID={credential.access_key_id} AWS_SECRET_ACCESS_KEY='<the secret given to --credentials>'"
            if credential else "AWS_ACCESS_KEY_ID=bte AWS_SECRET_ACCESS_KEY=bte")
    print(f"bte serve: point clients here with\n  export AWS_ENDPOINT_URL={settings.url} {keys} "
          f"AWS_DEFAULT_REGION={settings.region}\n"
          f"  export SAGEMAKER_USER_CONFIG_OVERRIDE={sdk_config}   # the SageMaker Python SDK",
          file=sys.stderr, flush=True)
    for name in ended:
        print(f"bte serve: job {name} was running when bte last stopped: ended as Failed", file=sys.stderr, flush=True)
    print(f"bte serve: state in {store.root}; jobs read and write S3 at {settings.jobs_s3_endpoint()}",
          file=sys.stderr, flush=True)
    print(f"bte serve: the web page is at {settings.url}/ui", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        if local_s3 is not None:
            local_s3.stop()
        store.close()
    return 0


def _start_local_s3(root: Path) -> LocalS3:
    from emulator.locals3.supervisor import LocalS3

    local_s3 = LocalS3(root)
    local_s3.start()
    print(f"bte serve: S3 objects kept on disk in {local_s3.weed.data_dir} (SeaweedFS at "
          f"{local_s3.weed.endpoint_url}, reached through this server)", file=sys.stderr, flush=True)
    return local_s3


def write_sdk_config(root: Path, settings: ServerSettings) -> Path:
    """The SageMaker Python SDK config file for this server (see ``_SDK_CONFIG_TEXT``)."""
    path = root / SDK_CONFIG
    path.write_text(_SDK_CONFIG_TEXT.format(path=path, region=settings.region, account=settings.account))
    return path


def _prepare_environment(settings: ServerSettings, credential: Credential | None) -> None:
    # moto files every unsigned or unknown-key request under one account: make it the
    # account of bte's ARNs, so STS GetCallerIdentity and the ARNs agree.
    os.environ.setdefault("MOTO_ACCOUNT_ID", settings.account)
    if settings.state_dir:  # every room of this process (run records, the store) uses one state directory
        os.environ["BTE_STATE_DIR"] = str(settings.state_dir)
    if settings.s3_endpoint_url is None:
        # Jobs read and write this server's own S3, which checks no signature; boto3 still
        # needs some credentials to sign with.
        if credential is not None:  # the server's own S3 now checks signatures: jobs sign with its pair
            os.environ.update(AWS_ACCESS_KEY_ID=credential.access_key_id,
                              AWS_SECRET_ACCESS_KEY=credential.secret_access_key)
        elif not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            os.environ.update(DUMMY_CREDENTIALS)
        os.environ.setdefault("AWS_DEFAULT_REGION", settings.region)
