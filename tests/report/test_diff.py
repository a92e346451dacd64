"""`bte diff`: two runs of review-sentiment in two versions (trained on different data)
differ in exactly the records whose outputs differ; two identical runs in none."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.report.diff import compare_records
from tests.engine.jobs import SAMPLES
from tests.report.conftest import run_recorded

JOB = dict(TransformInput={"ContentType": "application/jsonlines"},
           TransformOutput={"Accept": "application/jsonlines", "AssembleWith": "Line"},
           DataProcessing={"OutputFilter": "$.label"},  # labels only: a new version flips some, not all
           BatchStrategy="MultiRecord", MaxPayloadInMB=1)


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("diff")
    lines = (SAMPLES / "review-sentiment" / "data" / "heldout.jsonl").read_bytes().splitlines(keepends=True)
    files = {"a.jsonl": b"".join(lines[:25]), "b.jsonl": b"".join(lines[25:])}
    v2 = tmp / "review-sentiment-v2"
    shutil.copytree(SAMPLES / "review-sentiment", v2)
    reviews = (SAMPLES / "review-sentiment" / "data" / "reviews.jsonl").read_bytes().splitlines(keepends=True)
    (v2 / "reviews.jsonl").write_bytes(b"".join(reviews[:60]))  # v2 learns from 60 reviews, not 400
    state = tmp / "state"
    for name, model in (("diff-v1", SAMPLES / "review-sentiment"), ("diff-v1-again", SAMPLES / "review-sentiment"),
                        ("diff-v2", v2)):
        run_recorded(tmp, name, files, model_dir=model, **JOB)
    return tmp, state


def bte_diff(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emulator.cli", "diff", *args, "--state-dir", str(state)],
                          capture_output=True, text=True)


def changed_lines(a: Path, b: Path) -> list[int]:
    left, right = a.read_text().splitlines(), b.read_text().splitlines()
    assert len(left) == len(right)
    return [i for i, (x, y) in enumerate(zip(left, right)) if x != y]


def test_two_model_versions_differ_in_exactly_the_changed_records(three_runs):
    tmp, state = three_runs
    done = bte_diff(state, "diff-v1", "diff-v2", "--json")
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)
    assert found["OnlyInA"] == [] == found["OnlyInB"] and len(found["Files"]) == 2
    total = 0
    for f in found["Files"]:
        name = Path(f["Source"]).name
        expected = changed_lines(tmp / "out-diff-v1" / f"{name}.out", tmp / "out-diff-v2" / f"{name}.out")
        assert f["ChangedRecords"] == expected and f["Changed"] == len(expected)
        total += len(expected)
        if expected:
            first = f["FirstDifferences"][0]
            assert first["Record"] == expected[0] and first["A"] != first["B"]
            assert f["LargestNumericChange"] is None  # labels are not numbers
    assert 0 < total < 40 and found["ChangedRecords"] == total


def test_identical_runs_have_no_difference(three_runs):
    _, state = three_runs
    done = bte_diff(state, "diff-v1", "diff-v1-again")
    assert done.returncode == 0, done.stderr
    assert "0 record(s) differ" in done.stdout and "a.jsonl: 25 record(s), 0 differ" in done.stdout


def test_numeric_answers_report_the_largest_change():
    a = [b"0.5,1\n", b"0.25,2\n", b"0.75,3\n"]
    b = [b"0.5,1\n", b"0.5,2\n", b"0.70,3\n", b"9,9\n"]
    d = compare_records("x.csv", "a", "b", a, b)
    assert (d.records_a, d.records_b, d.changed, d.changed_records) == (3, 4, 3, [1, 2, 3])
    assert d.largest_change == 0.25 and d.largest_at == 1
    assert d.first[2] == (3, None, "9,9")
    j = compare_records("x.jsonl", "a", "b", [b'{"score": [0.1, 0.2]}\n'], [b'{"score": [0.1, 0.5]}\n'])
    assert j.changed == 1 and abs((j.largest_change or 0) - 0.3) < 1e-9


def test_report_compares_with_another_run(three_runs, tmp_path):
    tmp, state = three_runs
    out = tmp_path / "r.html"
    done = subprocess.run([sys.executable, "-m", "emulator.cli", "report", "diff-v2", "--compare", "diff-v1",
                           "--state-dir", str(state), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    expected = sum(len(changed_lines(tmp / "out-diff-v1" / f"{n}.out", tmp / "out-diff-v2" / f"{n}.out"))
                   for n in ("a.jsonl", "b.jsonl"))
    assert f"2 file(s) in both, {expected} record(s) differ" in done.stdout
    page = out.read_text()
    assert "Outputs compared with run" in page and "records that differ" in page
