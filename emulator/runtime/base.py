"""The runtime interface: start a model instance, find its URL, read its logs, stop it.

A ``Runtime`` turns an ``InstanceSpec`` into a running ``Instance`` that serves the
SageMaker container contract (``/ping``, ``/invocations``) at ``Instance.url``, always on
``127.0.0.1``. ``start`` returns as soon as the instance is launched; waiting for the
first healthy ``/ping`` is the engine's job. ``stop`` is idempotent and always leaves
nothing behind (no container, no process group).

Two implementations: ``DockerRuntime`` (``docker_runtime.py``) and ``ProcessRuntime``
(``process_runtime.py``); ``get_runtime`` picks one by name.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

#: ``on_log(instance_name, line)``: called from a reader thread for each log line.
LogCallback = Callable[[str, str], None]

#: The address every instance listens on, as seen from bte.
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class InstanceSpec:
    """What to start.

    ``environment`` is the merged environment the model must see (the engine merges model
    and job environments); a runtime adds only the variables that say where to listen
    (``SAGEMAKER_BIND_TO_PORT``, ``BTE_BIND_HOST``) and, for the process runtime, where
    the model is (``SM_MODEL_DIR``, ``SAGEMAKER_SUBMIT_DIRECTORY``).
    """

    name: str
    job_name: str
    environment: dict[str, str] = field(default_factory=dict)
    instance_type: str = "ml.m5.large"
    image: str | None = None
    model_dir: str | None = None
    code_dir: str | None = None


@runtime_checkable
class Instance(Protocol):
    """One running model server. ``notes`` are things a user should read (e.g. capped limits)."""

    name: str
    url: str
    notes: tuple[str, ...]

    def is_alive(self) -> bool: ...

    def exit_code(self) -> int | None: ...

    def log_tail(self, n: int = 20) -> list[str]: ...

    def stop(self) -> None: ...


@runtime_checkable
class Runtime(Protocol):
    name: str

    def start(self, spec: InstanceSpec, on_log: LogCallback | None = None) -> Instance: ...


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    Used where the model server itself must be told its port (host network, local
    process). Another program can take the port between this call and the server's bind;
    the engine sees that as an instance that exits early, with the bind error in its log.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def url_for(port: int) -> str:
    return f"http://{LOOPBACK}:{port}"


def prefixed_writer(write: Callable[[str], object]) -> LogCallback:
    """An ``on_log`` that writes each line as ``[instance-name] line``, e.g. to stderr."""

    def on_log(instance_name: str, line: str) -> None:
        write(f"[{instance_name}] {line}\n")

    return on_log
