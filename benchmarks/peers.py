"""bte against what users would otherwise run, side by side in one run (issue 15).

    .venv/bin/python benchmarks/peers.py [--repeat 3] [--cases NAME,...] [--big-mb 200] [--no-sdk]

Sides, on the same image, data and request:
- **bte**: `bte run job.json --image IMAGE -q`, timed from start to exit, as a user waits.
- **SDK v2 / SDK v3 local mode**: `benchmarks/peers_sdk.py` in the SDK's own venv
  (`scripts/client_venvs.sh` makes build/venvs/sdk2 and sdk3), which creates the model
  through a `LocalSession` and runs `Transformer(...).transform(..., wait=True)` on file://
  data; timed from start to exit. Needs docker-compose (installed with apt when missing and
  run as root). No AWS account, no network, telemetry off (`SAGEMAKER_USER_CONFIG_OVERRIDE`).
- **container**: the container's own time: `docker run -d` of the image until the first 200
  on `/ping` (polled every 10 ms), plus a direct client sending the same mini-batches (cut
  by bte's data plane, same concurrency) to an already-healthy container.

Network: bte's default, a bridge network with the container's port 8080 published on
127.0.0.1, for bte and the container alike (SDK local mode uses a bridge network too);
`--network host` runs bte (`BTE_DOCKER_NETWORK=host`) and the container on the host's
network instead. Starting and killing a container on a bridge network costs the engine
about 0.2 s more than on the host's (a network namespace, a veth pair, the port proxy),
so both sides must use the same mode to be compared.

Every side's outputs are checked byte for byte against the expected answer before any time
is reported. Each figure is the minimum (and median) of --repeat runs; ratios use minimums.
The sides take turns (container, bte, SDKs, then again), so a machine whose speed drifts
does not favour the side that ran first.

bte's modules are byte-compiled before the first run (`compileall`, with
PYTHONDONTWRITEBYTECODE ignored), as `pip install` of the package does and as any later
run of an editable install finds them; on a machine that sets PYTHONDONTWRITEBYTECODE,
every `bte` would otherwise compile its modules again (about 0.05 s of each start).
Targets: bte at most 0.3 s over the container's own time, and at least 10x faster than
either SDK except where that would be below the container's own time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from emulator import data  # noqa: E402

THIRD_PARTY = "bte-sample/third-party:latest"
ECHO = "bte-sample/echo:latest"
VENVS = REPO / "build" / "venvs"


@dataclass
class Case:
    name: str
    image: str
    files: dict[str, int]  # file name -> number of records
    job: dict[str, Any] = field(default_factory=dict)  # BatchStrategy, MaxConcurrentTransforms, ...
    env: dict[str, str] = field(default_factory=dict)

    def records(self) -> int:
        return sum(self.files.values())


def cases(big_mb: int) -> list[Case]:
    big_records = big_mb * (1 << 20) // 16  # ~16-byte CSV rows
    return [
        Case("1 record", THIRD_PARTY, {"one.csv": 1}),
        Case("300 records SingleRecord", THIRD_PARTY, {"rows.csv": 300}, {"BatchStrategy": "SingleRecord"}),
        Case("20 ms/request, MCT 1", ECHO, {"rows.csv": 100},
             {"BatchStrategy": "SingleRecord", "MaxConcurrentTransforms": 1}, {"ECHO_LATENCY_MS": "20"}),
        Case("20 ms/request, MCT 4", ECHO, {"rows.csv": 100},
             {"BatchStrategy": "SingleRecord", "MaxConcurrentTransforms": 4}, {"ECHO_LATENCY_MS": "20"}),
        Case("2 x 5,000 lines MultiRecord", THIRD_PARTY, {"a.csv": 5000, "b.csv": 5000}, {"BatchStrategy": "MultiRecord"}),
        Case("20 small files", THIRD_PARTY, {f"part-{i:02d}.csv": 10 for i in range(20)}),
        Case(f"one {big_mb} MB file", THIRD_PARTY, {"big.csv": big_records}, {"BatchStrategy": "MultiRecord"}),
    ]


def row(i: int) -> str:
    return f"{i % 7},{i % 5},{i % 3},{i % 11}\n"


def expected_line(i: int, image: str) -> str:
    if image == ECHO:
        return row(i)
    return f"{0.5 + (i % 7) + 2 * (i % 5) + 3 * (i % 3) + 4 * (i % 11):g}\n"


def write_inputs(case: Case, folder: Path) -> dict[str, bytes]:
    """The input files, and the expected .out of each."""
    folder.mkdir(parents=True)
    expected = {}
    for name, count in case.files.items():
        with open(folder / name, "w") as fh:
            for start in range(0, count, 100_000):
                fh.write("".join(row(i) for i in range(start, min(count, start + 100_000))))
        expected[name + ".out"] = "".join(expected_line(i, case.image) for i in range(count)).encode()
    return expected


def sdk_expected(case: Case, expected: dict[str, bytes]) -> dict[str, bytes]:
    """What SDK local mode writes: with AssembleWith Line it adds a newline after every answer,
    even one that already ends with a newline (the echo model returns each line as it came),
    where bte adds none (docs/differences.md). Records are otherwise the same bytes."""
    if case.image != ECHO:
        return expected
    return {name: data.replace(b"\n", b"\n\n") for name, data in expected.items()}


def check_outputs(side: str, case: Case, out: Path, expected: dict[str, bytes]) -> None:
    found = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} if out.exists() else {}
    if found != expected:
        wrong = sorted(set(expected) ^ set(found)) or [n for n in expected if found.get(n) != expected[n]]
        first = wrong[0]
        raise SystemExit(f"{side}, case {case.name!r}: outputs differ from the expected answer ({wrong[:3]}); "
                         f"{first}: expected {expected.get(first, b'')[:60]!r}..., found {found.get(first, b'')[:60]!r}...")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request_json(case: Case, name: str, inp: Path, out: Path) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TransformJobName": name, "ModelName": "peers",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": str(inp) + "/"}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": str(out), "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    }
    request.update(case.job)
    if case.env:
        request["Environment"] = dict(case.env)
    return request


# -- the sides ----------------------------------------------------------------------
NETWORK = "bridge"  # set from --network in main()


def run_bte(case: Case, work: Path, inp: Path) -> tuple[float, Path]:
    out = work / "out-bte"
    job = work / "job.json"
    job.write_text(json.dumps(request_json(case, "peers-bte", inp, out)))
    started = time.perf_counter()
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "bte"), "run", str(job), "--image", case.image, "-q"],
                          capture_output=True, text=True, env={**os.environ, "BTE_DOCKER_NETWORK": NETWORK})
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bte failed on {case.name!r}: {proc.stderr[-2000:]}")
    return elapsed, out


def run_sdk(version: str, case: Case, work: Path, inp: Path, model_tar: Path, env: dict[str, str]) -> tuple[float, Path]:
    out = work / f"out-{version}"
    spec = work / f"{version}.json"
    spec.write_text(json.dumps({
        "image": case.image, "model_tar": f"file://{model_tar}", "input": f"file://{inp}",
        "output": f"file://{out}", "job": {**case.job, "Environment": case.env},
    }))
    python = VENVS / version / "bin" / "python"
    started = time.perf_counter()
    proc = subprocess.run([str(python), str(REPO / "benchmarks" / "peers_sdk.py"), str(spec)],
                          capture_output=True, text=True, env=env, cwd=work)
    elapsed = time.perf_counter() - started
    remove_compose_leftovers()
    if proc.returncode != 0:
        raise SystemExit(f"SDK {version} local mode failed on {case.name!r}: {proc.stdout[-1500:]}{proc.stderr[-2500:]}")
    return elapsed, out


def remove_compose_leftovers() -> None:
    """SDK local mode stops its docker-compose containers but leaves them; remove them (outside
    the timed part) so that runs do not pile exited containers up in the engine for the next."""
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", "label=com.docker.compose.project",
                          "--filter", "status=exited"], capture_output=True, text=True).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", *ids], capture_output=True)


def run_container(case: Case, work: Path, inp: Path) -> tuple[float, Path]:
    """The container's own time: `docker run -d` until /ping is 200, plus a direct client."""
    port = free_port()
    if NETWORK == "host":
        env = {**case.env, "SAGEMAKER_BIND_TO_PORT": str(port), "BTE_BIND_HOST": "127.0.0.1"}
        net_args = ["--network", "host"]
    else:
        env, net_args = dict(case.env), ["-p", f"127.0.0.1:{port}:8080"]
    env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
    started = time.perf_counter()
    cid = subprocess.run(["docker", "run", "-d", *net_args, *env_args, case.image, "serve"],
                         capture_output=True, text=True, check=True).stdout.strip()
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                if urllib.request.urlopen(f"{url}/ping", timeout=1).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.01)
        start_up = time.perf_counter() - started
        out, client_s = direct_client(case, url, inp, work / "out-container")
        return start_up + client_s, out
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)


def direct_client(case: Case, url: str, inp: Path, out: Path) -> tuple[Path, float]:
    """The same mini-batches as the job, cut by bte's data plane, sent by plain threads."""
    try:
        params = json.loads(urllib.request.urlopen(f"{url}/execution-parameters", timeout=2).read())
    except OSError:
        params = {}
    strategy = case.job.get("BatchStrategy") or params.get("BatchStrategy", "MultiRecord")
    workers = case.job.get("MaxConcurrentTransforms") or params.get("MaxConcurrentTransforms", 1)
    payload_mb = case.job.get("MaxPayloadInMB") or params.get("MaxPayloadInMB", 6)
    out.mkdir()
    started = time.perf_counter()
    for name in case.files:
        raw = (inp / name).read_bytes()
        strategy = {"MULTI_RECORD": "MultiRecord", "SINGLE_RECORD": "SingleRecord"}.get(strategy, strategy)
        batches = list(data.iter_minibatches([raw], split_type="Line", batch_strategy=strategy,
                                             max_payload_bytes=data.max_payload_bytes(payload_mb), count_records=False))
        answers: list[bytes] = [b""] * len(batches)
        lock = threading.Lock()
        todo = list(enumerate(batches))

        def work() -> None:
            while True:
                with lock:
                    if not todo:
                        return
                    index, batch = todo.pop(0)
                req = urllib.request.Request(f"{url}/invocations", data=batch.body, headers={"Content-Type": "text/csv"})
                body = urllib.request.urlopen(req, timeout=600).read()
                answers[index] = body if body.endswith(b"\n") else body + b"\n"

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        (out / f"{name}.out").write_bytes(b"".join(answers))
    return out, time.perf_counter() - started


# -- set-up ---------------------------------------------------------------------------
def sdk_environment(work: Path) -> dict[str, str]:
    config = work / "sagemaker-config.yaml"
    config.write_text("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="peers", AWS_SECRET_ACCESS_KEY="peers", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true", SAGEMAKER_USER_CONFIG_OVERRIDE=str(config),
               SAGEMAKER_ADMIN_CONFIG_OVERRIDE=str(config))
    return env


def set_up(with_sdk: bool) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "emulator")], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    missing = [image for image in (THIRD_PARTY, ECHO)
               if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode != 0]
    wheels = REPO / "build" / "wheels"
    if missing and (wheels / ".complete").exists():  # built offline, from the repo's sample models
        names = [image.split("/")[1].split(":")[0] for image in missing]
        print(f"building {', '.join(missing)} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(REPO / "scripts" / "build_sample_images.py"), "--base", "bte-base:bookworm",
                        "--wheels", str(wheels), *names], check=True, stdout=subprocess.DEVNULL)
    elif missing:
        raise SystemExit(f"{', '.join(missing)} missing, and no base image or wheelhouse to build them offline: run "
                         "`bash scripts/test tests/test_cli.py` once (it starts Docker, makes bte-base:bookworm and "
                         "build/wheels, and builds the sample images)")
    if not with_sdk:
        return []
    if not (shutil.which("docker-compose") or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0):
        if os.geteuid() != 0:
            raise SystemExit("SDK local mode needs docker compose: install docker-compose, or pass --no-sdk")
        print("installing docker-compose (SDK local mode needs it) ...", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "docker-compose"], check=True, capture_output=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not all((VENVS / s / "bin" / "python").exists() for s in ("sdk2", "sdk3")):
        subprocess.run(["bash", str(REPO / "scripts" / "client_venvs.sh")], check=True)
    return ["sdk2", "sdk3"]


def model_tarball(work: Path) -> Path:
    tar = work / "model.tar.gz"
    with tarfile.open(tar, "w:gz") as fh:
        fh.add(REPO / "sample_models" / "third-party" / "model" / "params.json", arcname="params.json")
    return tar


# -- the run -------------------------------------------------------------------------
Side = tuple[Callable[[], tuple[float, Path]], Callable[[Path], None]]  # run it; check its outputs


def measure(sides: dict[str, Side], repeat: int) -> dict[str, list[float]]:
    """Each side's times, the sides taking turns."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, (run, check) in sides.items():
            elapsed, out = run()
            check(out)
            shutil.rmtree(out)
            times[name].append(elapsed)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", help="comma-separated case names (substrings) to run")
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--no-sdk", action="store_true", help="bte and the container only")
    parser.add_argument("--network", choices=("bridge", "host"), default="bridge",
                        help="the Docker network of bte's and the container's side (default: bridge, bte's default)")
    args = parser.parse_args()
    global NETWORK
    NETWORK = args.network
    sdks = set_up(not args.no_sdk)
    chosen = [c for c in cases(args.big_mb) if not args.cases or any(s in c.name for s in args.cases.split(","))]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bte-peers-") as tmp:
        root = Path(tmp)
        env = sdk_environment(root)
        tar = model_tarball(root)
        for n, case in enumerate(chosen):
            work = root / f"case{n}"
            inp = work / "in"
            expected = write_inputs(case, inp)

            def check(out: Path, side: str = "", case: Case = case) -> None:
                check_outputs(side, case, out, sdk_expected(case, expected) if side.startswith("sdk") else expected)

            sides: dict[str, Side] = {
                "container": (lambda: run_container(case, work, inp), lambda out: check(out, "container")),
                "bte": (lambda: run_bte(case, work, inp), lambda out: check(out, "bte")),
            }
            for sdk in sdks:
                sides[sdk] = (lambda sdk=sdk: run_sdk(sdk, case, work, inp, tar, env),
                              lambda out, sdk=sdk: check(out, sdk))
            result: dict[str, Any] = {"case": case.name, **measure(sides, args.repeat)}
            rows.append(result)
            print(render_row(result, sdks), flush=True)
    print()
    print(render_table(rows, sdks))
    return 0


def fmt(times: list[float]) -> str:
    return f"{min(times):.2f} / {statistics.median(times):.2f}"


def render_row(r: dict[str, Any], sdks: list[str]) -> str:
    parts = [f"{r['case']}: container {fmt(r['container'])} s, bte {fmt(r['bte'])} s"]
    parts += [f"{s} {fmt(r[s])} s" for s in sdks]
    return ", ".join(parts)


def render_table(rows: list[dict[str, Any]], sdks: list[str]) -> str:
    head = "| case | container (min / median s) | bte | bte - container |" + "".join(
        f" {s} | {s} / bte |" for s in sdks)
    lines = [head, "|" + "---|" * (4 + 2 * len(sdks))]
    for r in rows:
        bte, own = min(r["bte"]), min(r["container"])
        cells = [r["case"], fmt(r["container"]), fmt(r["bte"]), f"{bte - own:+.2f} s"]
        for s in sdks:
            cells += [fmt(r[s]), f"{min(r[s]) / bte:.1f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
