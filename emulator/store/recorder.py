"""A listener on a run's event stream that keeps its record in the store.

    <run dir>/events.jsonl              every event, one JSON object a line ("event": its kind)
    <run dir>/logs/<n>.jsonl            one log stream a file: {"timestamp": ms, "message": line}

Log streams are named as the service names them under ``/aws/sagemaker/TransformJobs``:
``<job>/<instance id>-<epoch>`` for an instance's container log and
``<job>/<instance id>-<epoch>/data-log`` for the platform's lines about that instance. The
engine names both (engine/log_streams.py) and carries the name on every InstanceLog event;
a line with no stream (bte's own, about no one instance) goes to the first instance's
data-log stream.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from typing import IO, Any

from emulator.engine import events as ev
from emulator.engine.errors import INTERNAL_ERROR
from emulator.engine.log_streams import instance_id
from emulator.store.db import Store
from emulator.store.paths import new_run_id, run_dir

TERMINAL = ("Completed", "Failed", "Stopped")
UNFINISHED_DETAIL = "the run ended before the job reached an end state; see bte's own error"
EVENTS_FILE = "events.jsonl"


class RunRecorder:
    """Writes one run's events, status and log streams; call :meth:`close` when the run ends."""

    def __init__(self, store: Store, run_id: str, job: str) -> None:
        self.store, self.run_id, self.job = store, run_id, job
        self.dir = run_dir(job, run_id, store.root)
        (self.dir / "logs").mkdir(parents=True, exist_ok=True)
        self._events: IO[str] = open(self.dir / EVENTS_FILE, "a", encoding="utf-8")
        self._streams: dict[str, IO[str]] = {}
        self._instance_stream: dict[str, str] = {}  # instance name -> container log stream name
        self._first_instance: str | None = None
        self._started = False
        self._ended = False
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            self._record(event)

    def _record(self, event: ev.Event) -> None:
        if self._events.closed:
            return
        # vars(), not dataclasses.asdict(): events are flat, and asdict's deep copy costs the
        # engine ~10x more per mini-batch.
        self._events.write(json.dumps({"event": type(event).__name__, **vars(event)}, default=str) + "\n")
        match event:
            case ev.JobStateChanged(status=status, failure_reason=reason, failure_detail=detail):
                changes: dict[str, Any] = {"status": status, "failure_reason": reason, "failure_detail": detail}
                if status in TERMINAL:
                    changes["end_time"] = event.time
                    self._ended = True
                self.store.update_run(self.run_id, **changes)
                self._events.flush()
            case ev.InstanceStarted(instance=instance, log_stream=log_stream):
                if log_stream:  # the engine names it (engine/log_streams.py)
                    self._instance_stream.setdefault(instance, log_stream)
                    self._first_instance = self._first_instance or instance
                self._stream_of(instance, event.time)
                if not self._started:
                    self._started = True
                    self.store.update_run(self.run_id, start_time=event.time)
            case ev.InstanceLog(instance=instance, line=line, stream=named) if named:
                self._write_line(named, event.time, line)
            case ev.InstanceLog(instance=instance, line=line):
                if instance.endswith("/data-log"):
                    first = self._first_instance or f"{self.job}-1"
                    stream = self._stream_of(first, event.time) + "/data-log"
                else:
                    stream = self._stream_of(instance, event.time)
                self._write_line(stream, event.time, line)
            case ev.JobDone():
                self.close_files()

    def _stream_of(self, instance: str, when: float) -> str:
        name = self._instance_stream.get(instance)
        if name is None:
            name = f"{self.job}/{instance_id(self.run_id, instance)}-{int(when)}"
            self._instance_stream[instance] = name
            self._first_instance = self._first_instance or instance
        return name

    def _write_line(self, stream: str, when: float, line: str) -> None:
        out = self._streams.get(stream)
        if out is None:
            path = self.dir / "logs" / f"{len(self._streams) + 1}.jsonl"
            out = self._streams[stream] = open(path, "a", encoding="utf-8")
            self.store.add_stream(self.run_id, stream, self.job, path, when)
        out.write(json.dumps({"timestamp": int(when * 1000), "message": line.rstrip("\n")}) + "\n")
        out.flush()  # a client following the log reads it while the job runs

    def close_files(self) -> None:
        for out in (self._events, *self._streams.values()):
            if not out.closed:
                out.close()

    def close(self) -> None:
        """Close the run's files; a run that never reached an end state is ended as Failed
        (whatever stopped it raised past the engine: the store must not show it running)."""
        with self._lock:
            self.close_files()
            if not self._ended:
                self._ended = True
                self.store.update_run(self.run_id, status="Failed", end_time=time.time(),
                                      failure_reason=INTERNAL_ERROR, failure_detail=UNFINISHED_DETAIL)


def record_run(
    request: dict[str, Any], model: dict[str, Any] | None, *, state: str | os.PathLike[str] | None = None,
) -> tuple[RunRecorder | None, str | None]:
    """A new run of ``bte run`` in the store: (its recorder, a warning). The recorder is None,
    and the warning says why, when the store cannot be written: the job runs anyway."""
    try:
        store = Store(state)
        run_id = new_run_id()
        store.add_run(run_id, request, model=model, origin="run", creation_time=time.time())
        return RunRecorder(store, run_id, request["TransformJobName"]), None
    except (OSError, sqlite3.Error) as exc:
        return None, f"this run is not recorded in the job store ({exc}); set BTE_STATE_DIR to a writable folder"
