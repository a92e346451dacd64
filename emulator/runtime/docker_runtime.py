"""The Docker runtime: each instance is ``docker run IMAGE serve``, as SageMaker starts it.

- Model artifacts (a host directory) are mounted read-only at ``/opt/ml/model``.
- CPU and memory limits come from the instance type, capped to the engine's host
  (``instance_types.resolve_limits``).
- Two network modes, chosen by the ``network`` argument or ``BTE_DOCKER_NETWORK``:
  ``bridge`` (default): the container's own port (8080, or the environment's
  ``SAGEMAKER_BIND_TO_PORT``) at the container's address on the bridge, where the host
  reaches it (a rootful engine on this Linux host), else published on 127.0.0.1:<free
  port> (``reaches_containers``); ``host`` shares the host's network and tells the server
  to listen on 127.0.0.1:<free port> through ``SAGEMAKER_BIND_TO_PORT`` and
  ``BTE_BIND_HOST``.
- A missing image is an ``ImageNotFound`` error; bte never pulls.
- Containers are always removed: on ``stop``, on a failed start, and at interpreter exit
  (see ``docker_engine``).
"""

from __future__ import annotations

import os
import re
import sys
import threading
from typing import TYPE_CHECKING, Any

from emulator.runtime.base import LOOPBACK, InstanceSpec, LogCallback, free_port, url_for
from emulator.processes import this_process
from emulator.runtime.docker_engine import INSTANCE_LABEL, JOB_LABEL, LIVE_CONTAINERS, OWNER_LABEL, connect, translate
from emulator.runtime.engine_socket import EngineSocket
from emulator.runtime.errors import InstanceError, InstanceStartFailed
from emulator.runtime.instance_types import Limits, resolve_limits
from emulator.runtime.logs import LogPump, LogTail

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

NETWORK_ENV = "BTE_DOCKER_NETWORK"
# "1": in bridge mode, always publish the container's port on 127.0.0.1 (docs/runtime.md)
PUBLISH_ENV = "BTE_DOCKER_PUBLISH"
NETWORK_MODES = ("bridge", "host")
MODEL_MOUNT = "/opt/ml/model"
CONTAINER_PORT = 8080
_PORT_TAKEN = ("address already in use", "port is already allocated")


def network_mode(requested: str | None = None) -> str:
    """The network mode to use: ``requested``, else ``$BTE_DOCKER_NETWORK``, else ``bridge``."""
    mode = requested or os.environ.get(NETWORK_ENV) or "bridge"
    if mode not in NETWORK_MODES:
        raise InstanceError(f"Docker network mode {mode!r} is not supported: use 'bridge' or 'host' ({NETWORK_ENV})")
    return mode


class DockerInstance:
    """A running container; see ``Instance`` in ``base.py`` for the contract."""

    def __init__(self, container: Container, url: str, limits: Limits, tail: LogTail, stop_timeout: float) -> None:
        self.container = container
        self.name: str = container.labels.get(INSTANCE_LABEL, container.name)
        self.url = url
        self.limits = limits
        self.notes = limits.notes
        self._tail = tail
        self._stop_timeout = stop_timeout
        self._pump: LogPump | None = None
        self._stream: Any = None
        self._lock = threading.Lock()
        self._stopped = False
        self._final_exit_code: int | None = None

    def _follow_logs(self, on_log: LogCallback | None) -> None:
        with translate(f"read the logs of instance {self.name}", instance=self.name):
            self._stream = self.container.logs(stream=True, follow=True, stdout=True, stderr=True)
        self._pump = LogPump(self.name, self._stream, self._tail, on_log)
        self._pump.start()

    def _state(self) -> dict[str, Any] | None:
        """The container's State from the engine, or None once it no longer exists."""
        import docker.errors

        with translate(f"inspect instance {self.name}", instance=self.name):
            try:
                self.container.reload()
            except docker.errors.NotFound:
                return None
        state: dict[str, Any] = self.container.attrs.get("State", {})
        return state

    def is_alive(self) -> bool:
        if self._stopped:
            return False
        state = self._state()
        return state is not None and state.get("Status") in ("running", "paused")

    def exit_code(self) -> int | None:
        if self._stopped:
            return self._final_exit_code
        state = self._state()
        if state is None or state.get("Status") not in ("exited", "dead"):
            return None
        code: int = state.get("ExitCode", 0)
        return code

    def log_tail(self, n: int = 20) -> list[str]:
        # Once the container has stopped, give the reader a moment to deliver its last lines.
        if self._pump is not None and (self._stopped or not self.is_alive()):
            self._pump.join(2.0)
        return self._tail.last(n)

    def stop(self) -> None:
        """Kill and remove the container, after reading its log to the last line.

        By the time bte stops an instance every output is committed (or the job is being
        stopped), so the model server's clean shutdown changes nothing a user sees; waiting
        out its SIGTERM grace period cost about 1 s a job (5 s for images that ignore
        SIGTERM). ``stop_timeout`` > 0 brings the grace period back."""
        import docker.errors

        with self._lock:
            if self._stopped:
                return
            with translate(f"stop instance {self.name}", instance=self.name):
                try:
                    if self._stop_timeout > 0:
                        self.container.stop(timeout=int(self._stop_timeout))
                    else:
                        self._kill()
                    self._final_exit_code = self.container.wait(timeout=10).get("StatusCode")
                except docker.errors.NotFound:
                    pass  # already removed (e.g. by cleanup_containers): nothing to stop
                # The log stream ends when the container does: read it to its last line first.
                if self._pump is not None and not self._pump.join(2.0) and self._stream is not None:
                    self._stream.close()  # the engine did not end the stream; cut it so the thread ends
                    self._pump.join(2.0)
                try:
                    self.container.remove(force=True)
                except docker.errors.NotFound:
                    pass
            self._stopped = True
            LIVE_CONTAINERS.discard(self.container.id)

    def _kill(self) -> None:
        import docker.errors

        try:
            self.container.kill()
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: not running any more, which is what we want
                raise

    def __repr__(self) -> str:
        return f"DockerInstance(name={self.name!r}, url={self.url!r}, container={self.container.name!r})"


class DockerRuntime:
    """Starts instances as Docker containers. ``client`` defaults to the environment's engine.

    Containers are created and started through ``self.api``: the Docker SDK's low-level
    client, or (``over_socket``: the forked starter, before the SDK is imported) an
    ``EngineSocket`` with the same calls. Logs, state and stop always use the SDK."""

    name = "docker"

    def __init__(
        self,
        client: DockerClient | None = None,
        network: str | None = None,
        stop_timeout: float = 0.0,
        log_capacity: int = 200,
    ) -> None:
        self.network = network_mode(network)
        self._own_client = client is None
        self.client = connect() if client is None else client
        self.api: Any = self.client.api
        self.stop_timeout = stop_timeout
        self.log_capacity = log_capacity
        self._host: tuple[int | None, int | None] | None = None
        self._publish: bool | None = None

    @classmethod
    def over_socket(cls, engine: EngineSocket, network: str | None = None) -> DockerRuntime:
        """A runtime that can only create and start containers (``create_and_start``,
        ``host_resources``), over ``engine`` and without importing the Docker SDK."""
        runtime = cls.__new__(cls)
        runtime.network = network_mode(network)
        runtime._own_client = False
        runtime.client = None
        runtime.api = engine
        runtime.stop_timeout = 0.0
        runtime.log_capacity = 0
        runtime._host = None
        runtime._publish = None
        return runtime

    def close(self) -> None:
        """Close the engine connection if this runtime opened it (instances must be stopped first)."""
        if self._own_client:
            self.client.close()

    def host_resources(self) -> tuple[int | None, int | None]:
        """(CPUs, memory bytes) of the engine's host, which may be a VM (Docker Desktop)."""
        if self._host is None:
            with translate("read the Docker engine's CPU and memory (docker info)"):
                info = self.api.info()
            self._host = (info.get("NCPU"), info.get("MemTotal"))
            self._publish = self.network == "bridge" and not reaches_containers(info)
        return self._host

    @property
    def publishes_ports(self) -> bool:
        """Bridge mode, where the host cannot reach a container at its own address."""
        if self._publish is None:
            self.host_resources()
        return bool(self._publish)

    def limits_for(self, instance_type: str) -> Limits:
        cpus, memory = self.host_resources()
        return resolve_limits(instance_type, cpus, memory)

    def start(self, spec: InstanceSpec, on_log: LogCallback | None = None) -> DockerInstance:
        container_id, port, limits = self.create_and_start(spec)
        return self.adopt(container_id, port, limits, on_log)

    def create_and_start(self, spec: InstanceSpec, owner: str | None = None) -> tuple[str, int | None, Limits]:
        """Create and start ``spec``'s container: (container id, the port bte talks to on
        127.0.0.1, or None where it talks to the container's own address, limits).
        ``owner`` (default: this process) is the owner label that orphan cleanup checks."""
        if not spec.image:
            raise InstanceStartFailed(f"instance {spec.name} of job {spec.job_name} has no image to run", instance=spec.name)
        self._check_image(spec)
        model_dir = _model_dir(spec)
        limits = self.limits_for(spec.instance_type)
        for attempt in range(3):
            container, port = self._create(spec, model_dir, limits, owner)
            try:
                with translate(f"start instance {spec.name} of job {spec.job_name} from image {spec.image}", instance=spec.name):
                    self.api.start(container)
                return container, port, limits
            except InstanceStartFailed as exc:
                self._remove_quietly(container)
                if 'exec: "serve"' in exc.message:
                    raise InstanceStartFailed(
                        f"{exc.message}. SageMaker starts a model container as `docker run IMAGE serve`: "
                        f"image {spec.image} needs an exec-form ENTRYPOINT that starts its server "
                        "when given the argument `serve`",
                        instance=spec.name,
                    ) from exc.__cause__
                # A published port: another program took the chosen port between pick and bind.
                if attempt < 2 and port is not None and any(s in exc.message for s in _PORT_TAKEN):
                    continue
                raise
            except BaseException:  # Ctrl-C or anything else mid-start: never leave the container
                self._remove_quietly(container)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def adopt(self, container_id: str, port: int | None, limits: Limits,
              on_log: LogCallback | None = None) -> DockerInstance:
        """The instance of a container ``create_and_start`` started (here, or in another
        process for this one)."""
        try:
            with translate(f"inspect container {container_id}"):
                container = self.client.containers.get(container_id)
        except BaseException:
            self._remove_quietly(container_id)
            raise
        LIVE_CONTAINERS.add(container.id, container.name, container.remove)
        return self._follow(container, url_for(port) if port is not None else _own_address(container), limits, on_log)

    def _follow(self, container: Container, url: str, limits: Limits, on_log: LogCallback | None) -> DockerInstance:
        instance = DockerInstance(container, url, limits, LogTail(self.log_capacity), self.stop_timeout)
        try:
            instance._follow_logs(on_log)  # from the container's first line
        except BaseException:
            self._remove_quietly(container.id)
            raise
        return instance

    def image_labels(self, image: str) -> dict[str, str]:
        """A local image's labels (an inference pipeline's images must carry one; runtime/pipeline.py)."""
        with translate(f"look up image {image}", image=image):
            return dict(self.client.images.get(image).labels or {})

    def _check_image(self, spec: InstanceSpec) -> None:
        """Fail before ``create``: the SDK's ``run`` would try to pull a missing image."""
        with translate(f"look up image {spec.image}", instance=spec.name, image=spec.image):
            self.api.inspect_image(spec.image)

    def _create(self, spec: InstanceSpec, model_dir: str | None, limits: Limits,
                owner: str | None = None) -> tuple[str, int | None]:
        port = free_port() if self.network == "host" or self.publishes_ports else None
        labels = {JOB_LABEL: spec.job_name, INSTANCE_LABEL: spec.name, OWNER_LABEL: owner or this_process().as_label()}
        config = container_request(spec, model_dir, limits, labels, port, self.network)
        name = _container_name(spec.name)
        with translate(f"create the container of instance {spec.name} from image {spec.image}", instance=spec.name, image=spec.image):
            container_id: str = self.api.create_container_from_config(config, name)["Id"]
        LIVE_CONTAINERS.add(container_id, name, lambda **kw: self.api.remove_container(container_id, **kw))
        return container_id, port

    def _remove_quietly(self, container_id: str) -> None:
        try:
            self.api.remove_container(container_id, force=True)
        except Exception:  # best effort on a path that is already raising the real error
            pass
        LIVE_CONTAINERS.discard(container_id)


def reaches_containers(info: dict[str, Any]) -> bool:
    """Whether this host reaches a container on the engine's default bridge at the
    container's own address: a rootful engine on this Linux machine's own socket. Docker
    Desktop (a VM), a rootless engine (its own network namespace) or a remote engine do
    not; nor does ``BTE_DOCKER_PUBLISH=1``. Talking to the container's address spares the
    port proxy that a published port needs, which the engine tears down at every stop
    (about 0.05 s of each instance's stop)."""
    if os.environ.get(PUBLISH_ENV) == "1" or not sys.platform.startswith("linux"):
        return False
    if EngineSocket.from_environment() is None:
        return False
    if "docker desktop" in str(info.get("OperatingSystem") or "").lower():
        return False
    return not any("rootless" in str(option) for option in info.get("SecurityOptions") or [])


def _own_address(container: Container) -> str:
    """http://<the container's bridge address>:<the port its server listens on>."""
    settings = container.attrs.get("NetworkSettings") or {}
    address = settings.get("IPAddress") or next(
        (n.get("IPAddress") for n in (settings.get("Networks") or {}).values() if n.get("IPAddress")), None)
    if not address:
        raise InstanceStartFailed(f"container {container.name} has no address on the bridge network; "
                                  f"set {PUBLISH_ENV}=1 to publish its port instead", instance=container.name)
    env = dict(item.split("=", 1) for item in container.attrs.get("Config", {}).get("Env") or [] if "=" in item)
    return f"http://{address}:{env.get('SAGEMAKER_BIND_TO_PORT') or CONTAINER_PORT}"


def container_request(spec: InstanceSpec, model_dir: str | None, limits: Limits, labels: dict[str, str],
                      port: int | None, network: str) -> dict[str, Any]:
    """The body of the Engine API's ``POST /containers/create`` for an instance: what the
    SDK's ``containers.create`` sends for the same arguments (its fields left unset are not
    sent; tests/runtime/test_engine_socket.py compares the two), written out so that the
    forked starter can send it before the SDK is imported. ``port``: on the host network,
    the one the server listens on; on the bridge, the one its port is published on, or
    None to publish nothing."""
    environment = dict(spec.environment)
    host_config: dict[str, Any] = {}
    config: dict[str, Any] = {}
    if network == "host":
        environment["SAGEMAKER_BIND_TO_PORT"] = str(port)
        environment["BTE_BIND_HOST"] = LOOPBACK
        host_config["NetworkMode"] = "host"
    else:
        host_config["NetworkMode"] = "default"
        if port is not None:
            container_port = f"{environment.get('SAGEMAKER_BIND_TO_PORT') or CONTAINER_PORT}/tcp"
            config["ExposedPorts"] = {container_port: {}}
            host_config["PortBindings"] = {container_port: [{"HostIp": LOOPBACK, "HostPort": str(port)}]}
    if model_dir is not None:
        host_config["Binds"] = [f"{model_dir}:{MODEL_MOUNT}:ro"]
        config["Volumes"] = {MODEL_MOUNT: {}}
    if limits.nano_cpus is not None:
        host_config["NanoCpus"] = limits.nano_cpus
    if limits.memory_bytes is not None:
        host_config["Memory"] = limits.memory_bytes
        host_config["MemorySwap"] = limits.memory_bytes  # no swap on top, as on a SageMaker instance
    return {
        **config,
        "Image": spec.image,
        "Cmd": ["serve"],
        "Env": [f"{key}={value}" for key, value in environment.items()],
        "Labels": labels,
        "HostConfig": host_config,
        "Tty": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "AttachStdin": False,
        "AttachStdout": True,
        "AttachStderr": True,
        "NetworkDisabled": False,
    }


def _container_name(instance_name: str) -> str:
    # Unique even when a leftover of an earlier run still holds the plain name.
    safe = re.sub(r"[^a-zA-Z0-9_.-]", "-", instance_name)[:200]
    return f"bte-{safe}-{os.urandom(3).hex()}"  # not secrets: its imports cost 9 ms before the start


def _model_dir(spec: InstanceSpec) -> str | None:
    if spec.model_dir is None:
        return None
    path = os.path.abspath(spec.model_dir)
    if not os.path.isdir(path):
        raise InstanceStartFailed(
            f"model artifacts directory {path} of instance {spec.name} (job {spec.job_name}) does not exist",
            instance=spec.name,
        )
    return path

