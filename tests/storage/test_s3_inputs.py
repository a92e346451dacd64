"""Reading inputs from a real S3 server (moto's, over HTTP on 127.0.0.1) through boto3."""

from __future__ import annotations

import gzip
import json
import socket
import time

import pytest

from emulator.storage import (
    AccessDenied,
    EndpointUnreachable,
    ManifestError,
    NoObjectsFound,
    NoSuchBucket,
    ObjectMissing,
    StorageError,
    check_output_path,
    list_inputs,
    open_input,
    output_uri,
)
from tests.fixtures.s3 import S3Server, moto_process


@pytest.fixture
def use_server(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """Point bte at the server the way a MinIO user does: AWS_ENDPOINT_URL_S3."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint_url)
    return s3_server


def test_prefix_listing_pages_through_more_than_1000_nested_keys(use_server: S3Server, s3_bucket: str) -> None:
    keys = {f"in/part-{i % 3}/n{i:04d}.csv": b"x" * (i % 5) for i in range(1205)}
    keys["in/"] = b""  # a folder marker, as the console makes: not an input
    keys["in/part-1/"] = b""
    keys["input-other/z.csv"] = b"raw prefix match"
    keys["elsewhere/no.csv"] = b"not under the prefix"
    use_server.seed(s3_bucket, keys)

    inputs = list_inputs(f"s3://{s3_bucket}/in")

    expected = sorted(k for k in keys if k.startswith("in") and not k.endswith("/"))
    assert len(inputs) == 1206
    assert [o.uri for o in inputs] == [f"s3://{s3_bucket}/{k}" for k in expected]
    # "/" sorts before letters, as S3 lists: "in/..." keys first, "input-other/..." last.
    assert inputs[-1].relative_name == "input-other/z.csv"
    assert inputs[0].relative_name == "part-0/n0000.csv"
    assert inputs[0].display_name == f"{s3_bucket}/in/part-0/n0000.csv"
    assert inputs[1].size == 3  # n0003
    assert output_uri(f"s3://{s3_bucket}/out/", inputs[0]) == f"s3://{s3_bucket}/out/part-0/n0000.csv.out"


def test_object_named_by_the_prefix_and_explicit_endpoint(s3_server: S3Server, s3_bucket: str) -> None:
    s3_server.client().put_object(Bucket=s3_bucket, Key="batch/batch_data.csv", Body=b"1,2\n3,4\n")
    [obj] = list_inputs(f"s3://{s3_bucket}/batch/batch_data.csv", s3_endpoint_url=s3_server.endpoint_url)
    assert obj.relative_name == "batch_data.csv"
    assert obj.size == 8
    assert b"".join(open_input(obj, s3_endpoint_url=s3_server.endpoint_url)) == b"1,2\n3,4\n"


def test_reads_stream_in_chunks(use_server: S3Server, s3_bucket: str) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB
    use_server.client().put_object(Bucket=s3_bucket, Key="k.bin", Body=body)
    chunks = list(open_input(f"s3://{s3_bucket}/k.bin", chunk_size=100_000))
    assert [len(c) for c in chunks[:-1]] == [100_000] * 10
    assert b"".join(chunks) == body


def test_gzip_over_s3(use_server: S3Server, s3_bucket: str) -> None:
    body = b"".join(b"row %d\n" % i for i in range(100_000))
    use_server.client().put_object(Bucket=s3_bucket, Key="in/x.csv.gz", Body=gzip.compress(body))
    [obj] = list_inputs(f"s3://{s3_bucket}/in/")
    assert output_uri(f"s3://{s3_bucket}/out", obj) == f"s3://{s3_bucket}/out/x.csv.gz.out"
    assert b"".join(open_input(obj, compression="Gzip")) == body


def test_manifest_file_in_one_bucket_naming_another(use_server: S3Server, s3_bucket: str) -> None:
    client = use_server.client()
    data_bucket = s3_bucket + "-data"
    client.create_bucket(Bucket=data_bucket)
    try:
        for key in ("p/a.csv", "p/sub/b.csv", "p/ignored.csv"):
            client.put_object(Bucket=data_bucket, Key=key, Body=key.encode())
        manifest = [{"prefix": f"s3://{data_bucket}/p/"}, "sub/b.csv", "a.csv"]
        client.put_object(Bucket=s3_bucket, Key="m/in.manifest", Body=json.dumps(manifest).encode())

        inputs = list_inputs(f"s3://{s3_bucket}/m/in.manifest", "ManifestFile")

        assert [(o.uri, o.relative_name, o.size) for o in inputs] == [
            (f"s3://{data_bucket}/p/sub/b.csv", "sub/b.csv", 11),
            (f"s3://{data_bucket}/p/a.csv", "a.csv", 7),
        ]
        assert b"".join(open_input(inputs[0])) == b"p/sub/b.csv"

        client.put_object(
            Bucket=s3_bucket, Key="m/bad.manifest", Body=json.dumps(manifest + ["gone.csv"]).encode()
        )
        with pytest.raises(ObjectMissing) as info:
            list_inputs(f"s3://{s3_bucket}/m/bad.manifest", "ManifestFile")
        assert f'names 1 object(s) that do not exist: "s3://{data_bucket}/p/gone.csv"' in str(info.value)
    finally:
        for key in ("p/a.csv", "p/sub/b.csv", "p/ignored.csv"):
            client.delete_object(Bucket=data_bucket, Key=key)
        client.delete_bucket(Bucket=data_bucket)


def test_missing_manifest_object(use_server: S3Server, s3_bucket: str) -> None:
    with pytest.raises(ManifestError, match=f'Manifest file "s3://{s3_bucket}/none.json" does not exist'):
        list_inputs(f"s3://{s3_bucket}/none.json", "ManifestFile")


def test_empty_prefix_gives_the_service_text(use_server: S3Server, s3_bucket: str) -> None:
    use_server.client().put_object(Bucket=s3_bucket, Key="in/", Body=b"")
    with pytest.raises(NoObjectsFound) as info:
        list_inputs(f"s3://{s3_bucket}/in")
    text = str(info.value)
    assert text.startswith(f'No S3 objects found under S3 URL "s3://{s3_bucket}/in" given in input data source')
    assert "only 1 folder marker key(s)" in text
    assert "selected region (us-east-1)" in text
    assert info.value.code == "ValidationException"


def test_missing_bucket_names_uri_bucket_and_endpoint(use_server: S3Server) -> None:
    with pytest.raises(NoSuchBucket) as info:
        list_inputs("s3://no-such-bucket-here/in/")
    text = str(info.value)
    assert 'No S3 objects found under S3 URL "s3://no-such-bucket-here/in/"' in text
    assert f'the bucket "no-such-bucket-here" does not exist at the S3 endpoint {use_server.endpoint_url}' in text
    with pytest.raises(NoSuchBucket, match='output bucket "no-such-out" of S3OutputPath "s3://no-such-out/x"'):
        check_output_path("s3://no-such-out/x")


def test_object_removed_after_listing(use_server: S3Server, s3_bucket: str) -> None:
    with pytest.raises(ObjectMissing, match=f'"s3://{s3_bucket}/gone.csv" does not exist at {use_server.endpoint_url}'):
        open_input(f"s3://{s3_bucket}/gone.csv")


def test_refused_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # A server that checks access keys (moto's IAM authentication from the first request).
    with moto_process(INITIAL_NO_AUTH_ACTION_COUNT="0") as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server.endpoint_url)
        with pytest.raises(AccessDenied) as info:
            list_inputs("s3://some-bucket/in/")
        text = str(info.value)
        assert f'Access to "s3://some-bucket/in/" was refused by the S3 endpoint {server.endpoint_url}' in text
        assert "InvalidAccessKeyId" in text
        assert 'allow "s3:ListBucket" on bucket "some-bucket"' in text
        with pytest.raises(AccessDenied, match="refused by the S3 endpoint .* 403: Forbidden"):
            check_output_path("s3://some-bucket/out")


def test_no_credentials_at_all(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254
    with pytest.raises(AccessDenied) as info:
        list_inputs("s3://any-bucket/in/", s3_endpoint_url=s3_server.endpoint_url)
    assert 'No AWS credentials were found for listing "s3://any-bucket/in/"' in str(info.value)


def test_unknown_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_PROFILE", "minio-typo")
    with pytest.raises(AccessDenied, match="The AWS profile 'minio-typo' \\(AWS_PROFILE\\) is not in"):
        list_inputs("s3://any-bucket/in/")


def test_endpoint_that_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("BTE_S3_OUTAGE_SECONDS", "1.5")  # 30 by default
    endpoint = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(EndpointUnreachable) as info:
        list_inputs("s3://any-bucket/in/", s3_endpoint_url=endpoint)
    assert 1.5 <= time.monotonic() - started < 20  # retried for the window, then gave up (slow machines: slack)
    text = str(info.value)
    assert f'The S3 endpoint {endpoint} did not answer while listing "s3://any-bucket/in/"' in text
    assert "bte retried for 1.5 s (BTE_S3_OUTAGE_SECONDS)" in text
    assert "AWS_ENDPOINT_URL_S3" in text


def test_outage_setting_that_is_not_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BTE_S3_OUTAGE_SECONDS", "soon")
    with pytest.raises(StorageError, match="BTE_S3_OUTAGE_SECONDS='soon' is not a number of seconds"):
        list_inputs("s3://any-bucket/in/", s3_endpoint_url="http://127.0.0.1:9")


def test_inputs_come_in_s3_key_order_whatever_order_the_server_lists(use_server: S3Server, s3_bucket: str) -> None:
    keys = ["in/a-b.csv", "in/a.csv", "in/a/b.csv", "in/a.csv.x", "in/B.csv", "in/\u00e9.csv"]
    for key in keys:
        use_server.client().put_object(Bucket=s3_bucket, Key=key, Body=b"1\n")
    s3_order = sorted(keys, key=lambda k: k.encode())  # "-" < "." < "/" < "B" < "a" < "\u00e9"
    listed = [o["Key"] for o in use_server.client().list_objects_v2(Bucket=s3_bucket)["Contents"]]
    if use_server.kind == "moto":
        assert listed == s3_order
    else:  # SeaweedFS lists its directory tree: a folder "a/" before its sibling "a-b.csv"
        assert listed == ["in/B.csv", "in/a/b.csv", "in/a-b.csv", "in/a.csv", "in/a.csv.x", "in/\u00e9.csv"]
    assert [o.uri for o in list_inputs(f"s3://{s3_bucket}/in/")] == [f"s3://{s3_bucket}/{k}" for k in s3_order]


def test_refused_signature_on_a_server_that_checks_it(seaweedfs_s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # SeaweedFS checks every request's signature, as MinIO and S3 do (moto's shared server does not).
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", seaweedfs_s3_server.endpoint_url)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(AccessDenied) as info:
        list_inputs("s3://some-bucket/in/")
    assert f'refused by the S3 endpoint {seaweedfs_s3_server.endpoint_url} while listing: SignatureDoesNotMatch' in str(info.value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unknown-key")
    with pytest.raises(AccessDenied, match="InvalidAccessKeyId"):
        list_inputs("s3://some-bucket/in/")
