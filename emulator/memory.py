"""Keep freed mini-batch bodies for reuse instead of handing them back to the kernel.

glibc serves every allocation over its mmap threshold (128 KiB at first, adapting up to
the size of the largest block freed) with fresh pages from the kernel and returns them on
free. A transform job allocates a body of up to MaxPayloadInMB (6 MiB by default) for
every mini-batch, and several are alive at once (queued, in flight), so each new body
landed on fresh pages: ~1,500 page faults, each zeroing a page, for every 6 MiB. That
cost as much as reading the data. With the threshold raised, freed bodies stay in the
heap and the next body reuses their memory, already mapped.

This changes a process-wide allocator setting, so it is done once, at the start of a
job, and only where it is known to be safe: glibc on Linux. Memory stays bounded by what
the job holds at once (workers x payload); it is kept for reuse rather than returned.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Large enough for the default 6 MiB bodies and most custom limits; glibc refuses values
# over 32 MiB on 64-bit systems, so bigger bodies still get their own pages.
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20

_done: bool | None = None


def reuse_large_buffers() -> bool:
    """Raise glibc's mmap and trim thresholds, once per process; True if they are set.
    Does nothing (False) off Linux, on another C library, or with BTE_MALLOC_TUNING=0."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if not sys.platform.startswith("linux") or os.environ.get("BTE_MALLOC_TUNING", "1") in ("0", "false"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
