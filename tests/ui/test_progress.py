"""The page's progress is folded from a run's event record as it is written: read in any
pieces (a line cut mid-way included), it adds up to the same as read at once."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.api.ui.progress import ProgressCache, RunProgress, read_new


def events() -> list[dict[str, object]]:
    out: list[dict[str, object]] = [{"event": "JobStateChanged", "status": "InProgress", "time": 1.0}]
    for instance in ("job-1", "job-2"):
        out.append({"event": "InstanceStarted", "instance": instance, "time": 2.0})
        out.append({"event": "FileStarted", "instance": instance, "source": f"{instance}.csv", "size": 10, "time": 3.0})
        for batch in range(5):
            out.append({"event": "MiniBatchSent", "instance": instance, "batch": batch, "time": 3.0 + batch})
            out.append({"event": "MiniBatchDone", "instance": instance, "batch": batch, "records": 2, "bytes": 100,
                        "response_bytes": 50, "time": 3.5 + batch})
        out.append({"event": "FileDone", "instance": instance, "ok": instance == "job-1", "time": 9.0})
    out.append({"event": "JobDone", "status": "Failed", "failure_reason": "AlgorithmError: x",
                "failure_detail": "bte: y", "time": 10.0})
    return out


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=8))
def test_reading_the_record_in_pieces_gives_the_same_progress(tmp_path_factory, cuts):
    data = "".join(json.dumps(e) + "\n" for e in events()).encode()
    path = tmp_path_factory.mktemp("run") / "events.jsonl"
    cache = ProgressCache()
    written = 0
    with open(path, "wb") as f:
        for cut in sorted(min(c, len(data)) for c in cuts) + [len(data)]:
            f.write(data[written:cut])
            f.flush()
            written = max(written, cut)
            progress = cache.get("run", path)
            assert progress.offset <= written
    whole = RunProgress()
    whole.feed(events())
    assert progress.offset == len(data)
    assert progress.instances == whole.instances
    assert (progress.status, progress.failure_reason, progress.failure_detail) == ("Failed", "AlgorithmError: x",
                                                                                    "bte: y")
    one = progress.instances["job-1"]
    assert (one.files_done, one.files_failed, one.batches_done, one.records_done, one.bytes_in) == (1, 0, 5, 10, 500)
    assert progress.instances["job-2"].files_failed == 1
    assert one.bytes_per_second == 500 / 4.5


def test_a_line_still_being_written_waits_for_the_next_read(tmp_path: Path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"event": "FileStarted", "instance": "a"}\n{"event": "FileSta')
    found, offset = read_new(path, 0)
    assert [e["event"] for e in found] == ["FileStarted"] and offset == 42
