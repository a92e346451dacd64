"""Streaming decompression for CompressionType "Gzip".

Memory stays bounded by ``chunk_size`` whatever the compression ratio: each call to the
decompressor is capped with ``max_length`` and the rest is fed back from
``unconsumed_tail``. Concatenated gzip members (``cat a.gz b.gz``) are one valid gzip
stream, as gzip(1) reads them, so decompression continues after each member ends.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from emulator.storage.errors import CorruptInput

COMPRESSION_TYPES = ("None", "Gzip")


def gunzip(chunks: Iterable[bytes], *, uri: str = "", chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Decompress a gzip stream chunk by chunk; CorruptInput names the URI and byte offset."""
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    offset = 0  # compressed bytes consumed before the current chunk
    member_open = False
    for chunk in chunks:
        data = chunk
        while data:
            member_open = True
            try:
                out = decomp.decompress(data, chunk_size)
            except zlib.error as exc:
                raise CorruptInput(
                    f'Input "{uri}" is not valid gzip near compressed byte {offset}: {exc}. '
                    'Set CompressionType to "None" if the object is not compressed.',
                    uri=uri,
                ) from exc
            if out:
                yield out
            if decomp.eof:
                # A member ended; what is left (if anything) starts the next member.
                consumed = len(data) - len(decomp.unused_data)
                offset += consumed
                data = decomp.unused_data
                decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
                member_open = False
            else:
                offset += len(data) - len(decomp.unconsumed_tail)
                data = decomp.unconsumed_tail
    if member_open:
        tail = decomp.flush()
        if tail:
            yield tail
        raise CorruptInput(
            f'Input "{uri}" ends in the middle of a gzip stream (after {offset} compressed bytes): '
            "the object is truncated. Upload it again.",
            uri=uri,
        )


def decompress(chunks: Iterable[bytes], compression: str, *, uri: str = "", chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Apply a CompressionType to a raw byte stream."""
    if compression in ("None", "", None):
        return iter(chunks)
    if compression == "Gzip":
        return gunzip(chunks, uri=uri, chunk_size=chunk_size)
    raise ValueError(f"unknown CompressionType {compression!r}; expected one of {COMPRESSION_TYPES}")
