"""The service's naming rules: which name an input has relative to its prefix, and where
its output goes. Pure functions; the same rules serve S3 keys and local paths.

Reference §6.4: output key = S3OutputPath + "/" + (input key with the S3Uri prefix
removed, leading "/" stripped; the file name when the prefix is the whole key) + ".out".
Observed: prefix ``batch_transform`` with ``batch_transform/0.png`` -> ``0.png.out``;
prefix ``…/batch/batch_data.csv`` naming one object -> ``batch_data.csv.out``.

Unknown on the service, decided here (docs/storage.md, "Decisions"):
- A prefix that ends inside a path segment (prefix ``data/part`` matching
  ``data/part-0001.csv`` or ``data/part_x/a.csv``): the relative name starts at that
  segment (``part-0001.csv``, ``part_x/a.csv``). This generalises the observed "file name
  when the prefix is the whole key" and never yields a name that starts mid-word.
  ``PARTIAL_SEGMENT = "literal"`` switches to plain removal (``-0001.csv``).
- A trailing "/" on S3OutputPath is dropped before joining (no ``//`` in keys).
- Gzip inputs keep their full name: ``x.csv.gz`` -> ``x.csv.gz.out`` (written uncompressed).
"""

from __future__ import annotations

from urllib.parse import quote

PARTIAL_SEGMENT = "segment"  # or "literal"
REPLACED_SUFFIX = ".bte-replaced"  # an output a commit replaced, kept until its run ends; never an input


def relative_name(prefix: str, key: str, *, partial_segment: str | None = None) -> str:
    """The name of ``key`` relative to the raw string ``prefix`` it was selected by."""
    if not key.startswith(prefix):
        raise ValueError(f"{key!r} does not start with prefix {prefix!r}")
    rest = key[len(prefix) :]
    if prefix == "" or prefix.endswith("/") or rest.startswith("/"):
        return rest.lstrip("/")
    policy = partial_segment or PARTIAL_SEGMENT
    if policy == "literal" and rest:
        return rest
    # The prefix ends inside a segment (or is the whole key): start at that segment.
    return key[prefix.rfind("/") + 1 :]


def output_uri(output_path: str, relative: str) -> str:
    """``<S3OutputPath>/<relative>.out``, in the same form (s3://, file://, plain path) as given."""
    base = output_path
    while base.endswith("/") and not base.endswith("://"):
        base = base[:-1]
    tail = relative + ".out"
    if base.lower().startswith("file:"):
        tail = quote(tail, safe="/")
    return f"{base}/{tail}"
