"""The service's data sources on top of any backend: what the engine and the plan call.

``list_inputs`` is meant to run before any container starts: every error a user can act
on (no bucket, nothing under the prefix, credentials refused, endpoint silent, a manifest
naming missing objects) is raised from it, naming the URI and the cause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from emulator.storage import naming
from emulator.storage.base import InputObject, OutputWriter, StoredObject
from emulator.storage.compression import decompress
from emulator.storage.errors import OutputNameCollision, UnsupportedDataSource
from emulator.storage.manifest import MANIFEST_LIMIT, parse_manifest, resolve_entries
from emulator.storage.registry import storage_for

DATA_TYPES = ("S3Prefix", "ManifestFile", "AugmentedManifestFile")


def list_inputs(uri: str, data_type: str = "S3Prefix", *, s3_endpoint_url: str | None = None) -> list[InputObject]:
    """The input objects of a data source, in the order the service reads them (by key)."""
    if data_type == "S3Prefix":
        storage = storage_for(uri, s3_endpoint_url)
        prefix = storage.prefix_key(uri)
        objects = storage.list_prefix(uri)
        inputs = [_input(obj, naming.relative_name(prefix, obj.key)) for obj in objects]
    elif data_type == "ManifestFile":
        manifest_store = storage_for(uri, s3_endpoint_url)
        prefix_uri, entries = parse_manifest(manifest_store.read_small(uri, MANIFEST_LIMIT), uri)
        objects = resolve_entries(storage_for(prefix_uri, s3_endpoint_url), prefix_uri, entries, uri)
        # Output names are the entries themselves: the path relative to the manifest's prefix.
        inputs = [_input(obj, entry.lstrip("/")) for obj, entry in zip(objects, entries)]
    elif data_type == "AugmentedManifestFile":
        raise UnsupportedDataSource(
            f'S3DataType "AugmentedManifestFile" (S3Uri "{uri}") is not supported for transform jobs: '
            "the service documents augmented manifest files as not compatible with batch transform "
            "(they feed training and labeling jobs). Use S3Prefix, or a ManifestFile listing the objects.",
            uri=uri,
        )
    else:
        raise UnsupportedDataSource(
            f'S3DataType "{data_type}" (S3Uri "{uri}") is not one of {", ".join(DATA_TYPES)}.', uri=uri
        )
    _check_collisions(inputs, uri)
    return inputs


def _input(obj: StoredObject, relative: str) -> InputObject:
    return InputObject(uri=obj.uri, relative_name=relative, size=obj.size, display_name=obj.display_name)


def _check_collisions(inputs: list[InputObject], uri: str) -> None:
    # Two inputs with one output name would overwrite each other's results silently
    # (prefix "test" selects "test/test_x/a.csv" and "test_x/a.csv", both "test_x/a.csv";
    # or a manifest names a key twice). Refuse up front, naming both.
    seen: dict[str, InputObject] = {}
    for obj in inputs:
        other = seen.setdefault(obj.relative_name, obj)
        if other is not obj:
            raise OutputNameCollision(
                f'Input objects "{other.uri}" and "{obj.uri}" of "{uri}" would both be written as '
                f'"{obj.relative_name}.out". End the S3Uri with "/" to select one folder, or remove one of them.',
                uri=uri,
            )


def open_input(
    obj: InputObject | str,
    *,
    chunk_size: int = 1 << 20,
    s3_endpoint_url: str | None = None,
    compression: str = "None",
) -> Iterator[bytes]:
    """Stream one input object's bytes, ``chunk_size`` at a time.

    With ``compression="Gzip"`` the chunks are decompressed; by default they are the raw
    stored bytes. Errors opening the object are raised here, not at the first ``next()``."""
    uri = obj.uri if isinstance(obj, InputObject) else obj
    chunks = storage_for(uri, s3_endpoint_url).open_read(uri, chunk_size)
    return decompress(chunks, compression, uri=uri, chunk_size=chunk_size)


def output_uri(output_path: str, obj: InputObject | str) -> str:
    """``<S3OutputPath>/<relative_name>.out`` (a trailing "/" on S3OutputPath is dropped)."""
    relative = obj.relative_name if isinstance(obj, InputObject) else obj
    return naming.output_uri(output_path, relative)


def open_output(
    uri: str, *, kms_key_id: str | None = None, s3_endpoint_url: str | None = None, run_id: str | None = None,
    on_upload: Callable[[str, str], None] | None = None,
) -> OutputWriter:
    """Start an output; nothing appears at ``uri`` before ``commit()`` (or a clean ``with`` exit).
    ``run_id`` names the run's temporary objects (a random one when not given).

    ``kms_key_id`` becomes ``ServerSideEncryption="aws:kms", SSEKMSKeyId=...`` on S3 and is
    ignored for local files."""
    writer = storage_for(uri, s3_endpoint_url).open_write(uri, kms_key_id, run_id)
    writer.on_upload = on_upload  # (uri, upload id) of each multipart upload it begins
    return writer


def delete_output(uri: str, *, s3_endpoint_url: str | None = None) -> None:
    """Remove a committed output (a stopped job keeps none); no error when it is gone."""
    storage_for(uri, s3_endpoint_url).delete(uri)


def check_output_path(output_path: str, *, s3_endpoint_url: str | None = None) -> None:
    """Fail early when outputs cannot go under ``output_path``: a missing bucket, refused
    credentials, a silent endpoint; for a local folder, create it and check it is writable."""
    storage_for(output_path, s3_endpoint_url).check_output(output_path)
