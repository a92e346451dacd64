"""`bte split`: parts that each start with the header row and together hold every data row."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.planning.split import SplitError, split_file

HEADER = b"id,name,score\n"


def rows(n: int) -> bytes:
    return b"".join(b"%d,name %d,%d.5\n" % (i, i * 31 % 1000, i % 7) for i in range(n))


def test_cli_split_into_parts_each_with_the_header(tmp_path):
    src = tmp_path / "data.csv"
    src.write_bytes(HEADER + rows(10_000))
    done = subprocess.run([sys.executable, "-m", "emulator.cli", "split", str(src), "--parts", "4"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    parts = [tmp_path / "data-parts" / f"data-part-{i:04d}.csv" for i in range(1, 5)]
    assert done.stdout.split() == [str(p) for p in parts]
    bodies = [p.read_bytes() for p in parts]
    assert all(b.startswith(HEADER) for b in bodies)
    assert b"".join(b[len(HEADER):] for b in bodies) == rows(10_000)
    sizes = [len(b) for b in bodies]
    assert max(sizes) - min(sizes) < 100  # even shares, cut between lines


def test_max_mb_bounds_every_part(tmp_path):
    src = tmp_path / "data.csv"
    src.write_bytes(HEADER + rows(100_000))
    parts = split_file(src, max_bytes=1 << 20, out_dir=tmp_path / "parts")
    assert src.stat().st_size < 2 << 20 and len(parts) == 2
    assert all(p.stat().st_size <= 1 << 20 and p.read_bytes().startswith(HEADER) for p in parts)
    assert b"".join(p.read_bytes()[len(HEADER):] for p in parts) == rows(100_000)


@settings(max_examples=40, deadline=None)
@given(lines=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=60),
       parts=st.integers(1, 8), final_newline=st.booleans())
def test_parts_rejoin_to_the_original(tmp_path_factory, lines, parts, final_newline):
    body = b"".join(line + b"\n" for line in lines)
    if not final_newline:
        body = body[:-1]
    folder = tmp_path_factory.mktemp("split")
    src = folder / "x.csv"
    src.write_bytes(HEADER + body)
    written = split_file(src, parts=parts)
    assert len(written) <= parts
    assert all(p.read_bytes().startswith(HEADER) for p in written)
    assert b"".join(p.read_bytes()[len(HEADER):] for p in written) == body


def test_without_a_header_and_bad_arguments(tmp_path):
    src = tmp_path / "x.csv"
    src.write_bytes(rows(100))
    written = split_file(src, parts=3, header=False)
    assert b"".join(p.read_bytes() for p in written) == rows(100)
    with pytest.raises(SplitError, match="cannot read"):
        split_file(tmp_path / "missing.csv", parts=2)
    with pytest.raises(SplitError, match="at least 1"):
        split_file(src, parts=0)
