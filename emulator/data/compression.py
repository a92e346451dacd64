"""CompressionType Gzip: objects are decompressed, streaming, before they are split.

Concatenated gzip members (what ``cat a.gz b.gz`` makes, and what some writers produce)
decompress to the concatenation, as ``gunzip`` does. Output pieces are bounded in size, so
a small, highly compressed object cannot blow up memory at once.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from emulator.data.errors import BadCompression

OUTPUT_PIECE = 1 << 20  # largest decompressed piece yielded at once


def gunzip(chunks: Iterable[bytes], source: str = "") -> Iterator[bytes]:
    """Decompress a gzip stream given as chunks; raises BadCompression if it is not gzip,
    corrupt, or truncated. A zero-byte object decompresses to nothing."""
    where = f"{source}: " if source else ""
    d = zlib.decompressobj(wbits=31)
    in_member = False  # fed part of a member that has not ended yet
    consumed = 0  # compressed bytes fully handed to finished members, for error offsets
    for chunk in chunks:
        data = bytes(chunk)
        while data or in_member:
            in_member = in_member or bool(data)
            try:
                out = d.decompress(data, OUTPUT_PIECE)
            except zlib.error as err:
                raise BadCompression(
                    f"{where}not a valid gzip stream (member starting near compressed byte "
                    f"{consumed}): {err}. Check the object, or set CompressionType None if it "
                    f"is not gzip.") from err
            if out:
                yield out
            if d.eof:
                # A member ended; what follows it is the next member (or zero padding).
                data = d.unused_data
                d = zlib.decompressobj(wbits=31)
                in_member = False
                if not data.strip(b"\0"):
                    data = b""
                continue
            data = d.unconsumed_tail
            if not data and len(out) < OUTPUT_PIECE:
                break  # all input taken and no output held back: wait for the next chunk
        consumed += len(chunk)
    if in_member:
        raise BadCompression(f"{where}the gzip stream is truncated: it ends inside a member "
                             f"(after {consumed} compressed bytes). Re-upload the object.")
