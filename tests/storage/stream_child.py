"""Run in a fresh process by test_streaming_memory.py: write an object of SIZE_MIB through
open_output, read it back through open_input, and report peak memory growth as JSON.

A separate process, so the numbers are the storage room's alone (the test's own process
also hosts the S3 server, which keeps the object in memory)."""

from __future__ import annotations

import hashlib
import json
import resource
import sys

from emulator.storage import list_inputs, open_input, open_output

MiB = 1 << 20


def kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:  # "5" resets VmHWM to the current RSS
            fh.write("5")
        return True
    except OSError:
        return False


def peak_kib(resettable: bool) -> int:
    return kib("VmHWM") if resettable else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(uri: str, size_mib: int) -> None:
    seed = hashlib.sha256(b"bte").digest() * (MiB // 32)
    # Warm up: imports, the client, a small write and read, so only the stream is measured.
    with open_output(uri + ".warmup") as out:
        out.write(seed)
    b"".join(open_input(uri + ".warmup"))

    baseline = kib("VmRSS")
    resettable = reset_peak()
    written = hashlib.sha256()
    with open_output(uri) as out:
        for i in range(size_mib):
            chunk = i.to_bytes(8, "big") + seed[8:]  # generated as it goes, never held whole
            written.update(chunk)
            out.write(chunk)
    peak_write = peak_kib(resettable)

    reset_peak()
    [obj] = [o for o in list_inputs(uri) if o.uri == uri]
    read = hashlib.sha256()
    total = 0
    for chunk in open_input(obj):
        read.update(chunk)
        total += len(chunk)
    peak_read = peak_kib(resettable)
    print(
        json.dumps(
            {
                "baseline_kib": baseline,
                "peak_write_kib": peak_write,
                "peak_read_kib": peak_read,
                "peak_resettable": resettable,
                "listed_size": obj.size,
                "read_bytes": total,
                "written_sha256": written.hexdigest(),
                "read_sha256": read.hexdigest(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
