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


class BytesAt:
    """``data`` readable at any offset (``size``/``read_at``), as storage's local reader
    is; it counts the bytes handed out."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.size = len(data)
        self.bytes_read = 0

    def read_at(self, offset: int, n: int) -> bytes:
        out = self._data[offset:offset + n]
        self.bytes_read += len(out)
        return out
