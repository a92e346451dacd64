"""Engine benchmark: bte's throughput against the model container's own, in one run.

    .venv/bin/python benchmarks/engine.py [--runtime process|docker] [--size-mb 512] [--repeat 5]

Part 1 (overhead): the echo model is started once and driven directly by a lean client
(requests, one session per thread, each answer read in one piece, the same mini-batches
cut the same way, the same concurrency); then bte runs the same data as a transform job.
Both are timed over the data phase only (first request sent to last answer written),
alternated, with no dirty pages left from the run before. A third line times the direct
client also writing what it receives (the disk work a job does). By default the model
server runs on the first CPU and the client (direct or bte) on the others (--no-pin to
share them all). Ratios use the best and the median of --repeat runs of each side.
--drop-bte-writes is a diagnostic: bte's local output writes are skipped (the job then
stores empty outputs), to show how much of any gap is the cost of storing the outputs.

Part 2 (scaling): a latency-bound echo (ECHO_LATENCY_MS) under MaxConcurrentTransforms
1, 2, 4, 8: throughput should grow near-linearly with the workers."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import docker
import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from emulator import data, memory, run_transform_job, storage  # noqa: E402
from emulator.engine import events as ev  # noqa: E402
from emulator.runtime import InstanceSpec, get_runtime  # noqa: E402
from emulator.runtime.docker_engine import INSTANCE_LABEL  # noqa: E402
from emulator.runtime.process_runtime import default_command  # noqa: E402

ECHO = REPO / "sample_models" / "echo"
MB = 1 << 20


def make_csv(path: Path, size_mb: int) -> int:
    line = b"0.125,1.5,2.25,3.0,4.75,5.5,6.25,7.0,8.75,9.5,record-padding-xxxxxxxxxxxxxxxxxxxx\n"
    block = line * (MB // len(line))
    with path.open("wb") as f:
        for _ in range(size_mb):
            f.write(block)
    return path.stat().st_size


def settle() -> None:
    """Start every timed run with no dirty pages: outputs (and the input just generated)
    left for the kernel to write back make it do so during the next run, which slows
    whichever side runs then by up to 4x on this machine."""
    os.sync()


class Pinning:
    """Where the model server and the client run. On a small machine they compete for the
    same cores, and whichever client uses more CPU slows the server it measures: with the
    server on the first CPU and the client (the direct one or bte, alike) on the others,
    the ratio compares what each client gets out of the same server."""

    def __init__(self, enabled: bool) -> None:
        cpus = sorted(os.sched_getaffinity(0))
        # taskset (util-linux) pins the process runtime's server; without it, nothing is pinned
        self.enabled = enabled and len(cpus) >= 2 and shutil.which("taskset") is not None
        self.server, self.client = ({cpus[0]}, set(cpus[1:])) if self.enabled else (set(cpus), set(cpus))
        if self.enabled:
            os.sched_setaffinity(0, self.client)  # before any thread starts: they all inherit it

    def describe(self) -> str:
        if not self.enabled:
            return "server and client share all CPUs"
        return f"server on CPU {sorted(self.server)}, client on CPU {sorted(self.client)}"

    def runtime_options(self, runtime: str) -> dict:
        if runtime == "docker":
            return {"network": "host"}
        if self.enabled:
            cpus = ",".join(map(str, sorted(self.server)))
            return {"command": ["taskset", "-c", cpus, *default_command()]}
        return {}

    def pin_container(self, instance_name: str) -> None:
        if not self.enabled:
            return
        client = docker.from_env()
        for container in client.containers.list(filters={"label": f"{INSTANCE_LABEL}={instance_name}"}):
            container.update(cpuset_cpus=",".join(map(str, sorted(self.server))))

    def listener(self, runtime: str):
        def on_event(event: ev.Event) -> None:
            if runtime == "docker" and isinstance(event, ev.InstanceStarted):
                self.pin_container(event.instance)
        return on_event


PIN = Pinning(False)  # set in main()


def target_kwargs(runtime: str, env: dict[str, str]) -> dict:
    model = {"ModelName": "echo", "PrimaryContainer": {"Environment": env}}
    if runtime == "docker":
        model["PrimaryContainer"]["Image"] = "bte-sample/echo:latest"
        return {"model": model, "runtime": "docker", "runtime_options": PIN.runtime_options(runtime)}
    return {"model": model, "model_dir": str(ECHO), "runtime": "process",
            "runtime_options": PIN.runtime_options(runtime)}


def start_direct(runtime: str, env: dict[str, str]):
    rt = get_runtime(runtime, **PIN.runtime_options(runtime))
    spec = InstanceSpec(
        name="bench-direct-1", job_name="bench-direct", environment={"SAGEMAKER_BATCH": "true", **env},
        image="bte-sample/echo:latest" if runtime == "docker" else None,
        model_dir=str(ECHO), code_dir=str(ECHO),
    )
    instance = rt.start(spec)
    if runtime == "docker":
        PIN.pin_container(spec.name)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if requests.get(f"{instance.url}/ping", timeout=2).status_code == 200:
                return instance
        except requests.RequestException:
            pass
        time.sleep(0.1)
    instance.stop()
    raise SystemExit("the echo model never became healthy")


def direct_throughput(url: str, path: Path, workers: int, payload_mb: int, strategy: str,
                      sink: Path | None = None) -> tuple[float, int]:
    """Seconds to send every mini-batch of the file with `workers` threads, and the count.

    With ``sink``, every response is also written to that file (in arrival order): the same
    disk work a transform job does, so the ratio isolates the engine's own overhead."""

    # The leanest client we know how to write: the bodies cut as bte cuts a local file (read
    # by offset, in one piece each), each answer read in one piece, not requests' 10 KiB steps.
    batches = data.iter_minibatches(
        storage.open_input(str(path)), split_type="Line", batch_strategy=strategy, max_payload_bytes=payload_mb * MB,
        count_records=False,  # the leanest client: same bodies, no record numbers
    )
    lock = threading.Lock()
    count = 0
    out = sink.open("wb") if sink else None

    def work() -> None:
        nonlocal count
        session = requests.Session()
        while True:
            with lock:
                batch = next(batches, None)
            if batch is None:
                return
            r = session.post(f"{url}/invocations", data=batch.body, headers={"Content-Type": "text/csv"},
                             stream=True)
            r.raise_for_status()
            answer = r.raw.read()
            r.close()
            with lock:
                count += 1
                if out:
                    out.write(answer)

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if out:
        out.close()
    return time.perf_counter() - started, count


def bte_throughput(runtime: str, env: dict[str, str], indir: Path, outdir: Path, name: str, workers: int,
                   payload_mb: int, strategy: str) -> tuple[float, int]:
    request = {
        "TransformJobName": name,
        "ModelName": "echo",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": str(indir)}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": str(outdir), "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        "MaxConcurrentTransforms": workers,
        "MaxPayloadInMB": payload_mb,
        "BatchStrategy": strategy,
    }
    log = ev.EventLog()
    result = run_transform_job(request, listeners=[log, PIN.listener(runtime)], **target_kwargs(runtime, env))
    if result.status != "Completed":
        raise SystemExit(f"bte job {name} ended {result.status}: {result.failure_reason}")
    first = min(e.time for e in log.of(ev.MiniBatchSent))
    last = max(e.time for e in log.of(ev.FileDone))
    return last - first, len(log.of(ev.MiniBatchDone))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runtime", choices=["process", "docker"], default="process")
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side; the best counts")
    parser.add_argument("--no-pin", action="store_true",
                        help="let the model server and the client share every CPU (default: pin them apart)")
    parser.add_argument("--drop-bte-writes", action="store_true",
                        help="diagnostic: skip bte's output writes, to measure what storing them costs")
    args = parser.parse_args()
    global PIN
    PIN = Pinning(not args.no_pin)
    if args.drop_bte_writes:
        from emulator.storage.local import LocalOutputWriter

        LocalOutputWriter._write = lambda self, data: None  # type: ignore[method-assign]
        print("DIAGNOSTIC: bte's output writes are dropped; its outputs are empty")
    # bte's engine raises glibc's mmap threshold at job start (emulator/memory.py); do it
    # first, so that the direct client, in this same process, runs under the same allocator.
    memory.reuse_large_buffers()
    results: dict[str, object] = {"runtime": args.runtime}
    with tempfile.TemporaryDirectory(prefix="bte-bench-") as tmp:
        tmpdir = Path(tmp)
        indir = tmpdir / "in"
        indir.mkdir()
        size = make_csv(indir / "data.csv", args.size_mb)
        print(f"input: {size / MB:.0f} MiB CSV, runtime {args.runtime}, MaxConcurrentTransforms={args.workers}, "
              f"MaxPayloadInMB=6, MultiRecord; {PIN.describe()}")

        # Alternate the three, best of --repeat each: this machine's noise is larger than the gaps.
        times: dict[str, list[float]] = {"direct": [], "direct+write": [], "bte": []}
        for i in range(args.repeat):
            instance = start_direct(args.runtime, {})
            try:
                settle()
                secs, direct_n = direct_throughput(instance.url, indir / "data.csv", args.workers, 6, "MultiRecord")
                times["direct"].append(secs)
                settle()
                secs, _ = direct_throughput(instance.url, indir / "data.csv", args.workers, 6, "MultiRecord",
                                            sink=tmpdir / "direct.out")
                times["direct+write"].append(secs)
                (tmpdir / "direct.out").unlink()
            finally:
                instance.stop()
            settle()
            secs, bte_n = bte_throughput(args.runtime, {}, indir, tmpdir / "out" / str(i), f"bench-overhead-{i}",
                                         args.workers, 6, "MultiRecord")
            times["bte"].append(secs)
            shutil.rmtree(tmpdir / "out" / str(i))
        best = {k: min(v) for k, v in times.items()}
        labels = {"direct": "direct client", "direct+write": "direct + write", "bte": "bte"}
        for key, label in labels.items():
            rate = size / MB / best[key]
            print(f"{label:<15}: {direct_n} mini-batches, best of {args.repeat}: {best[key]:.2f} s = "
                  f"{rate:.1f} MiB/s  (all: {', '.join(f'{t:.2f}' for t in times[key])})")
        median = {k: statistics.median(v) for k, v in times.items()}
        ratio = best["direct"] / best["bte"]
        ratio_io = best["direct+write"] / best["bte"]
        print(f"ratio bte/direct: {ratio:.2f} best, {median['direct'] / median['bte']:.2f} median   "
              f"(bte/direct+write, same disk work: {ratio_io:.2f} best, "
              f"{median['direct+write'] / median['bte']:.2f} median)")
        results["overhead"] = {k: size / MB / v for k, v in best.items()}
        results["overhead"].update(ratio=ratio, ratio_same_io=ratio_io, mini_batches=bte_n,
                                   ratio_median=median["direct"] / median["bte"], pinning=PIN.describe())

        # Part 2: scaling on a latency-bound model, one record per request
        small = tmpdir / "small"
        small.mkdir()
        (small / "records.csv").write_bytes(b"".join(f"{i},x\n".encode() for i in range(args.records)))
        env = {"ECHO_LATENCY_MS": str(args.latency_ms)}
        print(f"\nscaling: {args.records} records, SingleRecord, echo latency {args.latency_ms} ms")
        base = None
        scaling = {}
        for workers in (1, 2, 4, 8):
            secs, n = bte_throughput(args.runtime, env, small, tmpdir / f"out-{workers}", f"bench-scale-{workers}",
                                     workers, 6, "SingleRecord")
            rate = n / secs
            base = base or rate
            scaling[workers] = {"requests_per_s": rate, "speedup": rate / base}
            print(f"  MaxConcurrentTransforms={workers}: {rate:7.1f} requests/s  speedup x{rate / base:.2f} "
                  f"(ideal x{workers})")
        results["scaling"] = scaling
    print("\n" + json.dumps(results))


if __name__ == "__main__":
    os.environ.setdefault("BTE_DOCKER_NETWORK", "host")
    main()
