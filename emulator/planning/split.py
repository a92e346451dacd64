"""``bte split``: one CSV file into parts that each start with its header row.

The service sends a CSV header only with a file's first mini-batch (it is just record 0),
so users split such a file by hand and repeat the header in every part; this does that,
streaming, cutting only between lines. With ``parts`` the data rows are shared out by
bytes, as evenly as whole lines allow; with ``max_bytes`` each part (header included)
stays within the limit unless one row alone is larger.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from emulator.spec.errors import BteError


class SplitError(BteError):
    code = "SplitError"


def split_file(path: str | os.PathLike[str], *, parts: int | None = None, max_bytes: int | None = None,
               out_dir: str | os.PathLike[str] | None = None, header: bool = True) -> list[Path]:
    """Write the parts and return their paths, in order. Quoted cells holding a newline
    are not kept whole (the service splits them too, and the plan warns)."""
    src = Path(path)
    if (parts is None) == (max_bytes is None):
        raise SplitError("give either a number of parts or a largest part size, not both")
    if (parts is not None and parts < 1) or (max_bytes is not None and max_bytes < 1):
        raise SplitError("the number of parts and the part size must be at least 1")
    try:
        total = src.stat().st_size
        fh = src.open("rb")
    except OSError as exc:
        raise SplitError(f"cannot read {src}: {exc.strerror}") from exc
    folder = Path(out_dir) if out_dir is not None else src.with_name(f"{src.stem}-parts")
    folder.mkdir(parents=True, exist_ok=True)
    with fh:
        head = fh.readline() if header else b""
        if head and not head.endswith(b"\n"):
            head += b"\n"
        step = (total - len(head)) / parts if parts else 0.0
        return _write_parts(fh, head, folder, src, parts, max_bytes, step)


def _write_parts(fh: BinaryIO, head: bytes, folder: Path, src: Path, parts: int | None,
                 max_bytes: int | None, step: float) -> list[Path]:
    written: list[Path] = []
    out: BinaryIO | None = None
    offset = 0  # of the current line, from the first data row
    size = 0
    width = max(4, len(str(parts or 0)))
    try:
        for line in fh:
            full = (out is not None and max_bytes is not None and size + len(line) > max_bytes)
            due = (out is not None and parts is not None and len(written) < parts
                   and offset >= step * len(written))
            if out is None or full or due:
                if out is not None:
                    out.close()
                target = folder / f"{src.stem}-part-{len(written) + 1:0{width}d}{src.suffix}"
                out = target.open("wb")
                written.append(target)
                out.write(head)
                size = len(head)
            out.write(line)
            size += len(line)
            offset += len(line)
    finally:
        if out is not None:
            out.close()
    return written
