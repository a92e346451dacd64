"""Binary record framings: TFRecord and MXNet RecordIO (reading, and writing for tests).

TFRecord (TensorFlow's ``tf.io.TFRecordWriter``), every field little-endian::

    uint64 length | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)

with ``masked(crc) = ((crc >> 15 | crc << 17) + 0xA282EAD8) mod 2^32``.

MXNet RecordIO (dmlc-core ``recordio``), little-endian::

    uint32 magic 0xCED7230A | uint32 lrec | data[length] | zero padding to a multiple of 4

where ``lrec = cflag << 29 | length``. ``cflag`` 0 is a whole record; a payload that itself
contains the magic number is written in parts (1 = first, 2 = middle, 3 = last) split at
each occurrence of the magic, which the reader puts back between the parts.
"""

from __future__ import annotations

import struct
from typing import Callable

_fast_crc32c: Callable[[bytes], int] | None
try:  # the C implementation (a dependency); pure Python remains for odd installs
    from crc32c import crc32c as _fast_crc32c
except ImportError:  # pragma: no cover - depends on the environment
    _fast_crc32c = None

TFRECORD_HEADER = 12  # length + its CRC
TFRECORD_FOOTER = 4  # CRC of the data
RECORDIO_MAGIC = 0xCED7230A
RECORDIO_MAGIC_BYTES = struct.pack("<I", RECORDIO_MAGIC)
RECORDIO_HEADER = 8
RECORDIO_MAX_PART = (1 << 29) - 1

_CRC32C_POLY = 0x82F63B78  # Castagnoli, reflected


def _make_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _CRC32C_POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _make_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``."""
    if _fast_crc32c is not None:
        return int(_fast_crc32c(data))
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord_encode(payload: bytes) -> bytes:
    """One framed TFRecord holding ``payload``."""
    length = struct.pack("<Q", len(payload))
    return (length + struct.pack("<I", masked_crc32c(length)) + payload
            + struct.pack("<I", masked_crc32c(payload)))


def recordio_padding(length: int) -> int:
    return (4 - length % 4) % 4


def recordio_encode(payload: bytes) -> bytes:
    """One logical RecordIO record holding ``payload`` (in parts if it contains the magic)."""
    pieces = payload.split(RECORDIO_MAGIC_BYTES)
    out = bytearray()
    for i, piece in enumerate(pieces):
        if len(pieces) == 1:
            cflag = 0
        else:
            cflag = 1 if i == 0 else (3 if i == len(pieces) - 1 else 2)
        if len(piece) > RECORDIO_MAX_PART:
            raise ValueError("RecordIO part longer than 2^29 - 1 bytes")
        out += RECORDIO_MAGIC_BYTES + struct.pack("<I", cflag << 29 | len(piece))
        out += piece + b"\0" * recordio_padding(len(piece))
    return bytes(out)


def tfrecord_length(header: bytes) -> tuple[int, str | None]:
    """(data length, problem or None) from a 12-byte TFRecord header."""
    (length,) = struct.unpack_from("<Q", header, 0)
    (stored,) = struct.unpack_from("<I", header, 8)
    computed = masked_crc32c(header[:8])
    if stored != computed:
        return length, (f"the CRC of the length field does not match (stored 0x{stored:08x}, "
                        f"computed 0x{computed:08x}; length field reads {length})")
    return length, None


def tfrecord_data_problem(data: bytes, footer: bytes) -> str | None:
    (stored,) = struct.unpack("<I", footer)
    computed = masked_crc32c(data)
    if stored != computed:
        return (f"the CRC of the {len(data)} data bytes does not match (stored 0x{stored:08x}, "
                f"computed 0x{computed:08x})")
    return None


def recordio_header(header: bytes) -> tuple[int, int, str | None]:
    """(cflag, part length, problem or None) from an 8-byte RecordIO header."""
    magic, lrec = struct.unpack("<II", header)
    if magic != RECORDIO_MAGIC:
        return 0, 0, f"expected magic number 0x{RECORDIO_MAGIC:08x}, found 0x{magic:08x}"
    return lrec >> 29, lrec & RECORDIO_MAX_PART, None
