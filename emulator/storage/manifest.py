"""ManifestFile data sources (reference §6.1).

The manifest is a JSON array: first an object with the prefix, then keys relative to it::

    [{"prefix": "s3://bucket/some/prefix/"}, "relative/key-1", "relative/key-2"]

Each input is prefix + entry (plain concatenation, as the service documents). The manifest
itself is not an input. The prefix may name another bucket than the manifest's own; for
local manifests it may be a folder path or file:// URI (a bte extension). Every entry is
looked up before the job runs, and all missing ones are reported together.
"""

from __future__ import annotations

import json

from emulator.storage.base import Storage, StoredObject
from emulator.storage.errors import ManifestError, ObjectMissing

MANIFEST_LIMIT = 64 << 20  # a manifest is read whole; this is far above any sane one
LOOKUP_THREADS = 8
MISSING_SHOWN = 10


def parse_manifest(data: bytes, uri: str) -> tuple[str, list[str]]:
    """(prefix, entries) of a manifest document; ManifestError naming what is wrong."""
    how = (
        'A manifest is a JSON array: [{"prefix": "s3://bucket/prefix/"}, "relative/key-1", ...].'
    )
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f'Manifest file "{uri}" is not valid JSON ({exc}). {how}', uri=uri) from exc
    if not isinstance(doc, list) or not doc:
        raise ManifestError(f'Manifest file "{uri}" is not a non-empty JSON array. {how}', uri=uri)
    head = doc[0]
    if not isinstance(head, dict) or not isinstance(head.get("prefix"), str) or not head["prefix"]:
        raise ManifestError(
            f'Manifest file "{uri}" must start with {{"prefix": "..."}}, found {json.dumps(head)[:100]}. {how}',
            uri=uri,
        )
    entries: list[str] = []
    for index, entry in enumerate(doc[1:], start=1):
        if not isinstance(entry, str) or not entry or entry.endswith("/"):
            raise ManifestError(
                f'Manifest file "{uri}": entry {index} ({json.dumps(entry)[:100]}) is not the relative '
                f"key of an object (a non-empty string not ending in '/'). {how}",
                uri=uri,
            )
        entries.append(entry)
    if not entries:
        raise ManifestError(f'Manifest file "{uri}" lists no objects after its prefix. {how}', uri=uri)
    return head["prefix"], entries


def resolve_entries(storage: Storage, prefix: str, entries: list[str], manifest_uri: str) -> list[StoredObject]:
    """Look every prefix+entry up (concurrently); ObjectMissing lists the missing ones."""
    uris = [prefix + entry for entry in entries]
    from concurrent.futures import ThreadPoolExecutor  # here: its import (and logging's) cost 15 ms of every start

    with ThreadPoolExecutor(max_workers=min(LOOKUP_THREADS, len(uris))) as pool:
        found = list(pool.map(storage.stat, uris))
    missing = [uri for uri, obj in zip(uris, found) if obj is None]
    if missing:
        shown = ", ".join(f'"{m}"' for m in missing[:MISSING_SHOWN])
        more = f" and {len(missing) - MISSING_SHOWN} more" if len(missing) > MISSING_SHOWN else ""
        raise ObjectMissing(
            f'Manifest file "{manifest_uri}" names {len(missing)} object(s) that do not exist: {shown}{more}. '
            "Upload them, or remove them from the manifest.",
            uri=manifest_uri,
        )
    return [obj for obj in found if obj is not None]
