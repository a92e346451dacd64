"""Text warnings over a whole object, fed in order in pieces of any size (streaming).

``TextLint`` sees every byte once, in C-speed passes (``in``, ``count``), so the plan can
lint a 1 GB file as fast as it batches it; a Python loop runs only over pieces that hold
a double quote, and only until the first quoted newline is found. The first 64 KiB are
kept as a sample for the checks that need rows: the header row (``csv.Sniffer``) and
whether the object is text at all. Gzip or binary bytes get no text warning: a "quoted
newline" in compressed bytes means nothing.
"""

from __future__ import annotations

import csv
from typing import Any

from emulator.data.processing import CSV, JSONLINES

UTF8_BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"
SAMPLE_BYTES = 64 * 1024
_NOT_QUOTE_OR_NEWLINE = bytes(b for b in range(256) if b not in b'"\n')
SNIFF_ROWS = 21  # csv.Sniffer.has_header compares the first row with up to 20 rows below it


class _CommaSniffer(csv.Sniffer):
    """``csv.Sniffer`` with the delimiter known: ContentType text/csv means commas, and
    guessing the dialect fails on one-column files."""

    def sniff(self, sample: str, delimiters: str | None = None) -> Any:
        return csv.excel


def looks_like_header(sample: bytes) -> bool:
    """Whether the first row of a CSV sample is a header, by ``csv.Sniffer.has_header``:
    a column whose first cell differs in type (or, for text columns, in length) from the
    rows below votes for a header."""
    lines = sample.removeprefix(UTF8_BOM).split(b"\n")
    if len(lines) > 1:
        lines.pop()  # the last piece may be cut
    rows = [line.rstrip(b"\r") for line in lines[:SNIFF_ROWS] if line.strip()]
    if len(rows) < 2:
        return False
    text = b"\n".join(rows).decode("utf-8", errors="replace")
    try:
        return bool(_CommaSniffer().has_header(text))
    except csv.Error:
        return False


def is_binary(sample: bytes, *, cut: bool) -> bool:
    """Gzip, NUL bytes, or bytes that are not UTF-8 (allowing a character cut by the end
    of the sample when ``cut``)."""
    if sample.startswith(GZIP_MAGIC) or b"\0" in sample:
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        return not (cut and err.start >= len(sample) - 3)
    return False


class TextLint:
    """Feed an object's bytes in order (``feed``), then read the findings (``codes``)."""

    def __init__(self, fmt: str | None) -> None:
        self.fmt = fmt
        self.sample = b""
        self.crlf = False
        self.blank_lines = False
        self.quoted_newline = False
        self._tail = b"\n"  # the last bytes fed; the start of an object acts as after a newline
        self._odd_quotes = False  # inside a quoted cell (cumulative count of '"' is odd)
        self.size = 0

    def feed(self, piece: bytes) -> None:
        if not piece:
            return
        if len(self.sample) < SAMPLE_BYTES:
            self.sample += piece[: SAMPLE_BYTES - len(self.sample)]
        edge = self._tail + piece[:2]  # a CRLF or blank line that straddles two pieces
        has_cr = b"\r" in piece or b"\r" in edge  # one fast pass spares two slower searches
        if not self.crlf and has_cr:
            self.crlf = b"\r\n" in piece or b"\r\n" in edge
        if not self.blank_lines and self.fmt in (CSV, JSONLINES):
            needles = (b"\n\n", b"\n\r\n") if has_cr else (b"\n\n",)
            self.blank_lines = any(b in piece or b in edge for b in needles)
        if self.fmt == CSV and not self.quoted_newline and (self._odd_quotes or b'"' in piece):
            self._scan_quotes(piece)
        self._tail = (self._tail + piece)[-2:]
        self.size += len(piece)

    def _scan_quotes(self, piece: bytes) -> None:
        # Only quotes and newlines matter: drop every other byte (one C pass), then drop
        # the pairs (""), so that each line keeps one quote exactly when its count is odd.
        # From outside a quoted cell, the first line with an odd count ends inside one.
        marks = piece.translate(None, _NOT_QUOTE_OR_NEWLINE).replace(b'""', b"")
        if self._odd_quotes:  # the line that continues from the last piece closes the cell or not
            first = marks.find(b"\n")
            if first < 0:
                self._odd_quotes = marks.count(b'"') % 2 == 0
                return
            if marks.count(b'"', 0, first) % 2 == 0:
                self.quoted_newline = True
                return
            self._odd_quotes = False
            marks = marks[first + 1:]
        last = marks.rfind(b"\n")
        if b'"' in marks[: last + 1]:
            self.quoted_newline = True
        else:
            self._odd_quotes = marks.count(b'"', last + 1) % 2 == 1

    def codes(self, *, complete: bool) -> list[str]:
        """The warning codes found, in a stable order; none for binary or gzip bytes.
        ``complete``: every byte of the object was fed (else the sample may be cut)."""
        if not self.size or is_binary(self.sample, cut=not complete or len(self.sample) < self.size):
            return []
        found = []
        if self.sample.startswith(UTF8_BOM):
            found.append("Utf8Bom")
        if self.crlf:
            found.append("CrLf")
        if self.blank_lines:
            found.append("BlankLines")
        if self.fmt == CSV:
            if looks_like_header(self.sample):
                found.append("CsvHeader")
            if self.quoted_newline:
                found.append("CsvQuotedNewline")
        return found


def lint_text(data: bytes, fmt: str | None, *, complete: bool) -> list[str]:
    """``TextLint`` over one piece (a head, or a small whole object)."""
    lint = TextLint(fmt)
    lint.feed(data)
    return lint.codes(complete=complete)

