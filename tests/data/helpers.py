"""Helpers for the data-plane tests: cutting bytes into arbitrary chunks."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st

# Applied per test (not as a global profile, which would reach other rooms' tests).
PROPERTY = settings(deadline=None, max_examples=150)


def cut(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` split at the given positions (taken modulo its length), as a chunk stream
    would deliver it; empty chunks included on purpose."""
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, prev = [], 0
    for p in points:
        out.append(data[prev:p])
        prev = p
    out.append(data[prev:])
    return out


cuts = st.lists(st.integers(min_value=0, max_value=10_000), max_size=8)

# Bytes rich in newlines, carriage returns and blank lines, plus arbitrary binary bytes.
line_bytes = st.one_of(
    st.lists(st.sampled_from([b"\n", b"a", b"bc", b"\r\n", b"\n\n", b"xyz,1", b"\xff\x00"]),
             max_size=40).map(b"".join),
    st.binary(max_size=200),
)


class ShortReads:
    """A readable stream (``readinto``) over ``chunks`` that never hands out more than the
    rest of the current chunk in one call: the short reads a pipe or a socket gives."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._pieces = [c for c in chunks if c]
        self.calls = 0

    def readinto(self, buffer: memoryview) -> int:
        self.calls += 1
        if not self._pieces:
            return 0
        piece = self._pieces[0]
        n = min(len(buffer), len(piece))
        buffer[:n] = piece[:n]
        if n < len(piece):
            self._pieces[0] = piece[n:]
        else:
            self._pieces.pop(0)
        return n
