"""A transform job that reads from and writes to a real S3 wire-protocol server, through
the engine, with the same output bytes as the same job on local folders."""

from __future__ import annotations

import gzip

import pytest

from emulator import run_transform_job
from tests.engine.jobs import job_request


def test_s3_job_matches_the_local_job_byte_for_byte(tmp_path, s3_server, s3_bucket, target, monkeypatch):
    files = {
        "in/a.csv": b"".join(f"{i},{i * i}\n".encode() for i in range(500)),
        "in/nested/b.csv": b"x,y\n1,2\n",
        "in-sibling/c.csv": b"7,8\n",  # S3Prefix is a raw string prefix: "in" matches this too
    }
    client = s3_server.client()
    for key, body in files.items():
        client.put_object(Bucket=s3_bucket, Key=key, Body=body)
        (tmp_path / "local" / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "local" / key).write_bytes(body)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint_url)  # as a user points bte at MinIO

    s3_job = job_request(f"s3-{target.kind}", f"s3://{s3_bucket}/in", f"s3://{s3_bucket}/out",
                         MaxConcurrentTransforms=2, MaxPayloadInMB=1)
    result = run_transform_job(s3_job, **target.kwargs("echo"))
    assert result.status == "Completed", result.failure_reason

    local_job = job_request(f"local-{target.kind}", str(tmp_path / "local" / "in"), str(tmp_path / "out"),
                            MaxConcurrentTransforms=2, MaxPayloadInMB=1)
    local = run_transform_job(local_job, **target.kwargs("echo"))
    assert local.status == "Completed", local.failure_reason

    expected = {
        "out/a.csv.out": "a.csv.out",
        "out/nested/b.csv.out": "nested/b.csv.out",
        "out/in-sibling/c.csv.out": "in-sibling/c.csv.out",  # partial segment: bte keeps the whole segment
    }
    for key, rel in expected.items():
        s3_bytes = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
        assert s3_bytes == (tmp_path / "out" / rel).read_bytes()
    assert client.get_object(Bucket=s3_bucket, Key="out/a.csv.out")["Body"].read() == files["in/a.csv"]
    assert s3_server.open_uploads(s3_bucket) == []


def test_gzip_input_from_s3_is_decompressed_and_named_dot_out(s3_server, s3_bucket, process_target):
    body = b"".join(f"{i}\n".encode() for i in range(1000))
    s3_server.client().put_object(Bucket=s3_bucket, Key="gz/data.csv.gz", Body=gzip.compress(body))
    request = job_request("s3-gzip", f"s3://{s3_bucket}/gz/", f"s3://{s3_bucket}/out",
                          TransformInput={"CompressionType": "Gzip"})
    result = run_transform_job(request, s3_endpoint_url=s3_server.endpoint_url, **process_target.kwargs("echo"))
    assert result.status == "Completed", result.failure_reason
    out = s3_server.client().get_object(Bucket=s3_bucket, Key="out/data.csv.gz.out")["Body"].read()
    assert out == body


def test_missing_bucket_fails_before_any_container_starts(s3_server, process_target):
    from emulator.spec.errors import BteError

    request = job_request("s3-missing", "s3://no-such-bucket-here/in", "s3://no-such-bucket-here/out")
    with pytest.raises(BteError) as err:
        run_transform_job(request, s3_endpoint_url=s3_server.endpoint_url, **process_target.kwargs("echo"))
    assert "s3://no-such-bucket-here/in" in str(err.value)
