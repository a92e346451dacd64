"""``bte diff``: two runs' outputs lined up record by record (a record is a line of the
``.out``), per input file. Comparing is pure (``compare_records``: two record streams in,
a ``FileDiff`` out, memory bounded by the differences kept); ``diff_runs`` finds the runs
in the store and streams their outputs through storage.

For numeric outputs (a CSV row of numbers, or JSON whose numbers sit at the same places)
the largest absolute change is kept too.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from emulator import data, storage
from emulator.report.summary import find_run, load_events
from emulator.store.db import Store

SHOWN = 5  # differences shown side by side per file
KEPT_INDEXES = 100_000  # changed record numbers kept per file (the count is always exact)


@dataclass
class FileDiff:
    source: str
    output_a: str
    output_b: str
    records_a: int = 0
    records_b: int = 0
    changed: int = 0  # records that differ, counting records only one side has
    changed_records: list[int] = field(default_factory=list)
    first: list[tuple[int, str | None, str | None]] = field(default_factory=list)
    largest_change: float | None = None
    largest_at: int | None = None


@dataclass
class RunDiff:
    run_a: str
    run_b: str
    files: list[FileDiff]
    only_in_a: list[str]
    only_in_b: list[str]

    @property
    def changed(self) -> int:
        return sum(f.changed for f in self.files)


def compare_records(source: str, output_a: str, output_b: str, a: Iterable[bytes], b: Iterable[bytes]) -> FileDiff:
    diff = FileDiff(source, output_a, output_b)
    for index, (left, right) in enumerate(zip_longest(a, b)):
        diff.records_a += left is not None
        diff.records_b += right is not None
        if left is not None and right is not None and left.rstrip(b"\r\n") == right.rstrip(b"\r\n"):
            continue
        diff.changed += 1
        if len(diff.changed_records) < KEPT_INDEXES:
            diff.changed_records.append(index)
        if len(diff.first) < SHOWN:
            diff.first.append((index, _text(left), _text(right)))
        change = _numeric_change(left, right)
        if change is not None and (diff.largest_change is None or change > diff.largest_change):
            diff.largest_change, diff.largest_at = change, index
    return diff


def _text(record: bytes | None) -> str | None:
    return None if record is None else record.rstrip(b"\r\n").decode("utf-8", errors="backslashreplace")


def _numeric_change(left: bytes | None, right: bytes | None) -> float | None:
    if left is None or right is None:
        return None
    a, b = _numbers(left), _numbers(right)
    if a is None or b is None or len(a) != len(b) or not a:
        return None
    return max(abs(x - y) for x, y in zip(a, b))


def _numbers(record: bytes) -> list[float] | None:
    """The numbers of a record, in order: JSON numbers, else the cells of a CSV row
    (None when some cell or value is not a number)."""
    text = record.decode("utf-8", errors="replace").strip()
    try:
        return _json_numbers(json.loads(text))
    except ValueError:
        pass
    try:
        return [float(cell) for cell in next(csv.reader([text]))]
    except (ValueError, StopIteration):
        return None


def _json_numbers(value: Any) -> list[float] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return [float(value)] if math.isfinite(value) else None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    if items is None:
        return None
    out: list[float] = []
    for item in items:
        numbers = _json_numbers(item)
        if numbers is None:
            return None
        out += numbers
    return out


def diff_runs(a: str, b: str, *, state: str | os.PathLike[str] | None = None,
              s3_endpoint_url: str | None = None) -> RunDiff:
    """Two finished runs (job names for their latest runs, or run ids), file by file."""
    store = Store(state)
    try:
        runs = [find_run(store, name) for name in (a, b)]
        outputs = [_outputs(load_events(store, run)) for run in runs]
    finally:
        store.close()
    first, second = outputs
    files = [compare_records(source, first[source], second[source], _lines(first[source], s3_endpoint_url),
                             _lines(second[source], s3_endpoint_url))
             for source in sorted(first.keys() & second.keys())]
    return RunDiff(runs[0].run_id, runs[1].run_id, files, sorted(first.keys() - second.keys()),
                   sorted(second.keys() - first.keys()))


def _outputs(events: list[dict[str, Any]]) -> dict[str, str]:
    return {e["source"]: e["output"] for e in events if e["event"] == "FileDone" and e["ok"] and e.get("output")}


def _lines(uri: str, s3_endpoint_url: str | None) -> Iterator[bytes]:
    for record in data.iter_records(storage.open_input(uri, s3_endpoint_url=s3_endpoint_url), "Line"):
        yield record.data


def diff_text(d: RunDiff) -> str:
    lines = [f"{d.run_a} vs {d.run_b}: {len(d.files)} file(s) in both, {d.changed} record(s) differ"]
    for name in d.only_in_a:
        lines.append(f"  only in {d.run_a}: {name}")
    for name in d.only_in_b:
        lines.append(f"  only in {d.run_b}: {name}")
    for f in d.files:
        records = f.records_a if f.records_a == f.records_b else f"{f.records_a} vs {f.records_b}"
        head = f"  {f.source}: {records} record(s), {f.changed} differ"
        if f.largest_change is not None:
            head += f"; largest numeric change {f.largest_change:g} (record {f.largest_at})"
        lines.append(head)
        for index, left, right in f.first:
            lines.append(f"    record {index}:  {left if left is not None else '(none)'}  |  "
                         f"{right if right is not None else '(none)'}")
    return "\n".join(lines)


def diff_dict(d: RunDiff) -> dict[str, Any]:
    return {
        "RunA": d.run_a, "RunB": d.run_b, "ChangedRecords": d.changed, "OnlyInA": d.only_in_a,
        "OnlyInB": d.only_in_b,
        "Files": [{"Source": f.source, "OutputA": f.output_a, "OutputB": f.output_b, "RecordsA": f.records_a,
                   "RecordsB": f.records_b, "Changed": f.changed, "ChangedRecords": f.changed_records,
                   "FirstDifferences": [{"Record": i, "A": left, "B": right} for i, left, right in f.first],
                   "LargestNumericChange": f.largest_change, "LargestNumericChangeRecord": f.largest_at}
                  for f in d.files],
    }
