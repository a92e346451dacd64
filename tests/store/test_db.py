"""The SQLite job store: a store an older bte wrote opens, and gets the newer columns."""

from __future__ import annotations

import sqlite3
import time

from emulator.processes import this_process
from emulator.store.db import DB_NAME, Store


def test_a_store_an_older_bte_wrote_opens_and_gains_the_new_columns(tmp_path):
    old = sqlite3.connect(tmp_path / DB_NAME)
    old.executescript(
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, name TEXT NOT NULL, origin TEXT NOT NULL, request TEXT NOT NULL,"
        " model TEXT, status TEXT NOT NULL, failure_reason TEXT, creation_time REAL NOT NULL, start_time REAL,"
        " end_time REAL, last_modified REAL NOT NULL);"
        "INSERT INTO runs VALUES ('r-old', 'old-job', 'run', '{}', NULL, 'Completed', NULL, 1, 1, 2, 2);"
    )
    old.commit()
    old.close()

    store = Store(tmp_path)
    before = store.run("r-old")
    assert before is not None and before.status == "Completed" and before.owner is None and before.failure_detail is None
    store.add_run("r-new", {"TransformJobName": "new-job"}, model=None, origin="api", creation_time=time.time())
    after = store.run("r-new")
    assert after is not None and after.owner == this_process() and after.owner_alive()
    store.close()
