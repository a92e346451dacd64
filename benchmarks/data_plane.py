"""Data-plane throughput: how close mini-batching runs to plain reading.

    .venv/bin/python benchmarks/data_plane.py              # 1 GiB CSV + 1 GiB JSON Lines
    .venv/bin/python benchmarks/data_plane.py --size-mb 64 # quicker

For each generated file (in a temporary directory, deleted afterwards) it measures, in one
run: raw read throughput (read the file in chunks and drop them); Line + MultiRecord with
MaxPayloadInMB=6 as the engine runs it on a local file (storage's reader, bodies read by
offset, records not counted), the same from plain chunks (how S3 and Gzip inputs arrive),
and with record numbers (what the engine adds only when DataProcessing needs them); and
Line + SingleRecord; then the process's peak RSS. Targets: MultiRecord >= 0.5x raw read,
peak RSS < 200 MB whatever the input size. Ratios are measured in one run on one machine;
absolute figures depend on it (the file is in the page cache).
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.data import MB, iter_minibatches  # noqa: E402
from emulator.memory import reuse_large_buffers  # noqa: E402
from emulator.storage import open_input  # noqa: E402


def _block(kind: str, target: int, rng: random.Random) -> bytes:
    rows = []
    size = 0
    i = 0
    while size < target:
        feats = [f"{rng.random():.6f}" for _ in range(8)]
        if kind == "csv":
            row = f"{i},{','.join(feats)},{rng.randint(0, 1)}\n"
        else:
            row = f'{{"id":{i},"features":[{",".join(feats)}],"label":{rng.randint(0, 1)}}}\n'
        rows.append(row)
        size += len(row)
        i += 1
    return "".join(rows).encode()


def generate(path: Path, kind: str, size: int) -> None:
    """Write ``size`` bytes (whole rows) of CSV or JSON Lines, in bounded memory."""
    block = _block(kind, 4 * MB, random.Random(42))
    written = 0
    with path.open("wb") as f:
        while written + len(block) <= size:
            f.write(block)
            written += len(block)
        rest = block[:size - written]
        rest = rest[:rest.rfind(b"\n") + 1]
        f.write(rest)


def chunks(path: Path, chunk: int) -> Iterator[bytes]:
    with path.open("rb", buffering=0) as f:
        while data := f.read(chunk):
            yield data


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    n = fn()
    return time.perf_counter() - start, n


def measure(path: Path, chunk: int, repeats: int) -> list[tuple[str, float, int]]:
    size = path.stat().st_size

    def raw() -> int:
        return sum(1 for _ in chunks(path, chunk))

    def batched(strategy: str, *, count_records: bool = False, from_chunks: bool = False) -> Callable[[], int]:
        def run() -> int:
            # The engine's way in: storage's reader of a local file (bodies read by offset),
            # or plain chunks, as an S3 or Gzip stream hands them over.
            source = chunks(path, chunk) if from_chunks else open_input(str(path), chunk_size=chunk)
            n = 0
            for _ in iter_minibatches(source, split_type="Line", batch_strategy=strategy,
                                      max_payload_bytes=6 * MB, source=str(path), count_records=count_records):
                n += 1
            return n
        return run

    raw()  # warm the page cache so every figure reads from memory alike
    results = []
    for name, fn, times in (("raw read", raw, repeats),
                            ("Line+MultiRecord 6MB", batched("MultiRecord"), repeats),
                            ("  from chunks (S3/Gzip)", batched("MultiRecord", from_chunks=True), repeats),
                            ("  + record numbers", batched("MultiRecord", count_records=True), repeats),
                            ("Line+SingleRecord", batched("SingleRecord"), 1)):
        # Best of ``times``: the machine is shared, and the fastest run is the least disturbed.
        seconds, n = min(timed(fn) for _ in range(times))
        results.append((name, size / seconds / MB, n))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of each file in MiB (default 1024)")
    parser.add_argument("--chunk-kb", type=int, default=1024, help="read chunk size in KiB (default 1024)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each fast measure, best taken (default 3; SingleRecord runs once)")
    parser.add_argument("--no-malloc-tuning", action="store_true",
                        help="leave glibc's allocator as it is (bte's engine tunes it at job start)")
    args = parser.parse_args()
    tuned = False if args.no_malloc_tuning else reuse_large_buffers()
    size, chunk = args.size_mb * MB, args.chunk_kb * 1024
    tmp = Path(tempfile.mkdtemp(prefix="bte-bench-"))
    try:
        print(f"data plane benchmark: {args.size_mb} MiB per file, {args.chunk_kb} KiB chunks, "
              f"best of {args.repeats}, Python {sys.version.split()[0]}, "
              f"allocator {'tuned as bte runs (emulator/memory.py)' if tuned else 'untuned'}")
        print(f"{'file':<12} {'measure':<22} {'MiB/s':>9} {'vs raw':>7} {'batches':>10}")
        for kind in ("csv", "jsonl"):
            path = tmp / f"input.{kind}"
            generate(path, kind, size)
            results = measure(path, chunk, args.repeats)
            raw_speed = results[0][1]
            for name, speed, n in results:
                count = "" if name == "raw read" else str(n)
                print(f"{kind:<12} {name:<22} {speed:>9.0f} {speed / raw_speed:>6.2f}x {count:>10}")
            path.unlink()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(f"peak RSS: {peak:.0f} MiB (target < 200 MiB)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
