"""One input file in flight: its ordered assembly, its output writer, its outcome.

Mini-batches of a file finish in any order on any worker; the file's assembler puts
them back in input order. Writing is handed to the instance's writer thread (in the
order the assembler releases pieces), so a worker never waits on the disk or on S3 and
the feeder never waits on a worker's write. The output is committed only when every
mini-batch came back; a failed or stopped file's writer is aborted, so no partial
``.out`` is ever left looking finished.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Callable, Protocol

from emulator import data
from emulator.engine.errors import Failure, failure_of
from emulator.storage import InputObject, OutputWriter


class Commit(Protocol):
    """A committed output, to ``undo()`` on stop or ``settle()`` at the end: an OutputWriter,
    or its stand-in on the driver when a Ray actor wrote it (engine/ray_executor.py)."""

    def settle(self) -> None: ...

    def undo(self) -> None: ...


@dataclass
class FileOutcome:
    ok: bool
    output: str | None
    failure: Failure | None
    batches: int
    records: int | None  # None where the records were not counted
    committed: Commit | None = None  # to undo() on stop or settle() at the end


class SerialWriter:
    """Runs write tasks one at a time, in submission order, on its own thread."""

    def __init__(self, name: str) -> None:
        self._tasks: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, task: Callable[[], None]) -> None:
        self._tasks.put(task)

    def close(self) -> None:
        self._tasks.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while (task := self._tasks.get()) is not None:
            task()


class FileRun:
    def __init__(
        self,
        obj: InputObject,
        output_uri: str,
        writer: OutputWriter,
        assembler: "data.OrderedAssembler",
        release: Callable[[int], None],
        on_done: Callable[["FileRun", FileOutcome], None],
        submit: Callable[[Callable[[], None]], None] = lambda task: task(),
    ) -> None:
        self.obj = obj
        self.output_uri = output_uri
        self._writer = writer
        self._assembler = assembler
        self._release = release  # gives back window slots for mini-batches no longer held
        self._on_done = on_done
        self._submit = submit
        # Re-entrant: with an inline ``submit`` the write tasks run under this same lock.
        self._lock = threading.RLock()
        self.sent = 0
        self.finished = 0
        self.records: int | None = 0
        self._held = 0  # finished ok, not yet released for writing (waiting for an earlier one)
        self._all_sent = False
        self.failure: Failure | None = None
        self._closed = False

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def batch_sent(self, records: int) -> None:
        with self._lock:
            self.sent += 1
            if records < 0 or self.records is None:
                self.records = None
            else:
                self.records += records

    def batch_ok(self, index: int, output: bytes) -> None:
        with self._lock:
            self.finished += 1
            if self.failure is not None:
                self._release(1)
            else:
                pieces = self._assembler.add(index, output)
                self._held += 1 - len(pieces)
                if pieces:
                    # Submitted under the lock, so the writer sees pieces in input order.
                    self._submit(lambda: self._write(pieces))
            self._maybe_close_locked()

    def write_direct(self, data: bytes) -> None:
        """For a streamed object (its only mini-batch): bytes go to the writer as they come.
        Safe off the writer thread: nothing else writes this file until it closes."""
        self._writer.write(data)

    def stream_done(self) -> None:
        """The streamed object's only mini-batch came back whole (see write_direct)."""
        with self._lock:
            self.finished += 1
            self._release(1)
            self._maybe_close_locked()

    def batch_failed(self, failure: Failure) -> None:
        with self._lock:
            self.finished += 1
            self._release(1)
            self._fail_locked(failure)
            self._maybe_close_locked()

    def fail(self, failure: Failure) -> None:
        """A failure outside any one mini-batch (the input could not be read or split)."""
        with self._lock:
            self._fail_locked(failure)
            self._maybe_close_locked()

    def all_sent(self) -> None:
        with self._lock:
            self._all_sent = True
            self._maybe_close_locked()

    def _fail_locked(self, failure: Failure) -> None:
        if self.failure is None:
            self.failure = failure
            self._release(self._held)
            self._held = 0

    def _maybe_close_locked(self) -> None:
        if self._closed or not self._all_sent or self.finished < self.sent:
            return
        self._closed = True
        self._submit(self._close)

    # -- on the writer thread ---------------------------------------------------------
    def _write(self, pieces: list[bytes]) -> None:
        try:
            if self.failure is None:
                for piece in pieces:
                    self._writer.write(piece)
        except Exception as exc:  # a storage write failed: the file fails, named
            with self._lock:
                self._fail_locked(self._write_failure(exc))
        finally:
            self._release(len(pieces))

    def _close(self) -> None:
        with self._lock:
            failure = self.failure
        if failure is None:
            try:
                for piece in self._assembler.finish():
                    self._writer.write(piece)
                self._writer.commit()
            except Exception as exc:
                failure = self._write_failure(exc)
        if failure is None:
            outcome = FileOutcome(True, self.output_uri, None, self.sent, self.records, self._writer)
        else:
            try:
                self._writer.abort()
            finally:
                outcome = FileOutcome(False, None, failure, self.sent, self.records)
        self._on_done(self, outcome)

    def _write_failure(self, exc: Exception) -> Failure:
        return failure_of(exc, f"{self.obj.display_name}: writing {self.output_uri} failed: {exc}")
