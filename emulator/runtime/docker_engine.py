"""The connection to the Docker engine, error translation, and container cleanup.

Every container bte starts carries the labels ``bte.job=<job name>`` and
``bte.instance=<instance name>``. Live containers are also kept in a process-wide
registry; an ``atexit`` handler force-removes whatever is still in it when the Python
process ends (normal exit, an exception, Ctrl-C). A process killed with SIGKILL cannot
clean up after itself: ``cleanup_containers()`` finds its leftovers by label.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from emulator.processes import ProcessIdentity, is_running
from emulator.runtime.errors import DockerUnavailable, ImageNotFound, InstanceError, InstanceStartFailed

if TYPE_CHECKING:
    from docker import DockerClient

JOB_LABEL = "bte.job"
INSTANCE_LABEL = "bte.instance"
# The bte process that started the container, as "<pid>@<start time>" (emulator/processes.py):
# cleanup leaves alone the containers of a bte that still runs.
OWNER_LABEL = "bte.owner"

_HOW_TO_START = (
    "start Docker (or point DOCKER_HOST at a running engine), or run the model without "
    "Docker on bte's process runtime"
)


def connect(timeout: float = 60) -> DockerClient:
    """A client for the engine the environment points at (DOCKER_HOST or the default socket)."""
    try:
        import docker
    except ImportError as exc:
        raise DockerUnavailable(f"the docker Python package is not installed: pip install docker; or {_HOW_TO_START}") from exc
    where = os.environ.get("DOCKER_HOST") or "the default Docker socket"
    try:
        client = docker.from_env(timeout=int(timeout), max_pool_size=64)
        client.ping()
    except Exception as exc:  # docker.errors.DockerException and connection errors alike
        raise DockerUnavailable(f"no Docker engine answers at {where} ({exc}); {_HOW_TO_START}") from exc
    return client


def docker_available() -> tuple[bool, str]:
    """(True, engine description) if a Docker engine answers, else (False, why not and what to do)."""
    try:
        client = connect(timeout=5)
    except DockerUnavailable as exc:
        return False, exc.message
    try:
        version = client.version().get("Version", "unknown version")
    except Exception:  # the engine answered ping; a failing version call does not matter here
        version = "unknown version"
    finally:
        client.close()
    return True, f"Docker engine {version} answers"


@contextlib.contextmanager
def translate(action: str, *, instance: str | None = None, image: str | None = None) -> Iterator[None]:
    """Re-raise docker and connection errors as the runtime room's errors, chained.

    ``action`` completes the sentence "could not <action>", e.g. "start instance my-job-1".
    """
    from emulator.runtime.engine_socket import EngineAnswered, ImageMissing

    # The SDK's errors, where the SDK is loaded: the forked starter speaks to the engine
    # without it (engine_socket.py), and its errors mean the same things.
    sdk_errors = sys.modules.get("docker.errors")
    requests_errors = sys.modules.get("requests.exceptions")
    missing: tuple[type[BaseException], ...] = (ImageMissing,)
    answered: tuple[type[BaseException], ...] = (EngineAnswered,)
    unreachable: tuple[type[BaseException], ...] = (OSError,)
    if sdk_errors is not None:
        missing += (sdk_errors.ImageNotFound,)
        answered += (sdk_errors.APIError,)
        unreachable += (sdk_errors.DockerException,)
    if requests_errors is not None:
        unreachable += (requests_errors.ConnectionError,)
    try:
        yield
    except InstanceError:
        raise
    except missing as exc:
        raise ImageNotFound(not_built_message(image or "?", instance), image=image or "?", instance=instance) from exc
    except answered as exc:
        reason = getattr(exc, "explanation", None) or str(exc)
        raise InstanceStartFailed(f"could not {action}: the Docker engine answered: {reason}", instance=instance) from exc
    except unreachable as exc:
        raise DockerUnavailable(f"could not {action}: lost the Docker engine ({exc}); {_HOW_TO_START}", instance=instance) from exc


def not_built_message(image: str, instance: str | None) -> str:
    who = f" for instance {instance}" if instance else ""
    return (
        f"image {image!r}{who} is not built locally, and bte never pulls images. "
        f"Build it first: `bte image build` for bte's sample images, or "
        f"`docker build -t {image} <directory with its Dockerfile>` for your own."
    )


class _LiveContainers:
    """Containers started by this process and not yet removed: id -> (name, a call that
    removes it, taking ``force=``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._containers: dict[str, tuple[str, Callable[..., Any]]] = {}

    def add(self, container_id: str, name: str, remove: Callable[..., Any]) -> None:
        with self._lock:
            self._containers[container_id] = (name, remove)

    def discard(self, container_id: str) -> None:
        with self._lock:
            self._containers.pop(container_id, None)

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._containers)

    def remove_all(self) -> None:
        """Force-remove every live container; used at interpreter exit."""
        with self._lock:
            containers = list(self._containers.values())
            self._containers.clear()
        for name, remove in containers:
            try:
                remove(force=True)
            except Exception as exc:  # at exit there is no caller left to raise to
                if "No such container" in str(exc) or "404" in str(exc):
                    continue
                print(
                    f"bte: could not remove container {name} at exit ({exc}); "
                    f"remove it with `docker rm -f {name}`",
                    file=sys.stderr,
                )


LIVE_CONTAINERS = _LiveContainers()
atexit.register(LIVE_CONTAINERS.remove_all)


def cleanup_containers(
    job_name: str | None = None, client: DockerClient | None = None, *, orphans_only: bool = False
) -> list[str]:
    """Force-remove the containers bte left behind: those of ``job_name``, or all of bte's.

    Returns the names of the containers removed. Finds them by the ``bte.job`` label, so it
    also removes containers of a bte process that was killed before it could clean up.
    With ``orphans_only``, only containers whose ``bte.owner`` process is gone are removed.
    """
    own = client is None
    engine = connect() if client is None else client
    label = JOB_LABEL if job_name is None else f"{JOB_LABEL}={job_name}"
    removed: list[str] = []
    try:
        with translate(f"clean up containers labelled {label}"):
            for container in engine.containers.list(all=True, filters={"label": label}):
                if orphans_only and not owner_gone(container.labels.get(OWNER_LABEL, "")):
                    continue
                with contextlib.suppress(_not_found_error()):
                    container.remove(force=True)
                    removed.append(container.name)
                LIVE_CONTAINERS.discard(container.id)
    finally:
        if own:
            engine.close()
    return removed


def owner_gone(label: str) -> bool:
    """Whether the bte process an owner label names is gone (False without a label: a
    container whose owner is unknown is not known to be left behind)."""
    owner = ProcessIdentity.from_label(label)
    return owner is not None and not is_running(owner)


def _not_found_error() -> Any:
    import docker.errors

    return docker.errors.NotFound
