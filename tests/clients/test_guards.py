"""The server's guards: --allow-local roots, --credentials (SigV4), the body size limit, the bind warning.

Models here run as local processes (the echo sample's inference.py under an allowed root),
so these tests need no Docker engine.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from emulator.api.request_guard import MAX_CONTROL_BODY_BYTES, exposure_warning
from tests.clients.conftest import StartServer, boto_client
from tests.engine.jobs import job_request

KEY, SECRET = "AKIDBTETEST", "bte-secret-for-tests"


def error_of(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"].get("Message", ""), response["ResponseMetadata"]["HTTPStatusCode"]


def wait_for_end(sagemaker: Any, name: str, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described: dict[str, Any] = sagemaker.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] in ("Completed", "Failed", "Stopped"):
            return described
        time.sleep(0.3)
    raise AssertionError(f"transform job {name} did not end within {timeout_s} s")


# -- --allow-local ------------------------------------------------------------------------


def test_local_paths_run_only_under_allow_local_roots(tmp_path: Path, start_server: StartServer,
                                                      local_echo_model: Path) -> None:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    (allowed / "in").mkdir(parents=True)
    (outside / "in").mkdir(parents=True)
    body = b"".join(b"%d,%d\n" % (i, i * 3) for i in range(25))
    (allowed / "in" / "data.csv").write_bytes(body)
    (outside / "in" / "data.csv").write_bytes(body)
    (allowed / "escape").symlink_to(outside)
    server = start_server("--allow-local", str(allowed))
    sagemaker = boto_client(server.url, "sagemaker")

    code, message, _ = error_of(sagemaker.create_model, ModelName="outside-model",
                                PrimaryContainer={"ModelDataUrl": (outside / "in").as_uri()})
    assert code == "ValidationException" and str(outside / "in") in message
    sagemaker.create_model(ModelName="local-echo", PrimaryContainer={"ModelDataUrl": local_echo_model.as_uri()})
    refused = {
        "input outside": job_request("in-out", (outside / "in").as_uri(), (allowed / "o1").as_uri()),
        "output outside": job_request("out-out", (allowed / "in").as_uri(), (outside / "o2").as_uri()),
        "dot-dot": job_request("dots", f"{allowed}/../outside/in/", (allowed / "o3").as_uri()),
        "symlink out": job_request("link", (allowed / "escape" / "in").as_uri(), (allowed / "o4").as_uri()),
    }
    for case, request in refused.items():
        code, message, status = error_of(sagemaker.create_transform_job, **{**request, "ModelName": "local-echo"})
        assert (code, status) == ("ValidationException", 400), case
        assert "allow" in message, case

    sagemaker.create_transform_job(**job_request("inside", (allowed / "in").as_uri(), (allowed / "out").as_uri(),
                                                 ModelName="local-echo"))
    assert wait_for_end(sagemaker, "inside")["TransformJobStatus"] == "Completed"
    assert (allowed / "out" / "data.csv.out").read_bytes() == body
    assert not list((outside).glob("**/*.out"))


def test_without_allow_local_a_local_path_is_the_services_validation_error(server: Any) -> None:
    sagemaker = boto_client(server.url, "sagemaker")
    code, message, _ = error_of(sagemaker.create_model, ModelName="m",
                                PrimaryContainer={"Image": "bte-sample/echo:latest", "ModelDataUrl": "file:///etc"})
    assert code == "ValidationException" and "modelDataUrl" in message


# -- --credentials ------------------------------------------------------------------------


def test_credentials_serve_the_right_pair_and_refuse_another_key_or_secret(start_server: StartServer) -> None:
    server = start_server("--credentials", f"{KEY}:{SECRET}")
    right = {service: boto_client(server.url, service, KEY, SECRET) for service in ("sagemaker", "s3", "sts", "logs")}
    assert right["sagemaker"].list_transform_jobs()["TransformJobSummaries"] == []
    right["s3"].create_bucket(Bucket="signed")
    right["s3"].put_object(Bucket="signed", Key="a.txt", Body=b"signed bytes")
    assert right["s3"].get_object(Bucket="signed", Key="a.txt")["Body"].read() == b"signed bytes"
    assert right["sts"].get_caller_identity()["Account"]

    def refused(service: str, key: str, secret: str) -> tuple[str, int]:
        client = boto_client(server.url, service, key, secret)
        call = {"sagemaker": lambda: client.list_models(), "s3": lambda: client.get_object(Bucket="signed", Key="a.txt"),
                "sts": lambda: client.get_caller_identity(),
                "logs": lambda: client.describe_log_streams(logGroupName="/aws/sagemaker/TransformJobs")}[service]
        code, _, status = error_of(lambda: call())
        return code, status

    assert refused("sagemaker", "AKIDOTHER", SECRET) == ("UnrecognizedClientException", 400)
    assert refused("sagemaker", KEY, "wrong-secret") == ("InvalidSignatureException", 403)
    assert refused("logs", KEY, "wrong-secret") == ("InvalidSignatureException", 403)
    assert refused("s3", "AKIDOTHER", SECRET) == ("InvalidAccessKeyId", 403)
    assert refused("s3", KEY, "wrong-secret") == ("SignatureDoesNotMatch", 403)
    assert refused("sts", "AKIDOTHER", SECRET) == ("InvalidClientTokenId", 403)
    assert refused("sts", KEY, "wrong-secret") == ("SignatureDoesNotMatch", 403)


def test_credentials_refuse_unsigned_and_changed_requests(start_server: StartServer) -> None:
    server = start_server("--credentials", f"{KEY}:{SECRET}")
    headers = {"X-Amz-Target": "SageMaker.ListModels", "Content-Type": "application/x-amz-json-1.1"}
    unsigned = requests.post(server.url + "/", data=b"{}", headers=headers, timeout=10)
    assert unsigned.status_code == 403
    assert unsigned.json()["__type"] == "MissingAuthenticationTokenException"

    signed = AWSRequest(method="POST", url=server.url + "/", data=b'{"MaxResults": 5}',
                        headers={**headers, "Host": urlsplit(server.url).netloc})
    SigV4Auth(Credentials(KEY, SECRET), "sagemaker", "us-east-1").add_auth(signed)
    good = requests.post(server.url + "/", data=signed.body, headers=dict(signed.headers), timeout=10)
    assert good.status_code == 200 and good.json() == {"Models": []}
    changed = requests.post(server.url + "/", data=b'{"MaxResults": 6}', headers=dict(signed.headers), timeout=10)
    assert changed.status_code == 403 and changed.json()["__type"] == "InvalidSignatureException"


def test_a_server_with_credentials_still_runs_jobs_on_its_own_s3(tmp_path: Path, start_server: StartServer,
                                                                 local_echo_model: Path) -> None:
    server = start_server("--credentials", f"{KEY}:{SECRET}", "--allow-local", str(local_echo_model))
    s3, sagemaker = boto_client(server.url, "s3", KEY, SECRET), boto_client(server.url, "sagemaker", KEY, SECRET)
    s3.create_bucket(Bucket="jobs")
    s3.put_object(Bucket="jobs", Key="in/data.csv", Body=b"1,2\n3,4\n")
    sagemaker.create_model(ModelName="local-echo", PrimaryContainer={"ModelDataUrl": local_echo_model.as_uri()})
    sagemaker.create_transform_job(**job_request("signed-job", "s3://jobs/in/", "s3://jobs/out/",
                                                 ModelName="local-echo"))
    described = wait_for_end(sagemaker, "signed-job")
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert s3.get_object(Bucket="jobs", Key="out/data.csv.out")["Body"].read() == b"1,2\n3,4\n"


# -- request body limit --------------------------------------------------------------------


def raw_request(url: str, head: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """Send ``head`` and ``body`` on a plain socket; return the status and the JSON answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.split(b"\r\n\r\n", 1)[1])


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def test_an_oversize_body_is_refused_before_it_is_read_or_parsed(server: Any) -> None:
    netloc = urlsplit(server.url).netloc
    head = ("POST / HTTP/1.1\r\nHost: {netloc}\r\nX-Amz-Target: SageMaker.ListModels\r\n"
            "Content-Type: application/x-amz-json-1.1\r\nContent-Length: {length}\r\n")
    # Declared 1 GB, 10 bytes sent: the answer comes at once, so nothing waited for (or parsed) the body.
    status, answer = raw_request(server.url, head.format(netloc=netloc, length=10**9), b"not json!!")
    assert status == 413 and answer["__type"] == "RequestEntityTooLargeException"
    assert str(MAX_CONTROL_BODY_BYTES) in answer["message"]
    # At the limit, the same bytes reach the parser, which answers as the service does.
    body = b"x" * MAX_CONTROL_BODY_BYTES
    status, answer = raw_request(server.url, head.format(netloc=netloc, length=len(body)), body)
    assert status == 400 and answer["__type"] == "SerializationException"
    # Chunked, with no Content-Length: counted as it arrives, refused once past the limit.
    chunk = b"y" * (256 * 1024)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5)) + b"0\r\n\r\n"
    status, answer = raw_request(server.url, head.replace("Content-Length: {length}", "Transfer-Encoding: chunked")
                                 .format(netloc=netloc), chunked)
    assert status == 413 and answer["__type"] == "RequestEntityTooLargeException"


# -- binding ---------------------------------------------------------------------------------


def test_binding_beyond_loopback_warns_loudly() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.20"):
        warning = exposure_warning(host)
        assert warning is not None and host in warning and "--credentials" in warning
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert exposure_warning(host) is None


def test_the_default_bind_is_loopback_and_quiet(server: Any) -> None:
    assert urlsplit(server.url).hostname == "127.0.0.1"
    assert "WARNING" not in server.stderr()
