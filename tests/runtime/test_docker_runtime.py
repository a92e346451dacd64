"""The Docker runtime against a real engine and the plain-http sample (no bte shim inside)."""

from __future__ import annotations

import io
import time
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from emulator.runtime import (
    JOB_LABEL,
    DockerRuntime,
    ImageNotFound,
    InstanceSpec,
    InstanceStartFailed,
    cleanup_containers,
    get_runtime,
    prefixed_writer,
)
from emulator.runtime.instance_types import GiB
from tests.runtime.helpers import wait_exited, wait_ready

pytestmark = pytest.mark.docker


@pytest.fixture
def host_runtime(docker_client) -> DockerRuntime:  # type: ignore[no-untyped-def]
    return DockerRuntime(client=docker_client, network="host", stop_timeout=5)


def spec(job_name: str, image: str, model_dir: Path | None = None, **kw: object) -> InstanceSpec:
    return InstanceSpec(
        name=f"{job_name}-1", job_name=job_name, image=image,
        model_dir=None if model_dir is None else str(model_dir), **kw,  # type: ignore[arg-type]
    )


def test_host_network_serves_ping_and_invocations_on_loopback(host_runtime, plain_http_image, job_name, model_dir) -> None:
    instance = host_runtime.start(spec(job_name, plain_http_image, model_dir))
    try:
        assert instance.url.startswith("http://127.0.0.1:")
        wait_ready(instance)
        answer = requests.post(f"{instance.url}/invocations", data=b"hello, world", timeout=5)
        # prefix.txt is read from /opt/ml/model: the model dir reached the container.
        assert (answer.status_code, answer.content) == (200, b">> HELLO, WORLD")
        assert requests.get(f"{instance.url}/execution-parameters", timeout=5).status_code == 404
        env = instance.container.attrs["Config"]["Env"]
        assert f"SAGEMAKER_BIND_TO_PORT={instance.url.rsplit(':', 1)[1]}" in env
        assert "BTE_BIND_HOST=127.0.0.1" in env
        assert instance.container.attrs["HostConfig"]["NetworkMode"] == "host"
    finally:
        instance.stop()


def test_environment_reaches_the_model(host_runtime, plain_http_image, job_name, model_dir) -> None:
    instance = host_runtime.start(spec(job_name, plain_http_image, model_dir, environment={"PLAIN_HTTP_CASE": "lower"}))
    try:
        wait_ready(instance)
        assert requests.post(f"{instance.url}/invocations", data=b"AbC", timeout=5).content == b">> abc"
    finally:
        instance.stop()


def test_model_dir_is_mounted_read_only(host_runtime, plain_http_image, job_name, model_dir) -> None:
    instance = host_runtime.start(spec(job_name, plain_http_image, model_dir))
    try:
        wait_ready(instance)
        read = instance.container.exec_run(["cat", "/opt/ml/model/prefix.txt"])
        assert (read.exit_code, read.output) == (0, b">> ")
        write = instance.container.exec_run(["touch", "/opt/ml/model/new-file"])
        assert write.exit_code != 0 and b"Read-only file system" in write.output
        assert not (model_dir / "new-file").exists()
    finally:
        instance.stop()


def test_limits_follow_the_instance_type_capped_to_the_host(host_runtime, plain_http_image, job_name, docker_client) -> None:
    info = docker_client.info()
    host_cpus, host_memory = info["NCPU"], info["MemTotal"]
    small = host_runtime.start(spec(job_name, plain_http_image, instance_type="ml.m5.large"))
    big = host_runtime.start(InstanceSpec(name=f"{job_name}-2", job_name=job_name, image=plain_http_image, instance_type="ml.m5.24xlarge"))
    try:
        small.container.reload()
        host_config = small.container.attrs["HostConfig"]
        assert host_config["Memory"] == min(8 * GiB, host_memory)
        assert host_config["MemorySwap"] in (host_config["Memory"], -1, 0)  # -1/0: the kernel has no swap accounting
        assert host_config["NanoCpus"] == min(2, host_cpus) * 10**9
        big.container.reload()
        assert big.container.attrs["HostConfig"]["Memory"] == min(384 * GiB, host_memory)
        assert big.container.attrs["HostConfig"]["NanoCpus"] == min(96, host_cpus) * 10**9
        assert any(f"this host has {host_cpus} CPUs" in note for note in big.notes)
    finally:
        small.stop()
        big.stop()


def test_unknown_instance_type_runs_without_limits_and_says_so(host_runtime, plain_http_image, job_name) -> None:
    instance = host_runtime.start(spec(job_name, plain_http_image, instance_type="ml.m99.large"))
    try:
        wait_ready(instance)
        assert instance.container.attrs["HostConfig"]["Memory"] == 0
        assert instance.container.attrs["HostConfig"]["NanoCpus"] == 0
        assert "not in bte's table" in instance.notes[0]
    finally:
        instance.stop()


def test_logs_reach_the_callback_with_the_instance_name(host_runtime, plain_http_image, job_name) -> None:
    seen: list[tuple[str, str]] = []
    printed = io.StringIO()
    writer = prefixed_writer(printed.write)

    def on_log(name: str, line: str) -> None:
        seen.append((name, line))
        writer(name, line)

    instance = host_runtime.start(spec(job_name, plain_http_image), on_log=on_log)
    try:
        wait_ready(instance)
        requests.post(f"{instance.url}/invocations", data=b"x", timeout=5)
    finally:
        instance.stop()
    name = f"{job_name}-1"
    assert (name, "plain-http: POST /invocations 200") in seen
    assert f"[{name}] plain-http: listening on 127.0.0.1:" in printed.getvalue()
    assert "plain-http: POST /invocations 200" in instance.log_tail(5)


def test_stop_removes_the_container_and_is_idempotent(host_runtime, plain_http_image, job_name, docker_client) -> None:
    instance = host_runtime.start(spec(job_name, plain_http_image))
    wait_ready(instance)
    instance.stop()
    instance.stop()
    assert docker_client.containers.list(all=True, filters={"label": f"{JOB_LABEL}={job_name}"}) == []
    assert not instance.is_alive()
    assert instance.exit_code() == 0  # plain-http exits cleanly on SIGTERM
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{instance.url}/ping", timeout=2)


def test_default_stop_kills_at_once_after_reading_the_log_to_its_end(
    docker_client, plain_http_image, job_name
) -> None:
    # Outputs are committed before bte stops an instance: no grace period to wait out.
    runtime = DockerRuntime(client=docker_client, network="host")
    instance = runtime.start(spec(job_name, plain_http_image))
    wait_ready(instance)
    requests.post(f"{instance.url}/invocations", data=b"last words", timeout=5)
    started = time.monotonic()
    instance.stop()
    assert time.monotonic() - started < 2.0
    assert instance.exit_code() == 137  # SIGKILL
    assert instance.log_tail(1) == ["plain-http: POST /invocations 200"]
    assert docker_client.containers.list(all=True, filters={"label": f"{JOB_LABEL}={job_name}"}) == []


def test_missing_image_is_a_clear_error_and_never_a_pull(host_runtime, job_name, docker_client) -> None:
    with pytest.raises(ImageNotFound) as err:
        host_runtime.start(spec(job_name, "bte-sample/never-built:latest"))
    message = str(err.value)
    assert "'bte-sample/never-built:latest' for instance" in message
    assert "is not built locally" in message and "bte image build" in message
    assert err.value.__cause__ is not None


def test_container_that_exits_at_once_reports_exit_code_and_logs(host_runtime, plain_http_image, job_name) -> None:
    instance = host_runtime.start(spec(job_name, plain_http_image, environment={"PLAIN_HTTP_CASE": "title"}))
    try:
        wait_exited(instance)
        assert instance.exit_code() == 2
        assert instance.log_tail() == ["plain-http: PLAIN_HTTP_CASE='title' is not one of ['lower', 'upper']"]
    finally:
        instance.stop()
    assert instance.exit_code() == 2


def test_image_without_a_serve_entrypoint_fails_to_start_and_leaves_nothing(host_runtime, job_name, docker_client) -> None:
    # The base image has no ENTRYPOINT: `serve` is taken as the program, which does not exist.
    with pytest.raises(InstanceStartFailed) as err:
        host_runtime.start(spec(job_name, "bte-base:bookworm"))
    assert "serve" in str(err.value) and f"{job_name}-1" in str(err.value)
    assert docker_client.containers.list(all=True, filters={"label": f"{JOB_LABEL}={job_name}"}) == []


def test_bridge_network_publishes_on_loopback_when_asked(docker_client, plain_http_image, job_name, model_dir,
                                                         monkeypatch) -> None:
    monkeypatch.setenv("BTE_DOCKER_PUBLISH", "1")
    runtime = get_runtime("docker", client=docker_client, network="bridge")
    instance = runtime.start(spec(job_name, plain_http_image, model_dir))
    try:
        wait_ready(instance)
        assert instance.url.startswith("http://127.0.0.1:")
        assert requests.post(f"{instance.url}/invocations", data=b"hi", timeout=5).content == b">> HI"
        bindings = instance.container.attrs["HostConfig"]["PortBindings"]
        assert bindings == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": instance.url.rsplit(":", 1)[1]}]}
        assert not any(e.startswith(("SAGEMAKER_BIND_TO_PORT=", "BTE_BIND_HOST=")) for e in instance.container.attrs["Config"]["Env"])
    finally:
        instance.stop()


def test_bridge_network_talks_to_the_containers_own_port_8080(docker_client, plain_http_image, job_name,
                                                              model_dir) -> None:
    """On a rootful engine on this host, the container's address is reachable: nothing is
    published, and the server is spoken to at <its address>:8080, as the service does."""
    runtime = get_runtime("docker", client=docker_client, network="bridge")
    if runtime.publishes_ports:
        pytest.skip("this engine's containers are not reachable from the host (Docker Desktop, rootless)")
    instance = runtime.start(spec(job_name, plain_http_image, model_dir))
    try:
        wait_ready(instance)
        address = instance.container.attrs["NetworkSettings"]["IPAddress"]
        assert address and instance.url == f"http://{address}:8080"
        assert requests.post(f"{instance.url}/invocations", data=b"hi", timeout=5).content == b">> HI"
        assert not instance.container.attrs["HostConfig"]["PortBindings"]
        assert not any(e.startswith(("SAGEMAKER_BIND_TO_PORT=", "BTE_BIND_HOST=")) for e in instance.container.attrs["Config"]["Env"])
    finally:
        instance.stop()


def test_network_mode_defaults_from_the_environment(docker_client, monkeypatch) -> None:
    monkeypatch.setenv("BTE_DOCKER_NETWORK", "host")
    assert DockerRuntime(client=docker_client).network == "host"
    monkeypatch.delenv("BTE_DOCKER_NETWORK")
    assert DockerRuntime(client=docker_client).network == "bridge"


def test_cleanup_containers_finds_leftovers_by_label(host_runtime, plain_http_image, job_name, docker_client) -> None:
    instance = host_runtime.start(spec(job_name, plain_http_image))
    assert cleanup_containers(job_name, client=docker_client) == [instance.container.name]
    assert not instance.is_alive()
    instance.stop()  # the container is gone already: stop is still fine


def test_containers_are_removed_when_the_program_is_interrupted(plain_http_image, job_name, docker_client) -> None:
    program = textwrap.dedent(f"""
        from emulator.runtime import InstanceSpec, get_runtime
        runtime = get_runtime("docker", network="host")
        runtime.start(InstanceSpec(name="{job_name}-1", job_name="{job_name}", image="{plain_http_image}"))
        raise KeyboardInterrupt  # as Ctrl-C would, before anyone calls stop()
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert "KeyboardInterrupt" in done.stderr
    assert docker_client.containers.list(all=True, filters={"label": f"{JOB_LABEL}={job_name}"}) == []
