"""Soak: many jobs through `bte serve`, then count what is left behind.

    .venv/bin/python benchmarks/soak.py [--jobs 200] [--at-once 8] [--clients 32]

Starts `bte serve --max-jobs 8` (its own S3, the echo image in Docker), creates --jobs
small jobs: 8 of 10 succeed, 1 fails in the model (every request answers 500), 1 is
stopped once it has started. While they run, --clients threads poll DescribeTransformJob
and ListTransformJobs and their latencies are kept; at the end a storm of malformed
bodies must get 4xx answers while the server keeps serving. Then it checks and prints:
every job's end state as expected; containers and networks left; `.bte-partial` /
`.bte-replaced` objects and open multipart uploads left; the server's file descriptors,
listening sockets and RSS after the first 10 jobs and at the end (RSS growth target:
under 50 MB). Exit status 1 when a check fails. Not part of CI's default run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import docker  # noqa: E402
import requests  # noqa: E402

from tests.api.server import BteServer  # noqa: E402
from tests.engine.jobs import job_request, model_request  # noqa: E402

INPUT = b"".join(b"%d,%s\n" % (i, b"x" * 20) for i in range(20))
TERMINAL = ("Completed", "Failed", "Stopped")


def kind_of(i: int) -> str:
    return {0: "Failed", 5: "Stopped"}.get(i % 10, "Completed")


def proc_figures(pid: int) -> tuple[float, int]:
    """(RSS in MB, open file descriptors) of a process."""
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    return rss / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def listening(pid: int) -> int:
    """Listening TCP sockets the process holds."""
    inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
              if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")}
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:] + Path("/proc/net/tcp6").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[3] == "0A" and row.split()[9] in inodes)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else (values[0] if values else 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--at-once", type=int, default=8)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--image", default="bte-sample/echo:latest")
    args = parser.parse_args()
    engine = docker.from_env()
    networks_before = len(engine.networks.list())
    state = Path(tempfile.mkdtemp(prefix="bte-soak-")) / "state"
    state.mkdir(parents=True)
    server = BteServer(state, "--max-jobs", str(args.at_once)).start()
    assert server.process is not None
    pid = server.process.pid
    failures: list[str] = []
    try:
        sm, s3 = server.client("sagemaker"), server.client("s3")
        s3.create_bucket(Bucket="soak")
        s3.put_object(Bucket="soak", Key="in/data.csv", Body=INPUT)
        sm.create_model(**model_request("ok", args.image, {}))
        sm.create_model(**model_request("fails", args.image, {"ECHO_FAIL_EVERY_N": "1"}))
        sm.create_model(**model_request("slow", args.image, {"ECHO_LATENCY_MS": "2000"}))  # 40 s unless stopped
        names = [f"soak-{i:04d}" for i in range(args.jobs)]
        latencies: dict[str, list[float]] = {"Describe": [], "List": []}
        errors: list[str] = []
        done = threading.Event()

        def poll(n: int) -> None:
            client = server.client("sagemaker")
            while not done.is_set():
                for op, call in (("Describe", lambda: client.describe_transform_job(TransformJobName=names[n % len(names)])),
                                 ("List", lambda: client.list_transform_jobs(MaxResults=50))):
                    started = time.perf_counter()
                    try:
                        call()
                    except Exception as exc:  # a job not created yet is the only expected error
                        if "ResourceNotFound" not in str(exc) and "Could not find" not in str(exc):
                            errors.append(f"{op}: {exc}")
                        continue
                    latencies[op].append(time.perf_counter() - started)
                n += 7

        pollers = [threading.Thread(target=poll, args=(i,), daemon=True) for i in range(args.clients)]
        for t in pollers:
            t.start()
        stopped: set[str] = set()

        def stop_started(created: int) -> None:
            """Stop every job meant to be stopped that has started. Called between creates
            too: creating 200 jobs under 32 pollers takes longer than a job to stop runs."""
            for i in range(5, created, 10):
                name = names[i]
                if name in stopped:
                    continue
                described = sm.describe_transform_job(TransformJobName=name)
                if "TransformStartTime" in described and described["TransformJobStatus"] == "InProgress":
                    sm.stop_transform_job(TransformJobName=name)
                    stopped.add(name)
                elif described["TransformJobStatus"] in TERMINAL:
                    stopped.add(name)  # ended before a stop could reach it: counted as unexpected below

        started = time.time()
        for i, name in enumerate(names):
            kind = kind_of(i)
            request = job_request(name, "s3://soak/in/", f"s3://soak/out/{name}/",
                                  ModelName={"Completed": "ok", "Failed": "fails", "Stopped": "slow"}[kind],
                                  BatchStrategy="SingleRecord" if kind == "Stopped" else "MultiRecord",
                                  MaxConcurrentTransforms=1,  # a job to stop runs 40 s: the stop lands first
                                  ModelClientConfig={"InvocationsMaxRetries": 0})
            sm.create_transform_job(**request)
            stop_started(i + 1)
        first_ten: tuple[float, int] | None = None
        states: dict[str, str] = {}
        while len(states) < len(names):
            stop_started(len(names))
            for i, name in enumerate(names):
                if name not in states:
                    status = sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"]
                    if status in TERMINAL:
                        states[name] = status
            if first_ten is None and len(states) >= 10:
                first_ten = proc_figures(pid)
            time.sleep(0.5)
        elapsed = time.time() - started
        done.set()
        for t in pollers:
            t.join()
        storm = 0
        for body in (b"{", b"[]", b"\x00\xff", b'{"TransformJobName": 5}', b"x" * 100_000):
            for target in ("SageMaker.CreateTransformJob", "SageMaker.DescribeTransformJob"):
                answer = requests.post(server.url, data=body, timeout=10, headers={
                    "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
                storm += 1
                if not 400 <= answer.status_code < 500:
                    failures.append(f"malformed body to {target} answered {answer.status_code}")
        sm.list_transform_jobs()  # still serving
        time.sleep(1.0)
        end = proc_figures(pid)
        wrong = [f"{n}: {states[n]} (expected {kind_of(i)})" for i, n in enumerate(names) if states[n] != kind_of(i)]
        containers = [c for c in engine.containers.list(all=True, filters={"label": "bte.job"})
                      if c.labels.get("bte.job", "").startswith("soak-")]  # the engine may be shared
        temps = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="soak")
                 for o in page.get("Contents", []) if o["Key"].endswith((".bte-partial", ".bte-replaced"))]
        uploads = s3.list_multipart_uploads(Bucket="soak").get("Uploads", [])
        networks = len(engine.networks.list()) - networks_before
        assert first_ten is not None
        print(f"jobs: {len(names)} in {elapsed:.0f} s ({args.at_once} at a time), "
              f"{sum(1 for s in states.values() if s == 'Completed')} Completed, "
              f"{sum(1 for s in states.values() if s == 'Failed')} Failed, "
              f"{sum(1 for s in states.values() if s == 'Stopped')} Stopped; unexpected end states: {len(wrong)}")
        print(f"left behind: {len(containers)} containers, {networks} networks, {len(temps)} temporary objects, "
              f"{len(uploads)} open uploads, {listening(pid)} listening sockets of the server")
        print(f"server RSS: {first_ten[0]:.0f} MB after 10 jobs, {end[0]:.0f} MB at the end "
              f"(growth {end[0] - first_ten[0]:+.0f} MB); file descriptors: {first_ten[1]} -> {end[1]}")
        for op, values in latencies.items():
            print(f"{op} under load ({args.clients} clients): {len(values)} calls, "
                  f"p50 {statistics.median(values) * 1000:.0f} ms, p99 {p99(values) * 1000:.0f} ms, "
                  f"errors {sum(1 for e in errors if e.startswith(op))}")
        print(f"malformed-body storm: {storm} requests, all 4xx: {not failures}; server still serving")
        failures += wrong[:5] + [f"client error: {e}" for e in errors[:5]]
        if containers or temps or uploads or networks > 0:
            failures.append("something was left behind")
        if end[0] - first_ten[0] > 50:
            failures.append("RSS grew by more than 50 MB")
    finally:
        server.stop()
        engine.close()
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
