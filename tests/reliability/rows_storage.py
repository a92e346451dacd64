"""Where outputs go: a missing bucket, a read-only or full disk, two jobs on one prefix."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.reliability.harness import Case, Fault, Outcome, lines


@contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A small tmpfs (root only; CI runs as root): a read-only or full disk, for real."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): needs root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _bucket_missing(case: Case) -> Outcome:
    case.write("a.csv", lines(3))
    return case.run(case.request("bucket-missing", TransformOutput={"S3OutputPath": "s3://no-such-bucket-here/out"}))


def _read_only(case: Case) -> Outcome:
    case.write("a.csv", lines(3))
    with tmpfs(case.tmp / "ro", "ro,size=1m") as disk:
        return case.run(case.request("read-only", TransformOutput={"S3OutputPath": str(disk / "out")}))


def _disk_full(case: Case) -> Outcome:
    case.write("big.csv", lines(40_000, width=40))  # about 2 MB of output for a 256 KiB disk
    case.write("small.csv", lines(3))
    with tmpfs(case.tmp / "full", "size=256k") as disk:
        outcome = case.run(case.request("disk-full", TransformOutput={"S3OutputPath": str(disk)}))
        names = sorted(p.name for p in disk.iterdir())
    assert names == ["small.csv.out"], names  # no partial left on the full disk; the other file whole
    return outcome


def _two_jobs(case: Case) -> Outcome:
    outcomes: dict[str, Outcome] = {}

    def run(name: str) -> None:
        folder = case.tmp / name
        folder.mkdir(parents=True)
        (folder / f"{name}.csv").write_bytes(lines(400))
        request = case.request(name, TransformInput={"DataSource": {"S3DataSource": {"S3Uri": str(folder)}}},
                               BatchStrategy="SingleRecord")
        outcomes[name] = case.run(request, {"ECHO_LATENCY_MS": "1"})

    threads = [threading.Thread(target=run, args=(n,)) for n in ("job-one", "job-two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = {o.status for o in outcomes.values()}
    first = outcomes["job-one"]
    return Outcome(statuses.pop() if len(statuses) == 1 else "mixed", first.text, first.data_log, case.out)


ROWS = [
    Fault("output-bucket-missing", "storage", "the output bucket does not exist",
          "CreateTransformJob is refused", "refused before any instance starts, naming the bucket and endpoint",
          'The output bucket "no-such-bucket-here" of S3OutputPath', "refused", _bucket_missing, outputs=(), s3=True),
    Fault("output-read-only", "storage", "the local output folder is on a read-only disk",
          "(S3: AccessDenied on PutObject)", "refused before any instance starts, naming the folder",
          "Read-only file system", "refused", _read_only, outputs=()),
    Fault("disk-full", "storage", "the output disk fills up (a 256 KiB tmpfs)",
          "(S3 does not fill)", "the file that does not fit fails, named, with no partial left; the others are whole",
          "No space left on device", "Failed", _disk_full),
    Fault("two-jobs-one-prefix", "storage", "two jobs write the same output prefix at once",
          "each job writes its own objects", "both Completed; every output whole; no temporaries",
          "", "Completed", _two_jobs, outputs=("job-one.csv.out", "job-two.csv.out"),
          check=lambda c, o: _whole(c, "job-one.csv.out", "job-two.csv.out")),
]


def _whole(case: Case, *names: str) -> None:
    for name in names:
        assert (case.out / name).read_bytes() == lines(400), f"{name} is not whole"
