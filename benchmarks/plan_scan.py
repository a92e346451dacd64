"""How fast `bte plan` reads whole inputs, against reading them.

    .venv/bin/python benchmarks/plan_scan.py               # 1 GiB each
    .venv/bin/python benchmarks/plan_scan.py --size-mb 64  # quicker

For each generated CSV (in a temporary directory, deleted afterwards: plain numeric rows,
and rows with a quoted cell on every line, the slow case for the quoted-newline check) it
times a raw read of the file, then the plan's whole scan of it (``emulator.planning.survey``:
the engine's batching code with MaxPayloadInMB 6, record counts, every text check), and
prints seconds (wall and CPU: on a busy machine the CPU time says more), MB/s, the ratio
to the raw read and the process's peak RSS, with the load average. The file is in the
page cache, so the raw read is the machine's memory bandwidth, not its disk.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.planning import survey  # noqa: E402
from emulator.transform import prepare  # noqa: E402

ROWS = {
    "numeric": b"12345,0.6043219111811695,7,99.5,0\n",
    "quoted cells": b'12345,0.6043219111811695,abcdef,"quoted cell",99\n',
}


def write(path: Path, row: bytes, size: int) -> None:
    block = row * (4 << 20 // len(row))
    with open(path, "wb") as fh:
        done = 0
        while done < size:
            fh.write(block)
            done += len(block)


def raw_read(path: Path) -> float:
    started = time.perf_counter()
    with open(path, "rb") as fh:
        while fh.read(1 << 20):
            pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bte-plan-bench-"))
    try:
        for name, row in ROWS.items():
            data = folder / "in" / "data.csv"
            data.parent.mkdir(exist_ok=True)
            write(data, row, args.size_mb << 20)
            raw_read(data)  # into the page cache
            raw = raw_read(data)
            request = {"TransformJobName": "bench", "ModelName": "m",
                       "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                          "S3Uri": str(data)}},
                                          "ContentType": "text/csv", "SplitType": "Line"},
                       "TransformOutput": {"S3OutputPath": str(folder / "out")},
                       "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}
            prepared = prepare(request, image="unused:latest")
            started, cpu = time.perf_counter(), time.process_time()
            found = survey(prepared.plan)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            scan = found.scenarios[0].scans[prepared.plan.inputs[0].uri]
            size_mb = data.stat().st_size / (1 << 20)
            print(f"{name:>13}: {size_mb:.0f} MB, {scan.batches} mini-batches, {scan.records} records: "
                  f"plan {seconds:.2f} s ({size_mb / seconds:.0f} MB/s; CPU {cpu:.2f} s), raw read {raw:.2f} s "
                  f"({size_mb / raw:.0f} MB/s), plan / read {seconds / raw:.1f}x; "
                  f"warnings {[w.code for w in found.warnings]}")
            data.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
