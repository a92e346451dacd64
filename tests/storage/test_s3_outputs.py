"""Writing outputs to a real S3 server: whole or not at all, multipart for big ones."""

from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import ClientError

from emulator.storage import KmsNotSupported, StorageError, delete_output, open_output
from emulator.storage.s3_writer import PART_SIZE
from tests.fixtures.s3 import S3Server

MiB = 1 << 20


@pytest.fixture
def use_server(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint_url)
    return s3_server


def block(i: int, size: int = MiB) -> bytes:
    """Distinct content per block, so reordered or lost parts are detected."""
    return hashlib.sha256(b"%d" % i).digest() * (size // 32)


def exists(server: S3Server, bucket: str, key: str) -> bool:
    try:
        server.client().head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def test_small_output_is_one_put_at_commit(use_server: S3Server, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/out/a.csv.out"
    with open_output(uri) as out:
        out.write(b"1\n")
        out.write(b"2\n")
        assert not exists(use_server, s3_bucket, "out/a.csv.out")
        assert use_server.open_uploads(s3_bucket) == []  # under one part: no multipart upload
    body = use_server.client().get_object(Bucket=s3_bucket, Key="out/a.csv.out")["Body"].read()
    assert body == b"1\n2\n"


def test_empty_output_is_stored(use_server: S3Server, s3_bucket: str) -> None:
    with open_output(f"s3://{s3_bucket}/empty.out"):
        pass
    assert use_server.client().head_object(Bucket=s3_bucket, Key="empty.out")["ContentLength"] == 0


def test_large_output_is_a_multipart_upload_completed_at_commit(use_server: S3Server, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/out/big.bin.out"
    writer = open_output(uri)
    for i in range(20):  # 20 MiB in 1 MiB writes: two 8 MiB parts, then a 4 MiB last part
        writer.write(block(i))
    [upload] = use_server.open_uploads(s3_bucket)
    assert upload["Key"] == "out/big.bin.out"
    assert not exists(use_server, s3_bucket, "out/big.bin.out")

    writer.commit()

    assert use_server.open_uploads(s3_bucket) == []
    head = use_server.client().head_object(Bucket=s3_bucket, Key="out/big.bin.out")
    assert head["ContentLength"] == 20 * MiB
    assert head["ETag"].endswith('-3"')  # three parts
    body = use_server.client().get_object(Bucket=s3_bucket, Key="out/big.bin.out")["Body"].read()
    assert body == b"".join(block(i) for i in range(20))


def test_kms_key_id_is_sent_or_refused_by_name(use_server: S3Server, s3_bucket: str) -> None:
    # moto stores the SSE-KMS settings as S3 does. SeaweedFS, with no KMS configured, answers
    # InternalError: bte says the KmsKeyId is the cause and leaves nothing behind.
    key_id = "arn:aws:kms:us-east-1:123456789012:key/bte-test"
    for name, size in (("small.out", 1), ("big.out", 9 * MiB)):  # one PutObject; a multipart upload
        uri = f"s3://{s3_bucket}/{name}"
        if use_server.kind == "moto":
            with open_output(uri, kms_key_id=key_id) as out:
                out.write(block(0, size))
            head = use_server.client().head_object(Bucket=s3_bucket, Key=name)
            assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key_id)
            continue
        with pytest.raises(KmsNotSupported) as info:
            with open_output(uri, kms_key_id=key_id) as out:
                out.write(block(0, size))
        assert f'refused server-side encryption with KmsKeyId "{key_id}"' in str(info.value)
        assert use_server.endpoint_url in str(info.value) and uri in str(info.value)
        assert not exists(use_server, s3_bucket, name)
    assert use_server.open_uploads(s3_bucket) == []


def test_interrupted_output_is_aborted(use_server: S3Server, s3_bucket: str) -> None:
    with pytest.raises(KeyboardInterrupt):
        with open_output(f"s3://{s3_bucket}/out/big.bin.out") as out:
            for i in range(2 * PART_SIZE // MiB + 1):
                out.write(block(i))
            assert len(use_server.open_uploads(s3_bucket)) == 1
            raise KeyboardInterrupt  # Ctrl-C in the middle of a file
    assert out.state == "aborted"
    assert use_server.open_uploads(s3_bucket) == []
    assert not exists(use_server, s3_bucket, "out/big.bin.out")
    assert use_server.client().list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0


def test_explicit_abort_of_a_small_output_stores_nothing(use_server: S3Server, s3_bucket: str) -> None:
    writer = open_output(f"s3://{s3_bucket}/a.out")
    writer.write(b"partial")
    writer.abort()
    writer.abort()  # idempotent
    assert not exists(use_server, s3_bucket, "a.out")
    with pytest.raises(StorageError, match="already aborted"):
        writer.write(b"more")


def test_write_into_a_missing_bucket_fails_naming_it(use_server: S3Server) -> None:
    writer = open_output("s3://no-such-out-bucket/x.out")
    writer.write(b"data")
    with pytest.raises(StorageError, match='bucket "no-such-out-bucket" does not exist at the S3 endpoint'):
        writer.commit()
    assert writer.state == "aborted"


def test_multipart_without_checksums_for_older_s3_compatible_servers(
    use_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The documented switch for servers that reject botocore's default CRC32 checksums.
    monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    writer = open_output(f"s3://{s3_bucket}/plain.out")
    assert getattr(writer, "_checksum") == {}
    with writer:
        for i in range(9):
            writer.write(block(i))
    head = use_server.client().head_object(Bucket=s3_bucket, Key="plain.out")
    assert head["ContentLength"] == 9 * MiB and head["ETag"].endswith('-2"')


def test_delete_output_removes_a_committed_object(use_server: S3Server, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/out/a.out"
    with open_output(uri) as out:
        out.write(b"x")
    delete_output(uri)
    assert not exists(use_server, s3_bucket, "out/a.out")
    delete_output(uri)  # already gone: no error


def test_default_crc32_checksums_are_sent_and_stored(use_server: S3Server, s3_bucket: str) -> None:
    # botocore (1.36+) sends CRC32 by default; bte's multipart uploads declare and echo it.
    # Both servers store it; they write a multipart object's composite checksum differently.
    for name, size in (("small.out", 10), ("big.out", 9 * MiB)):
        with open_output(f"s3://{s3_bucket}/{name}") as out:
            out.write(block(0, size) if size > 32 else b"x" * size)
    client = use_server.client()
    small = client.head_object(Bucket=s3_bucket, Key="small.out", ChecksumMode="ENABLED")
    big = client.head_object(Bucket=s3_bucket, Key="big.out", ChecksumMode="ENABLED")
    assert small["ChecksumCRC32"] == "jt9Hdw=="  # CRC32 of the 10 bytes, on both
    if use_server.kind == "moto":
        assert big["ChecksumCRC32"] == "M7Acsg==" and "ChecksumType" not in big
    else:  # as S3 writes it: the checksum of the parts' checksums, then the part count
        assert (big["ChecksumCRC32"], big["ChecksumType"]) == ("M7Acsg==-2", "COMPOSITE")
