"""The storage room's public surface, and how it picks clients and endpoints."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

import emulator.storage as storage
from emulator.spec.errors import BteError, ValidationException
from emulator.storage.s3_client import s3_client
from tests.fixtures.s3 import S3Server


def test_exported_members() -> None:
    assert set(storage.__all__) == {
        "AccessDenied", "CorruptInput", "EndpointUnreachable", "InputObject", "KmsNotSupported",
        "ManifestError", "NoObjectsFound", "NoSuchBucket", "ObjectMissing", "OutputNameCollision",
        "OutputWriteFailed", "OutputWriter", "Storage", "StorageError", "StoredObject",
        "UnsupportedDataSource", "UnsupportedUri", "check_output_path", "delete_output", "gunzip", "list_inputs",
        "open_input", "open_output", "output_uri", "storage_for",
    }  # fmt: skip
    for name in storage.__all__:
        assert getattr(storage, name) is not None


def test_error_tree() -> None:
    for cls in (storage.NoObjectsFound, storage.NoSuchBucket, storage.AccessDenied, storage.ManifestError,
                storage.UnsupportedDataSource, storage.UnsupportedUri, storage.OutputNameCollision):  # fmt: skip
        assert issubclass(cls, ValidationException) and issubclass(cls, storage.StorageError)
        assert cls("x").code == "ValidationException"
    for cls in (storage.EndpointUnreachable, storage.ObjectMissing, storage.CorruptInput, storage.KmsNotSupported):
        assert issubclass(cls, BteError) and not issubclass(cls, ValidationException)


def test_backends_by_scheme() -> None:
    assert type(storage.storage_for("s3://b/k")).__name__ == "S3Storage"
    assert type(storage.storage_for("file:///tmp/x")).__name__ == "LocalStorage"
    assert type(storage.storage_for("relative/dir")).__name__ == "LocalStorage"


def test_path_style_for_s3_compatible_endpoints_virtual_for_aws() -> None:
    assert s3_client("http://localhost:9000").meta.config.s3["addressing_style"] == "path"
    aws = s3_client("https://s3.us-east-1.amazonaws.com").meta.config.s3
    assert not aws or "addressing_style" not in aws


def test_a_profile_addressing_style_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\ns3 =\n    addressing_style = virtual\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    settings = s3_client("http://minio.example:9000").meta.config.s3
    assert not settings or settings.get("addressing_style") != "path"


def test_profile_endpoint_url_is_used(s3_server: S3Server, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The shared-config way of pointing at MinIO: a profile with a services section.
    config = tmp_path / "config"
    config.write_text(
        f"[profile minio]\nservices = local-s3\n\n[services local-s3]\ns3 =\n    endpoint_url = {s3_server.endpoint_url}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "minio")
    s3_server.client().put_object(Bucket=s3_bucket, Key="in/a.csv", Body=b"1\n")
    [obj] = storage.list_inputs(f"s3://{s3_bucket}/in/")
    assert b"".join(storage.open_input(obj)) == b"1\n"


def test_explicit_endpoint_wins_over_the_environment(
    s3_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{dead}")
    s3_server.client().put_object(Bucket=s3_bucket, Key="a.csv", Body=b"1\n")
    [obj] = storage.list_inputs(f"s3://{s3_bucket}/a.csv", s3_endpoint_url=s3_server.endpoint_url)
    assert obj.size == 2
