"""Ray executor benchmark: the same job on the local executor and on a 2-node Ray cluster
on loopback, and their ratio: what Ray costs when every node is this one machine.

    .venv/bin/python benchmarks/ray_executor.py [--repeat 3] [--lines 5000] [--latency-ms 0]

Needs the ray extra (pip install 'bte[ray]') and a Docker engine with bte-sample/echo
(scripts/test builds it). The cluster is the tests' (tests/engine/ray_loopback.py): a
head on 127.0.0.2 with no CPUs, workers on 127.0.0.3 and 127.0.0.4 holding one
ml.m5.large each. The job: 4 CSV files, 2 ml.m5.large instances, MaxConcurrentTransforms
2, SingleRecord, the echo model in Docker (host network). Each run is timed whole (job
submitted to job done: instances started, every file written, instances stopped) and over
its data phase (first mini-batch sent to last file done); local and Ray runs alternate,
and the ratios use the best and the median of --repeat runs of each.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from emulator import run_transform_job  # noqa: E402
from emulator.engine import events as ev  # noqa: E402
from emulator.engine import ray_cluster  # noqa: E402
from tests.engine.jobs import job_request, model_request  # noqa: E402
from tests.engine.ray_loopback import start_cluster  # noqa: E402

IMAGE = "bte-sample/echo:latest"


def make_inputs(folder: Path, lines: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for name in "abcd":
        (folder / f"{name}.csv").write_bytes(b"".join(f"{i},{'x' * 40}\n".encode() for i in range(lines)))
    return sum(p.stat().st_size for p in folder.iterdir())


def one_run(work: Path, executor: str, address: str | None, n: int, latency_ms: int) -> tuple[float, float, dict[str, bytes]]:
    out = work / f"out-{executor}-{n}"
    env = {"ECHO_LATENCY_MS": str(latency_ms)} if latency_ms else {}
    request = job_request(f"bench-ray-{executor}-{n}", str(work / "in"), str(out), BatchStrategy="SingleRecord",
                          MaxConcurrentTransforms=2,
                          TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 2})
    started = time.perf_counter()
    result = run_transform_job(request, model=model_request("echo", IMAGE, env), runtime="docker",
                               runtime_options={"network": "host"}, executor=executor, ray_address=address)
    whole = time.perf_counter() - started
    if result.status != "Completed":
        raise SystemExit(f"{executor} run {n} ended {result.status}: {result.failure_detail or result.failure_reason}")
    first = min(e.time for e in result.log.of(ev.MiniBatchSent))
    last = max(e.time for e in result.log.of(ev.FileDone))
    outputs = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    shutil.rmtree(out)
    return whole, last - first, outputs


def line(label: str, values: list[float]) -> str:
    return f"{label:<34} best {min(values):7.2f} s   median {statistics.median(values):7.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lines", type=int, default=5000, help="records per file (4 files)")
    parser.add_argument("--latency-ms", type=int, default=0, help="the echo model's latency per request")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bte-bench-ray-"))
    cluster = None
    try:
        size = make_inputs(work / "in", args.lines)
        started = time.perf_counter()
        cluster = start_cluster(work / "ray")
        ray_cluster.connect(cluster.address, ray_cluster.request_for("ml.m5.large"), 2)
        cluster.wait_for_nodes(3)
        print(f"cluster: head 127.0.0.2 + 2 workers up in {time.perf_counter() - started:.1f} s; "
              f"job: 4 files, {size / 2**20:.1f} MiB, {4 * args.lines} records, 2 instances, MCT 2, "
              f"SingleRecord, echo latency {args.latency_ms} ms")
        times: dict[str, list[tuple[float, float]]] = {"local": [], "ray": []}
        reference: dict[str, bytes] | None = None
        for n in range(args.repeat):
            for executor in ("local", "ray"):
                whole, data, outputs = one_run(work, executor, cluster.address if executor == "ray" else None, n,
                                               args.latency_ms)
                if reference is None:
                    reference = outputs
                assert outputs == reference, f"{executor} run {n} wrote other bytes than the first run"
                times[executor].append((whole, data))
                print(f"  {executor:<5} run {n}: whole {whole:6.2f} s, data phase {data:6.2f} s", flush=True)
        for part, index in (("whole job", 0), ("data phase", 1)):
            local = [t[index] for t in times["local"]]
            on_ray = [t[index] for t in times["ray"]]
            print(line(f"{part}, local executor", local))
            print(line(f"{part}, Ray (2 loopback nodes)", on_ray))
            print(f"{part}: Ray / local = {min(on_ray) / min(local):.2f} best "
                  f"({statistics.median(on_ray) / statistics.median(local):.2f} median); outputs byte-identical")
    finally:
        ray_cluster.disconnect()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
