"""Riding out an S3 endpoint that is down for a while: restarting, or behind a proxy whose
server is away.

botocore's ``standard`` retry mode tries a request 3 times within about a second. A server
that restarts (SeaweedFS, MinIO, a Ceph gateway) refuses connections for a few seconds,
then may answer 500 until its storage has come back (SeaweedFS: until the volume server
has re-registered its volumes, ~4 s). So bte adds one more botocore ``needs-retry``
handler to each S3 client, registered first so that its delay wins:

- a refused, dropped or timed-out connection, or a 502/503/504 (a proxy in front of a
  server that is away), is retried until BTE_S3_OUTAGE_SECONDS (default 30; 0 turns this
  off) after that request's first such failure, at most a second apart;
- a 500 is treated the same way only while the endpoint is recovering: after a connection
  failure and before any answer under 500. Otherwise (a 500 from a healthy server, e.g.
  SeaweedFS refusing SSE-KMS) it is left to botocore's own few retries, so real errors
  still fail fast.

Then the request fails as botocore would have, and the storage room names the endpoint
and the object (``s3_client.translate``). Each retry and the giving-up are logged as
warnings on the ``bte.storage`` logger.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import botocore.exceptions

from emulator.storage.errors import StorageError

OUTAGE_ENV = "BTE_S3_OUTAGE_SECONDS"
DEFAULT_OUTAGE_SECONDS = 30.0
_AWAY_STATUS = (502, 503, 504)
_CONNECTION_ERRORS = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)

log = logging.getLogger("bte.storage")


def outage_seconds() -> float:
    """How long one S3 request keeps retrying an endpoint that is down (BTE_S3_OUTAGE_SECONDS)."""
    raw = os.environ.get(OUTAGE_ENV, "").strip()
    if not raw:
        return DEFAULT_OUTAGE_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise StorageError(f"{OUTAGE_ENV}={raw!r} is not a number of seconds (0 or more); unset it for the default of 30.")
    return value


class OutageRetry:
    """The ``needs-retry`` handler for one client (one endpoint); see the module's docstring."""

    def __init__(self, window: float, endpoint: str) -> None:
        self.window = window
        self.endpoint = endpoint
        self._recovering = False  # a connection failed, and no answer under 500 came since
        self._lock = threading.Lock()

    def __call__(
        self,
        attempts: int,
        request_dict: dict[str, Any],
        caught_exception: Exception | None = None,
        response: Any = None,
        **_: Any,
    ) -> float | bool | None:
        status = response[0].status_code if response is not None else None
        with self._lock:
            if isinstance(caught_exception, _CONNECTION_ERRORS):
                self._recovering = True
                cause = type(caught_exception).__name__
            elif status in _AWAY_STATUS or (status == 500 and self._recovering):
                cause = f"HTTP {status}"
            else:
                if status is not None and status < 500:
                    self._recovering = False
                return None
        context = request_dict["context"]
        now = time.monotonic()
        first = "bte_outage_started" not in context
        started: float = context.setdefault("bte_outage_started", now)
        what = f"{request_dict.get('method', '')} {request_dict.get('url', self.endpoint)}"
        if now - started >= self.window:
            log.warning("S3 endpoint %s still unavailable after %.0f s (%s): giving up on %s (%s)",
                        self.endpoint, now - started, OUTAGE_ENV, what, cause)
            return False  # not None: botocore's own handler must not retry it further
        if first:
            log.warning("S3 endpoint %s unavailable (%s); retrying %s for up to %g s (%s)",
                        self.endpoint, cause, what, self.window, OUTAGE_ENV)
        return float(min(0.25 * 2 ** min(attempts - 1, 4), 1.0, started + self.window - now))
