"""Log capture shared by both runtimes: chunks of bytes in, lines out.

A ``LogPump`` runs one daemon thread per instance. It reads chunks (from a container's
log stream or a process's stdout pipe), cuts them into lines, keeps the last lines in a
bounded ring buffer (for a FailureReason's "last log lines") and hands each line to the
``on_log`` callback with the instance name. Memory stays bounded whatever the model
prints: the buffer holds ``capacity`` lines of at most ``MAX_LINE_CHARS`` each.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable

from emulator.runtime.base import LogCallback

#: Longer lines are cut (a model that prints a whole tensor would otherwise fill memory).
MAX_LINE_CHARS = 8192
_MAX_PENDING_BYTES = MAX_LINE_CHARS * 4


class LogTail:
    """A thread-safe ring buffer of the last ``capacity`` log lines."""

    def __init__(self, capacity: int = 200) -> None:
        self._lines: deque[str] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def append(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)

    def last(self, n: int = 20) -> list[str]:
        with self._lock:
            if n <= 0:
                return []
            return list(self._lines)[-n:]


def _decode(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").rstrip("\r")
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + f"... [line cut at {MAX_LINE_CHARS} characters]"
    return text


class LogPump:
    """Reads ``chunks`` on a daemon thread until they end; see the module docstring.

    ``on_end`` runs on the thread after the last line (e.g. to close a pipe). A failing
    ``on_log`` does not stop capture: the failure is noted once in the tail and the
    callback is dropped, so the ring buffer still holds the lines for the FailureReason.
    """

    def __init__(
        self,
        instance_name: str,
        chunks: Iterable[bytes],
        tail: LogTail,
        on_log: LogCallback | None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self.instance_name = instance_name
        self._chunks = chunks
        self._tail = tail
        self._on_log = on_log
        self._on_end = on_end
        self._thread = threading.Thread(target=self._run, name=f"bte-log-{instance_name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the stream to end; True if it has."""
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _emit(self, raw: bytes) -> None:
        line = _decode(raw)
        self._tail.append(line)
        if self._on_log is not None:
            try:
                self._on_log(self.instance_name, line)
            except Exception as exc:  # the callback is the caller's code; capture must go on
                self._on_log = None
                self._tail.append(f"[bte] log callback failed and was dropped: {exc!r}")

    def _run(self) -> None:
        pending = b""
        try:
            for chunk in self._chunks:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    self._emit(raw)
                if len(pending) > _MAX_PENDING_BYTES:  # a line with no end in sight
                    self._emit(pending)
                    pending = b""
        except Exception as exc:  # the stream broke (engine gone, pipe closed under us)
            self._tail.append(f"[bte] log stream of {self.instance_name} ended: {exc!r}")
        finally:
            if pending:
                self._emit(pending)
            if self._on_end is not None:
                self._on_end()
