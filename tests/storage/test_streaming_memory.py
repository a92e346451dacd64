"""A 200 MiB object goes out (multipart) and back in (streamed) with memory far below its size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.s3 import S3Server

SIZE_MIB = 200
LIMIT_MIB = 64  # one 8 MiB part buffer, 1 MiB chunks, HTTP buffers; the object is 200 MiB

ROOT = Path(__file__).resolve().parents[2]


def test_200_mib_object_streams_through_bounded_memory(s3_server: S3Server, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/big/object.bin"
    env = {**os.environ, "AWS_ENDPOINT_URL_S3": s3_server.endpoint_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("stream_child.py")), uri, str(SIZE_MIB)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])

    assert report["listed_size"] == report["read_bytes"] == SIZE_MIB << 20
    assert report["read_sha256"] == report["written_sha256"]
    write_growth = (report["peak_write_kib"] - report["baseline_kib"]) / 1024
    read_growth = (report["peak_read_kib"] - report["baseline_kib"]) / 1024
    assert write_growth < LIMIT_MIB, f"writing {SIZE_MIB} MiB grew RSS by {write_growth:.0f} MiB: {report}"
    assert read_growth < LIMIT_MIB, f"reading {SIZE_MIB} MiB grew RSS by {read_growth:.0f} MiB: {report}"
    # No multipart upload left open, and the object is whole on the server.
    assert s3_server.open_uploads(s3_bucket) == []
    head = s3_server.client().head_object(Bucket=s3_bucket, Key="big/object.bin")
    assert head["ContentLength"] == SIZE_MIB << 20
