"""The forked starter's own Engine API client (emulator/runtime/engine_socket.py) against the
real engine: it sends what the Docker SDK sends, and a container it starts is the SDK's in
every setting an instance has."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docker.models.containers import _create_container_args

from emulator.runtime import DockerRuntime, ImageNotFound, InstanceSpec
from emulator.runtime.docker_engine import OWNER_LABEL
from emulator.runtime.docker_runtime import container_request, reaches_containers
from emulator.runtime.engine_socket import EngineAnswered, EngineSocket
from emulator.runtime.instance_types import resolve_limits
from tests.runtime.helpers import wait_ready

pytestmark = pytest.mark.docker

LABELS = {"bte.job": "j", "bte.instance": "j-1", OWNER_LABEL: "1@x:2"}


def sdk_body(docker_client, **kwargs) -> dict:  # type: ignore[no-untyped-def]
    """What docker-py's containers.create posts for these arguments (it leaves out None)."""
    args = _create_container_args({**kwargs, "version": docker_client.api._version})
    args.pop("name", None)
    config = docker_client.api.create_container_config(**args)
    return {key: value for key, value in config.items() if value is not None}


@pytest.mark.parametrize("network", ["bridge", "bridge published", "host"])
@pytest.mark.parametrize("with_model", [True, False])
def test_the_create_request_is_the_one_the_sdk_sends(docker_client, network, with_model, tmp_path) -> None:
    environment = {"SAGEMAKER_BATCH": "true", "A": "1"}
    spec = InstanceSpec(name="j-1", job_name="j", image="img:latest", environment=environment, instance_type="ml.m5.large")
    limits = resolve_limits("ml.m5.large", 2, 8 << 30)
    model_dir = str(tmp_path) if with_model else None
    port = None if network == "bridge" else 4321
    ours = container_request(spec, model_dir, limits, LABELS, port, network.split()[0])
    kwargs: dict = dict(image="img:latest", command=["serve"], labels=LABELS, nano_cpus=limits.nano_cpus,
                        mem_limit=limits.memory_bytes, memswap_limit=limits.memory_bytes)
    if network == "host":
        kwargs.update(network_mode="host",
                      environment={**environment, "SAGEMAKER_BIND_TO_PORT": "4321", "BTE_BIND_HOST": "127.0.0.1"})
    elif network == "bridge published":
        kwargs.update(ports={"8080/tcp": ("127.0.0.1", 4321)}, environment=environment)
    else:
        kwargs.update(environment=environment)
    if model_dir:
        kwargs["volumes"] = {model_dir: {"bind": "/opt/ml/model", "mode": "ro"}}
    assert json.loads(json.dumps(ours)) == sdk_body(docker_client, **kwargs)


@pytest.mark.parametrize("publish", ["1", "0"])
def test_a_container_started_over_the_socket_is_the_sdks_in_every_setting(
    docker_client, plain_http_image, job_name, model_dir, monkeypatch, publish
) -> None:
    monkeypatch.setenv("BTE_DOCKER_PUBLISH", publish)
    spec = InstanceSpec(name=f"{job_name}-1", job_name=job_name, image=plain_http_image, instance_type="ml.m5.large",
                        model_dir=str(model_dir), environment={"GREETING": "hi"})
    engine = EngineSocket.from_environment()
    assert engine is not None
    sdk_side = DockerRuntime(client=docker_client)
    started = [DockerRuntime.over_socket(engine).create_and_start(spec), sdk_side.create_and_start(spec)]
    instances = [sdk_side.adopt(container_id, port, limits) for container_id, port, limits in started]
    try:
        for instance in instances:
            wait_ready(instance)
        socket_attrs, sdk_attrs = (instance.container.attrs for instance in instances)
        for config, key in [("Config", "Env"), ("Config", "Labels"), ("Config", "Cmd"), ("Config", "Image"),
                            ("HostConfig", "NanoCpus"), ("HostConfig", "Memory"), ("HostConfig", "MemorySwap"),
                            ("HostConfig", "Binds"), ("HostConfig", "NetworkMode")]:
            assert socket_attrs[config][key] == sdk_attrs[config][key], (config, key)
        if publish == "1" or sdk_side.publishes_ports:
            (binding,) = socket_attrs["HostConfig"]["PortBindings"]["8080/tcp"]
            assert binding["HostIp"] == "127.0.0.1" and binding["HostPort"] == instances[0].url.rsplit(":", 1)[1]
        else:
            assert not socket_attrs["HostConfig"]["PortBindings"] and not sdk_attrs["HostConfig"]["PortBindings"]
            assert instances[0].url == f"http://{socket_attrs['NetworkSettings']['IPAddress']}:8080"
    finally:
        for instance in instances:
            instance.stop()


def test_errors_read_as_the_sdks(docker_client, job_name) -> None:
    engine = EngineSocket.from_environment()
    assert engine is not None
    assert engine.info()["NCPU"] == docker_client.info()["NCPU"]
    missing = InstanceSpec(name=f"{job_name}-1", job_name=job_name, image=f"{job_name}-absent:latest")
    errors = []
    for runtime in (DockerRuntime.over_socket(engine), DockerRuntime(client=docker_client)):
        with pytest.raises(ImageNotFound) as refused:
            runtime.create_and_start(missing)
        errors.append(str(refused.value))
    assert errors[0] == errors[1]
    with pytest.raises(EngineAnswered) as answered:
        engine.start("no-such-container-" + job_name)
    assert answered.value.status_code == 404 and "no-such-container" in answered.value.explanation


@pytest.mark.parametrize("host, usable", [
    ("", True), ("unix:///var/run/docker.sock", True), ("unix:///no/such.sock", False),
    ("tcp://127.0.0.1:2375", False), ("ssh://me@host", False),
])
def test_only_a_local_socket_is_spoken_to_directly(monkeypatch, host, usable) -> None:
    if not os.path.exists("/var/run/docker.sock"):
        pytest.skip("this engine is not on the default socket")
    monkeypatch.setenv("DOCKER_HOST", host) if host else monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_TLS_VERIFY", raising=False)
    assert (EngineSocket.from_environment() is not None) is usable


def test_the_starter_child_never_imports_the_sdk(tmp_path: Path) -> None:
    """What the child imports before it creates a container: no docker, requests or urllib3."""
    probe = (
        "import sys\n"
        "from emulator.runtime.docker_runtime import DockerRuntime\n"
        "from emulator.runtime.engine_socket import EngineSocket\n"
        "DockerRuntime.over_socket(EngineSocket.from_environment()).host_resources()\n"
        "print(sorted(m for m in ('docker', 'requests', 'urllib3', 'http.client') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("info, publish_env, reaches", [
    ({"OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "SecurityOptions": ["name=seccomp,profile=builtin"]}, None, True),
    ({"OperatingSystem": "Docker Desktop", "SecurityOptions": []}, None, False),
    ({"OperatingSystem": "Ubuntu 24.04", "SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless"]}, None, False),
    ({"OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "SecurityOptions": []}, "1", False),
])
def test_containers_are_spoken_to_at_their_own_address_only_where_the_host_reaches_them(
    monkeypatch, info, publish_env, reaches
) -> None:
    if EngineSocket.from_environment() is None or not sys.platform.startswith("linux"):
        pytest.skip("not a local engine on Linux")
    monkeypatch.delenv("BTE_DOCKER_PUBLISH", raising=False)
    if publish_env:
        monkeypatch.setenv("BTE_DOCKER_PUBLISH", publish_env)
    assert reaches_containers(info) is reaches
