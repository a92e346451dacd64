"""Control-plane benchmark: what `bte serve` adds to a job, and how fast it answers.

    .venv/bin/python benchmarks/api.py [--runtime docker|process] [--repeat 5] [--jobs 10000] [--poll-interval 0.1]

Part 1 (one job): the same small job (echo, the same input in the server's own S3, the
same request) run through `bte serve` (CreateTransformJob, then DescribeTransformJob every
10 ms until it ends: what a client sees) and through `bte run`'s Python API in this process
(`run_transform_job`, the same code `bte run` calls, without the interpreter's start-up),
alternated, --repeat times each; plus the `bte run` command as a whole, interpreter
included, once. Target: serve at most 0.3 s more than the Python API.

Part 2 (Describe under load): while a job runs, 16 processes, each with its own boto3
client, call DescribeTransformJob for 5 s, each every --poll-interval seconds (default
0.1: 160 calls a second in all, far more than real pollers make: the SDK's waiter asks
every 30 s, `wait=True, logs=True` every few seconds). Target: p99 < 20 ms. Then the same
back to back (saturation: on a small machine this measures the wait for a CPU).

Part 3 (List over a big store): 10,000 ended jobs are written into a fresh state
directory (through the store, as finished runs), a server starts on it, and
ListTransformJobs is called 200 times each way (default page, 100 a page, a status and
name filter, sorted by name). Target: p99 < 50 ms.

Latencies are measured in the client (boto3 call to parsed answer), on loopback.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from emulator import run_transform_job  # noqa: E402
from emulator.server_process import ServerProcess  # noqa: E402
from emulator.store.db import Store  # noqa: E402
from emulator.store.paths import new_run_id  # noqa: E402

ECHO = REPO / "sample_models" / "echo"
IMAGE = "bte-sample/echo:latest"
TERMINAL = ("Completed", "Failed", "Stopped")


def client(url: str, service: str) -> Any:
    return boto3.session.Session().client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
        aws_secret_access_key="bench", config=Config(retries={"max_attempts": 1}, max_pool_connections=4))


def job(name: str, output: str, model: str = "echo", **extra: Any) -> dict[str, Any]:
    return {
        "TransformJobName": name, "ModelName": model,
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bench/in/"}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": output, "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}, **extra,
    }


def raw_caller(url: str, operation: str, body: dict[str, Any]) -> Callable[[], None]:
    """One SageMaker call over a kept-alive HTTP connection, answer read but not parsed by
    botocore: the server's own latency, without boto3's (~0.2 ms a summary) parsing."""
    import json

    import requests

    session = requests.Session()
    data = json.dumps(body).encode()
    headers = {"X-Amz-Target": f"SageMaker.{operation}", "Content-Type": "application/x-amz-json-1.1"}

    def call() -> None:
        response = session.post(url + "/", data=data, headers=headers, timeout=30)
        assert response.status_code == 200, response.text

    return call


def timed(call: Callable[[], Any], count: int) -> list[float]:
    call()
    out = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def start_server(state: Path, *args: str) -> ServerProcess:
    env = {**os.environ, "BTE_DOCKER_NETWORK": "host", "BTE_STATE_DIR": str(state)}
    return ServerProcess(state, args=args, env=env).start()


def model_request(runtime: str, env: dict[str, str] | None = None, name: str = "echo") -> dict[str, Any]:
    container: dict[str, Any] = {"Environment": env or {}}
    if runtime == "docker":
        container["Image"] = IMAGE
    else:
        container["ModelDataUrl"] = ECHO.as_uri()
    return {"ModelName": name, "PrimaryContainer": container}


def wait_until_done(sagemaker: Any, name: str, poll_s: float) -> dict[str, Any]:
    while True:
        answer: dict[str, Any] = sagemaker.describe_transform_job(TransformJobName=name)
        if answer["TransformJobStatus"] in TERMINAL:
            return answer
        time.sleep(poll_s)


# -- part 1 ------------------------------------------------------------------------------


def one_job(runtime: str, repeat: int, work: Path) -> None:
    server = start_server(work / "state-1", "--allow-local", str(ECHO))
    try:
        s3, sagemaker = client(server.url, "s3"), client(server.url, "sagemaker")
        s3.create_bucket(Bucket="bench")
        s3.put_object(Bucket="bench", Key="in/data.csv", Body=b"".join(b"%d,x,y\n" % i for i in range(2000)))
        model = model_request(runtime)
        sagemaker.create_model(**model)
        api_kwargs: dict[str, Any] = {"model": model, "runtime": runtime, "s3_endpoint_url": server.url}
        if runtime == "docker":
            api_kwargs["runtime_options"] = {"network": "host"}
        else:
            api_kwargs["model_dir"] = str(ECHO)
        os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
        served, direct = [], []
        for i in range(repeat):
            name = f"serve-{i}-{uuid.uuid4().hex[:6]}"
            start = time.perf_counter()
            sagemaker.create_transform_job(**job(name, f"s3://bench/out-{name}/"))
            answer = wait_until_done(sagemaker, name, 0.01)
            served.append(time.perf_counter() - start)
            assert answer["TransformJobStatus"] == "Completed", answer.get("FailureReason")

            name = f"run-{i}-{uuid.uuid4().hex[:6]}"
            start = time.perf_counter()
            result = run_transform_job(job(name, f"s3://bench/out-{name}/"), **api_kwargs)
            direct.append(time.perf_counter() - start)
            assert result.status == "Completed", result.failure_reason
        cli = cli_run(server.url, runtime, work)
    finally:
        server.stop()
    print(f"Part 1: one job (2,000 lines, echo, runtime {runtime}), median of {repeat} (best):")
    print(f"  bte serve  (Create -> Describe says Completed)  {statistics.median(served):6.3f} s ({min(served):.3f})")
    print(f"  bte run's Python API (run_transform_job)        {statistics.median(direct):6.3f} s ({min(direct):.3f})")
    print(f"  serve - Python API                               {statistics.median(served) - statistics.median(direct):+6.3f} s"
          f"   target < +0.300 s")
    print(f"  bte run, the whole command (interpreter start)  {cli:6.3f} s (once)")


def cli_run(url: str, runtime: str, work: Path) -> float:
    import json

    name = f"cli-{uuid.uuid4().hex[:6]}"
    (work / "job.json").write_text(json.dumps(job(name, f"s3://bench/out-{name}/")))
    (work / "model.json").write_text(json.dumps(model_request(runtime)))
    command = [sys.executable, "-m", "emulator.cli", "run", str(work / "job.json"), "--model", str(work / "model.json"),
               "--runtime", runtime, "--s3-endpoint-url", url, "--quiet"]
    if runtime == "process":
        command += ["--model-dir", str(ECHO)]
    env = {**os.environ, "BTE_DOCKER_NETWORK": "host", "BTE_STATE_DIR": str(work / "state-1")}
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


# -- part 2 ------------------------------------------------------------------------------


def describe_under_load(runtime: str, work: Path, poll_interval: float, pollers: int = 16, seconds: float = 5.0) -> None:
    server = start_server(work / "state-2", "--allow-local", str(ECHO))
    try:
        s3, sagemaker = client(server.url, "s3"), client(server.url, "sagemaker")
        s3.create_bucket(Bucket="bench")
        # 6,000 requests of 5 ms, 2 at a time: longer than both polling runs.
        s3.put_object(Bucket="bench", Key="in/data.csv", Body=b"".join(b"%d,x\n" % i for i in range(6000)))
        sagemaker.create_model(**model_request(runtime, {"ECHO_LATENCY_MS": "5"}))
        sagemaker.create_transform_job(**job("busy", "s3://bench/out-busy/", BatchStrategy="SingleRecord",
                                             MaxConcurrentTransforms=2))
        while "TransformStartTime" not in sagemaker.describe_transform_job(TransformJobName="busy"):
            time.sleep(0.05)
        # Pollers are processes, not threads: 16 boto3 clients in one interpreter would
        # mostly measure their own wait for the GIL.
        from concurrent.futures import ProcessPoolExecutor

        runs: list[tuple[str, float, list[float], list[float]]] = []
        with ProcessPoolExecutor(pollers) as pool:
            # Each process imports boto3 and connects before any clock starts: 16 imports
            # at once would otherwise fall inside the first run's window.
            list(pool.map(_warm_up, [server.url] * pollers))
            for label, interval in ((f"each every {poll_interval * 1000:.0f} ms", poll_interval), ("back to back", 0.0)):
                per = list(pool.map(_poll_describe, [server.url] * pollers, [seconds] * pollers, [interval] * pollers))
                runs.append((label, interval, [x for p, _ in per for x in p], [c for _, cs in per for c in cs]))
        during = sagemaker.describe_transform_job(TransformJobName="busy")["TransformJobStatus"]
        raw = timed(raw_caller(server.url, "DescribeTransformJob", {"TransformJobName": "busy"}), 200)
        final = wait_until_done(sagemaker, "busy", 0.2)["TransformJobStatus"]
    finally:
        server.stop()
    print(f"Part 2: DescribeTransformJob, {pollers} concurrent pollers for {seconds:.0f} s while a job runs "
          f"(it was {during} after, ended {final}):")
    for label, interval, flat, cpu in runs:
        target = "   target p99 < 20 ms" if interval else "   (saturation, no target)"
        print(f"  {label}: {len(flat)} calls ({len(flat) / seconds:.0f}/s)   p50 {ms(percentile(flat, 50))}   "
              f"p99 {ms(percentile(flat, 99))}   max {ms(max(flat))}{target}")
        print(f"    the pollers' own CPU per call (boto3 signing, serializing, parsing): median {ms(percentile(cpu, 50))}")
    print(f"  one caller alone, raw HTTP (no boto3):  p50 {ms(percentile(raw, 50))}   p99 {ms(percentile(raw, 99))}")


def _warm_up(url: str) -> None:
    client(url, "sagemaker").describe_transform_job(TransformJobName="busy")
    time.sleep(1.0)  # hold this process so that every task lands on its own


CLIENT_CPU: list[float] = []  # per poller process: its own CPU time per call (boto3's signing and parsing)


def _poll_describe(url: str, seconds: float, interval: float) -> tuple[list[float], list[float]]:
    import random

    sagemaker = client(url, "sagemaker")
    sagemaker.describe_transform_job(TransformJobName="busy")  # connect before the clock starts
    out: list[float] = []
    now = time.perf_counter()
    stop_at = now + seconds
    next_at = now + random.uniform(0, interval)  # pollers out of step, as independent clients are
    while time.perf_counter() < stop_at:
        if interval:
            time.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += interval
        start, cpu = time.perf_counter(), time.process_time()
        sagemaker.describe_transform_job(TransformJobName="busy")
        out.append(time.perf_counter() - start)
        CLIENT_CPU.append(time.process_time() - cpu)
    return out, CLIENT_CPU[-len(out):] if out else []


# -- part 3 ------------------------------------------------------------------------------


def seed(state: Path, count: int) -> None:
    store = Store(state)
    now = time.time() - count
    statuses = ("Completed", "Completed", "Completed", "Failed", "Stopped")
    for i in range(count):
        run_id = new_run_id() + f"-{i}"
        name = f"nightly-{i:05d}" if i % 2 else f"adhoc-{i:05d}"
        store.add_run(run_id, job(name, "s3://bench/out/"), model=None, origin="run", creation_time=now + i)
        status = statuses[i % len(statuses)]
        store.update_run(run_id, status=status, start_time=now + i, end_time=now + i + 0.5,
                         failure_reason="bench: seeded" if status == "Failed" else None)
    store.close()


def list_big_store(count: int, work: Path, calls: int = 200) -> None:
    state = work / "state-3"
    start = time.perf_counter()
    seed(state, count)
    seeded = time.perf_counter() - start
    server = start_server(state)
    ways: dict[str, Callable[[Any], Any]] = {
        "default page (10, newest first)": lambda c: c.list_transform_jobs(),
        "MaxResults=100": lambda c: c.list_transform_jobs(MaxResults=100),
        "StatusEquals=Failed, NameContains=nightly": lambda c: c.list_transform_jobs(
            StatusEquals="Failed", NameContains="nightly", MaxResults=100),
        "SortBy=Name, Ascending": lambda c: c.list_transform_jobs(SortBy="Name", SortOrder="Ascending",
                                                                   MaxResults=100),
    }
    results: dict[str, list[float]] = {}
    try:
        sagemaker = client(server.url, "sagemaker")
        for way, call in ways.items():
            results[way] = timed(lambda: call(sagemaker), calls)
        results["default page, raw HTTP (no boto3)"] = timed(raw_caller(server.url, "ListTransformJobs", {}), calls)
        results["MaxResults=100, raw HTTP (no boto3)"] = timed(
            raw_caller(server.url, "ListTransformJobs", {"MaxResults": 100}), calls)
        paginator = sagemaker.get_paginator("list_transform_jobs")
        t0 = time.perf_counter()
        total = sum(len(page["TransformJobSummaries"]) for page in paginator.paginate(PaginationConfig={"PageSize": 100}))
        walk = time.perf_counter() - t0
    finally:
        server.stop()
    print(f"Part 3: ListTransformJobs with {count:,} jobs in the store (seeded in {seeded:.1f} s), "
          f"{calls} calls each:")
    for way, values in results.items():
        print(f"  {way:44} p50 {ms(percentile(values, 50))}   p99 {ms(percentile(values, 99))}")
    print(f"  every page through boto3's paginator (100 a page): {total:,} jobs in {walk:.2f} s   target p99 < 50 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runtime", choices=("docker", "process"), default="docker")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--parts", default="123", help="which parts to run (default 123)")
    parser.add_argument("--poll-interval", type=float, default=0.1,
                        help="seconds between one poller's Describe calls in part 2 (default 0.1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bte-bench-api-") as tmp:
        work = Path(tmp)
        if "1" in args.parts:
            one_job(args.runtime, args.repeat, work)
        if "2" in args.parts:
            describe_under_load(args.runtime, work, args.poll_interval)
        if "3" in args.parts:
            list_big_store(args.jobs, work)


if __name__ == "__main__":
    main()
