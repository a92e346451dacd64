"""The environment variables the serving shim honours, read once into one frozen value.

| variable                          | default                                    | meaning                                  |
|-----------------------------------|--------------------------------------------|------------------------------------------|
| SAGEMAKER_BIND_TO_PORT            | 8080                                       | TCP port to listen on                    |
| BTE_BIND_HOST                     | 0.0.0.0                                    | address to listen on (bte's own)         |
| SM_MODEL_DIR                      | /opt/ml/model                              | passed to ``model_fn(model_dir)``        |
| SAGEMAKER_SUBMIT_DIRECTORY        | $SM_MODEL_DIR/code, /opt/ml/code, or       | the directory holding the program        |
|                                   | $SM_MODEL_DIR (first that exists)          |                                          |
| SAGEMAKER_PROGRAM                 | inference.py                               | the handler module in that directory     |
| SAGEMAKER_MODEL_SERVER_WORKERS    | 1                                          | uvicorn worker processes                 |
| SAGEMAKER_MODEL_SERVER_TIMEOUT    | unset (no limit)                           | seconds one invocation may take -> 504   |
| BTE_HANDLER_THREADS               | 64                                         | threads that run the sync handlers       |
| SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT | application/json                        | accept for no Accept header or */*       |
| BTE_SERVING_LOG_REQUESTS          | unset                                      | "1": one log line per invocation         |

This module imports nothing of ours so that it can be copied into any image.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL_DIR = "/opt/ml/model"
DEFAULT_CODE_DIR = "/opt/ml/code"


class SettingsError(ValueError):
    """An environment variable holds a value the shim cannot use; the text names it."""


@dataclass(frozen=True)
class ServingSettings:
    host: str
    port: int
    model_dir: Path
    submit_dir: Path
    program: str
    workers: int
    timeout_s: float | None
    handler_threads: int
    log_requests: bool
    default_accept: str = "application/json"  # for a request without Accept, or with */*

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServingSettings:
        env = os.environ if env is None else env
        model_dir = Path(env.get("SM_MODEL_DIR") or DEFAULT_MODEL_DIR)
        return cls(
            host=env.get("BTE_BIND_HOST") or "0.0.0.0",
            port=_int(env, "SAGEMAKER_BIND_TO_PORT", 8080, minimum=0),
            model_dir=model_dir,
            submit_dir=_submit_dir(env, model_dir),
            program=env.get("SAGEMAKER_PROGRAM") or "inference.py",
            workers=_int(env, "SAGEMAKER_MODEL_SERVER_WORKERS", 1, minimum=1),
            timeout_s=_timeout(env),
            handler_threads=_int(env, "BTE_HANDLER_THREADS", 64, minimum=1),
            log_requests=(env.get("BTE_SERVING_LOG_REQUESTS") or "").lower() in ("1", "true", "yes"),
            # The SageMaker inference toolkit's variable and default (environment.py).
            default_accept=env.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or "application/json",
        )


def _submit_dir(env: Mapping[str, str], model_dir: Path) -> Path:
    given = env.get("SAGEMAKER_SUBMIT_DIRECTORY")
    if given:
        # The framework containers also accept an s3:// tarball here and download it;
        # the shim does not, and says so when it tries to load the program.
        return Path(given)
    for candidate in (model_dir / "code", Path(DEFAULT_CODE_DIR)):
        if candidate.is_dir():
            return candidate
    return model_dir


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer; set it to a whole number or unset it") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _timeout(env: Mapping[str, str]) -> float | None:
    raw = env.get("SAGEMAKER_MODEL_SERVER_TIMEOUT")
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(
            f"SAGEMAKER_MODEL_SERVER_TIMEOUT={raw!r} is not a number of seconds; set e.g. 60 or unset it"
        ) from None
    if value <= 0:
        raise SettingsError(f"SAGEMAKER_MODEL_SERVER_TIMEOUT={raw!r} must be greater than 0")
    return value
