"""A byte buffer over a stream of chunks, with absolute offsets.

Splitters and batchers look ahead (``fill``), search (``find``/``rfind``) and consume
(``take``/``skip``) without ever holding more than they asked for plus one chunk. The
buffer is an immutable ``bytes`` plus a read position: consuming is O(1) (no memmove),
and refilling joins the unread tail with the new chunks once, so each input byte is
copied about once on the way in and once into the body that leaves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


class ChunkReader:
    """Look-ahead reader; all positions given to and returned by its methods are relative
    to the first unread byte, whose absolute position in the stream is ``offset``."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buf = b""
        self._pos = 0
        self.offset = 0  # absolute stream offset of the first unread byte
        self.eof = False

    @property
    def available(self) -> int:
        return len(self._buf) - self._pos

    def fill(self, n: int) -> bool:
        """Buffer at least ``n`` unread bytes unless the stream ends first; True if it did."""
        have = self.available
        if have >= n or self.eof:
            return have >= n
        parts = [self._buf[self._pos:]] if have else []
        while have < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.eof = True
                break
            if chunk:
                parts.append(bytes(chunk))
                have += len(chunk)
        self._buf = parts[0] if len(parts) == 1 else b"".join(parts)
        self._pos = 0
        return have >= n

    def grow(self) -> bool:
        """Buffer more than is buffered now (doubling, so repeated growth stays linear).
        False when the stream has ended and nothing more came."""
        before = self.available
        self.fill(max(before + 1, 2 * before))
        return self.available > before

    def fill_all(self) -> None:
        while self.grow():
            pass

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        stop = len(self._buf) if end is None else self._pos + end
        i = self._buf.find(sub, self._pos + start, stop)
        return i - self._pos if i >= 0 else -1

    def rfind(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        stop = len(self._buf) if end is None else self._pos + end
        i = self._buf.rfind(sub, self._pos + start, stop)
        return i - self._pos if i >= 0 else -1

    def peek(self, n: int) -> bytes:
        return self._buf[self._pos:self._pos + n]

    def take(self, n: int) -> bytes:
        """Consume and return the next ``n`` buffered bytes (fewer only if fewer are buffered)."""
        if self._pos == 0 and n >= len(self._buf):
            out, self._buf = self._buf, b""  # the whole buffer: hand it over without a copy
        else:
            out = self._buf[self._pos:self._pos + n]
            self._pos += len(out)
        self.offset += len(out)
        return out

    def _drop(self, n: int) -> None:
        self._pos += n
        self.offset += n
        if self._pos >= len(self._buf):
            self._buf, self._pos = b"", 0

    def skip_through(self, sub: bytes) -> int:
        """Consume up to and including the next ``sub`` (or to the end of the stream)
        without buffering what is skipped; returns how many bytes were consumed. Used to
        measure an oversize record for its error message in bounded memory."""
        consumed = 0
        while True:
            i = self.find(sub)
            if i >= 0:
                self._drop(i + len(sub))
                return consumed + i + len(sub)
            # keep the last len(sub)-1 bytes in case ``sub`` straddles two chunks
            keep = min(self.available, len(sub) - 1)
            consumed += self.available - keep
            self._drop(self.available - keep)
            if not self.fill(keep + 1):
                consumed += self.available
                self._drop(self.available)
                return consumed

    def skip(self, n: int) -> int:
        """Consume up to ``n`` bytes without buffering them all; returns how many were consumed."""
        consumed = 0
        while consumed < n:
            if not self.available and not self.fill(1):
                break
            step = min(n - consumed, self.available)
            self._drop(step)
            consumed += step
        return consumed

    def skip_rest(self) -> int:
        """Consume everything that is left, one chunk at a time; returns the byte count."""
        consumed = self.available
        self._drop(self.available)
        while self.fill(1):
            consumed += self.available
            self._drop(self.available)
        return consumed
