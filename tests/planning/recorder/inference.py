"""recorder: answers every request with its own body, and keeps a copy of each body it was
sent, as the container received it, under $RECORD_DIR/<its port>/ (a test reads them back
to check that the plan predicted every mini-batch's bytes and instance). It declares no
/execution-parameters, so a job's parameters are the request's or the defaults."""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

_count = itertools.count()
_lock = threading.Lock()


def model_fn(model_dir: str) -> Path:
    folder = Path(os.environ["RECORD_DIR"]) / os.environ["SAGEMAKER_BIND_TO_PORT"]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def transform_fn(folder: Path, body: bytes | bytearray | str, content_type: str, accept: str) -> tuple[bytes, str]:
    # As the SageMaker inference toolkit hands it: a str for text/csv and application/json
    # (UTF-8 decoded), a bytearray otherwise; the bytes on the wire either way.
    received = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    with _lock:
        n = next(_count)
    (folder / f"{n:06d}.bin").write_bytes(received)
    return received, accept or content_type
