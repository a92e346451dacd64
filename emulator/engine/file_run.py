"""One input file in flight: its ordered assembly, its output writer, its outcome.

Mini-batches of a file finish in any order on any worker; the file's assembler puts
them back in input order and the pieces go to the output writer as soon as they can.
The output is committed only when every mini-batch came back; a failed or stopped
file's writer is aborted, so no partial ``.out`` is ever left looking finished.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from emulator import data
from emulator.storage import InputObject


@dataclass
class FileOutcome:
    ok: bool
    output: str | None
    reason: str | None
    batches: int
    records: int


class FileRun:
    def __init__(
        self,
        obj: InputObject,
        output_uri: str,
        writer,
        assembler: "data.OrderedAssembler",
        release: Callable[[int], None],
        on_done: Callable[["FileRun", FileOutcome], None],
    ) -> None:
        self.obj = obj
        self.output_uri = output_uri
        self._writer = writer
        self._assembler = assembler
        self._release = release  # gives back window slots for mini-batches no longer held
        self._on_done = on_done
        self._lock = threading.Lock()
        self.sent = 0
        self.finished = 0
        self.records = 0
        self._held = 0  # finished ok, not yet written (waiting for an earlier one)
        self._all_sent = False
        self.failure: str | None = None
        self._closed = False

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def batch_sent(self, records: int) -> None:
        with self._lock:
            self.sent += 1
            self.records += records

    def batch_ok(self, index: int, output: bytes) -> None:
        with self._lock:
            self.finished += 1
            if self.failure is not None:
                self._release(1)
            else:
                try:
                    pieces = self._assembler.add(index, output)
                    for piece in pieces:
                        self._writer.write(piece)
                except Exception as exc:  # a storage write failed: the file fails, named
                    self._release(1)
                    self._fail_locked(f"{self.obj.display_name}: writing {self.output_uri} failed: {exc}")
                else:
                    self._held += 1 - len(pieces)
                    self._release(len(pieces))
            self._maybe_close_locked()

    def batch_failed(self, reason: str) -> None:
        with self._lock:
            self.finished += 1
            self._release(1)
            self._fail_locked(reason)
            self._maybe_close_locked()

    def fail(self, reason: str) -> None:
        """A failure outside any one mini-batch (the input could not be read or split)."""
        with self._lock:
            self._fail_locked(reason)
            self._maybe_close_locked()

    def all_sent(self) -> None:
        with self._lock:
            self._all_sent = True
            self._maybe_close_locked()

    def _fail_locked(self, reason: str) -> None:
        if self.failure is None:
            self.failure = reason
            self._release(self._held)
            self._held = 0

    def _maybe_close_locked(self) -> None:
        if self._closed or not self._all_sent or self.finished < self.sent:
            return
        self._closed = True
        outcome: FileOutcome
        if self.failure is None:
            try:
                for piece in self._assembler.finish():
                    self._writer.write(piece)
                self._writer.commit()
            except Exception as exc:
                self.failure = f"{self.obj.display_name}: writing {self.output_uri} failed: {exc}"
        if self.failure is None:
            outcome = FileOutcome(True, self.output_uri, None, self.sent, self.records)
        else:
            try:
                self._writer.abort()
            finally:
                outcome = FileOutcome(False, None, self.failure, self.sent, self.records)
        self._on_done(self, outcome)
