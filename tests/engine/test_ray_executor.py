"""The Ray executor on a real Ray cluster on loopback (tests/engine/ray_loopback.py): a
head on 127.0.0.2 with no CPUs (the driver), two workers on 127.0.0.3 and 127.0.0.4 that
each hold one ml.m5.large. The same job gives the same bytes as the local executor; a
worker node killed mid-job costs nothing but time; both killed fail the job, named."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

ray = pytest.importorskip("ray", reason="the Ray executor's tests need the ray extra: pip install 'bte[ray]'")

from emulator import run_transform_job  # noqa: E402
from emulator.engine import events as ev  # noqa: E402
from emulator.engine import ray_cluster  # noqa: E402
from emulator.runtime import INSTANCE_LABEL, JOB_LABEL  # noqa: E402
from tests.engine.jobs import job_request, model_request  # noqa: E402
from tests.engine.ray_loopback import LoopbackCluster, start_cluster  # noqa: E402
from tests.engine.test_job_runs import write_lines  # noqa: E402

pytestmark = pytest.mark.docker
WORKERS = ("127.0.0.3", "127.0.0.4")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    c = start_cluster(Path("/tmp") / f"bte-ray-{tmp_path_factory.getbasetemp().name}", WORKERS)
    try:
        ray_cluster.connect(c.address, ray_cluster.request_for("ml.m5.large"), 2)
        c.wait_for_nodes(3)
        yield c
    finally:
        ray_cluster.disconnect()
        c.stop()


@pytest.fixture
def workers(cluster: LoopbackCluster) -> Iterator[LoopbackCluster]:
    """The cluster with both workers alive: a worker an earlier test killed starts again."""
    killed = [node for node in cluster.workers if node.killed]
    for node in killed:
        cluster.workers.remove(node)
        cluster.add_worker(node.ip)
    if killed:
        cluster.wait_for_nodes(3)
    yield cluster


def four_files(tmp_path: Path, lines: int) -> Path:
    for name in "abcd":
        write_lines(tmp_path / "in" / f"{name}.csv", lines)
    return tmp_path / "in"


def run(tmp_path: Path, sample_image: Any, out: str, executor: str, address: str | None = None,
        lines: int = 200, latency_ms: int = 0, listeners: tuple[Any, ...] = ()) -> Any:
    env = {"ECHO_LATENCY_MS": str(latency_ms)} if latency_ms else {}
    request = job_request(f"ray-{out}", str(four_files(tmp_path, lines)), str(tmp_path / out),
                          BatchStrategy="SingleRecord", MaxConcurrentTransforms=2,
                          TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 2})
    return run_transform_job(request, model=model_request("echo", sample_image("echo"), env), runtime="docker",
                             runtime_options={"network": "host"}, executor=executor, ray_address=address,
                             listeners=listeners)


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def containers_of(docker_client: Any, job: str, instance: str) -> list[Any]:
    return docker_client.containers.list(all=True, filters={"label": [f"{JOB_LABEL}={job}", f"{INSTANCE_LABEL}={instance}"]})


def test_ray_job_gives_the_local_bytes_with_one_instance_on_each_worker(tmp_path, sample_image, workers):
    local = run(tmp_path, sample_image, "local", "local")
    on_ray = run(tmp_path, sample_image, "ray", "ray", workers.address)
    assert local.status == on_ray.status == "Completed", on_ray.failure_detail
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")
    assert sorted(outputs(tmp_path / "ray")) == ["a.csv.out", "b.csv.out", "c.csv.out", "d.csv.out"]
    placed = {e.instance: e.node for e in on_ray.log.of(ev.InstancePlaced)}
    assert sorted(placed.values()) == list(WORKERS)  # each worker node hosted one instance
    assert {e.instance for e in on_ray.log.of(ev.FileDone)} == set(placed)  # and each ran its files
    assert {e.instance for e in on_ray.log.of(ev.MiniBatchDone)} == set(placed)


class KillNodes:
    """Listens to the run: once ``after`` mini-batches are done on an instance, the node
    that hosts it is killed (SIGKILL to all its processes), each of ``nodes`` once."""

    def __init__(self, cluster: LoopbackCluster, nodes: tuple[str, ...], after: int = 5) -> None:
        self.cluster, self.nodes, self.after = cluster, list(nodes), after
        self.placed: dict[str, str] = {}
        self.done: dict[str, int] = {}
        self.killed: dict[str, str] = {}  # instance -> node ip

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.InstancePlaced):
            self.placed[event.instance] = event.node
        elif isinstance(event, ev.MiniBatchDone):
            self.done[event.instance] = self.done.get(event.instance, 0) + 1
            node = self.placed.get(event.instance)
            if node in self.nodes and self.done[event.instance] >= self.after and event.instance not in self.killed:
                self.nodes.remove(node)
                self.killed[event.instance] = node
                next(w for w in self.cluster.workers if w.ip == node).kill()


def partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) if folder.exists() else []


def test_a_worker_node_killed_mid_job_costs_only_time(tmp_path, sample_image, docker_client, workers):
    local = run(tmp_path, sample_image, "local", "local", lines=120)
    killer = KillNodes(workers, ("127.0.0.4",))
    result = run(tmp_path, sample_image, "ray", "ray", workers.address, lines=120, latency_ms=15,
                 listeners=(killer,))
    assert result.status == "Completed", result.failure_detail
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")
    [(lost, node)] = killer.killed.items()
    moved = result.log.of(ev.FileMoved)
    assert moved and {m.lost_instance for m in moved} == {lost}
    assert {m.instance for m in moved} == set(killer.placed) - {lost}  # re-run whole on the survivor
    for m in moved:  # each moved file was finished by the survivor, never by the lost one
        [done] = [d for d in result.log.of(ev.FileDone) if d.source == m.source]
        assert done.instance == m.instance and done.ok
    assert partials(tmp_path / "ray") == []
    assert containers_of(docker_client, "ray-ray", lost) == []  # its container did not outlive its node


def test_both_worker_nodes_killed_fails_the_job_naming_what_was_lost(tmp_path, sample_image, workers):
    killer = KillNodes(workers, WORKERS, after=3)
    result = run(tmp_path, sample_image, "ray", "ray", workers.address, lines=200, latency_ms=20,
                 listeners=(killer,))
    assert result.status == "Failed"
    assert result.failure_reason.startswith("InternalServerError")
    assert "every instance of the job was lost with its Ray node" in result.failure_detail
    for instance, node in killer.killed.items():
        assert f"{instance} on node {node}" in result.failure_detail
    assert partials(tmp_path / "ray") == []
    finished = {d.source for d in result.log.of(ev.FileDone) if d.ok}
    assert {f"{n}.out" for n in finished} >= set(outputs(tmp_path / "ray"))  # no output of an unfinished file


def test_an_instance_type_no_node_can_hold_is_refused_at_submission(tmp_path, sample_image, workers):
    request = job_request("ray-too-big", str(four_files(tmp_path, 10)), str(tmp_path / "out"),
                          TransformResources={"InstanceType": "ml.m5.4xlarge", "InstanceCount": 1})
    with pytest.raises(ray_cluster.RayUnavailable) as refused:
        run_transform_job(request, model=model_request("echo", sample_image("echo")), runtime="docker",
                          runtime_options={"network": "host"}, executor="ray", ray_address=workers.address)
    assert "CPUs: ml.m5.4xlarge asks for 16, the largest node has 2" in str(refused.value)
    assert "memory: ml.m5.4xlarge asks for 64 GiB, the largest node has 8 GiB" in str(refused.value)
    assert outputs(tmp_path / "out") == {}  # nothing started: prepare only made sure the folder can be


def test_bte_run_with_the_ray_executor_shows_the_node_of_each_instance(tmp_path, sample_image, workers):
    """The CLI's own process connects to the cluster (a driver of its own, on the head's
    machine): the progress names the node, and the files come out as the local run's."""
    request = job_request("ray-cli", str(four_files(tmp_path, 20)), str(tmp_path / "out"),
                          TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 2})
    job = tmp_path / "job.json"
    job.write_text(json.dumps(request))
    done = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "run", str(job), "--image", sample_image("echo"),
         "--runtime", "docker", "--executor", "ray", "--ray-address", workers.address],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200", "BTE_STATE_DIR": str(tmp_path / "state")})
    assert done.returncode == 0, done.stdout + done.stderr
    placed = sorted(re.findall(r"placed on Ray node (127\.0\.0\.\d)", done.stderr))  # the progress, on stderr
    assert placed == list(WORKERS), done.stderr
    report = subprocess.run([sys.executable, "-m", "emulator.cli", "report", "--state-dir", str(tmp_path / "state"),
                             "--out", str(tmp_path / "report.html"), "ray-cli"],
                            capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stdout + report.stderr
    assert sorted(re.findall(r"ray-cli-\d \(on node (127\.0\.0\.\d)\)", report.stdout)) == list(WORKERS), report.stdout
    assert sorted(outputs(tmp_path / "out")) == ["a.csv.out", "b.csv.out", "c.csv.out", "d.csv.out"]
    assert outputs(tmp_path / "out")["a.csv.out"] == (tmp_path / "in" / "a.csv").read_bytes()


def test_bte_serve_with_the_ray_executor_runs_a_boto3_job_on_the_workers(tmp_path, sample_image, workers):
    """`bte serve --executor ray`: a job created with boto3 runs its instances on the worker
    nodes and reads and writes the server's own S3, as a local job does."""
    from botocore.exceptions import WaiterError

    from tests.api.server import BteServer
    from tests.api.test_transform_jobs import FAST_WAIT, start_job

    server = BteServer(tmp_path / "state", "--executor", "ray", "--ray-address", workers.address).start()
    try:
        sagemaker, s3 = server.client("sagemaker"), server.client("s3")
        s3.create_bucket(Bucket="jobs")
        s3.put_object(Bucket="jobs", Key="in/more.csv", Body=b"7,49\n8,64\n")
        body = start_job(sagemaker, s3, sample_image("echo"), "ray-serve", BatchStrategy="SingleRecord",
                         TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 2})
        try:
            sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="ray-serve", WaiterConfig=FAST_WAIT)
        except WaiterError:
            pass  # the status check below shows the server's log
        described = sagemaker.describe_transform_job(TransformJobName="ray-serve")
        assert described["TransformJobStatus"] == "Completed", server.log.read_text()[-3000:]
        assert s3.get_object(Bucket="jobs", Key="out/data.csv.out")["Body"].read() == body
        assert s3.get_object(Bucket="jobs", Key="out/more.csv.out")["Body"].read() == b"7,49\n8,64\n"
    finally:
        server.stop()
    report = subprocess.run([sys.executable, "-m", "emulator.cli", "report", "--state-dir", str(tmp_path / "state"),
                             "--out", str(tmp_path / "report.html"), "ray-serve"],
                            capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stdout + report.stderr
    assert sorted(re.findall(r"ray-serve-\d \(on node (127\.0\.0\.\d)\)", report.stdout)) == list(WORKERS), report.stdout
