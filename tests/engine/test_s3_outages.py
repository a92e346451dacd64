"""The S3 server goes away in the middle of a job: SeaweedFS, on its own data folder, is
killed (SIGKILL, as a crash) and started again on the same folder and ports.

Within BTE_S3_OUTAGE_SECONDS the job rides it out (bte's S3 client keeps retrying refused
connections and resumes a cut GET at the byte where it stopped) and writes the right bytes;
beyond it the job fails naming the endpoint and the object. Either way nothing partial is
left: no `.out` object and no open multipart upload."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator import run_transform_job
from emulator.engine import events as ev
from emulator.locals3 import WeedServer
from tests.engine.jobs import Target, job_request
from tests.fixtures.s3 import S3Server

MiB = 1 << 20
BUCKET = "bte-outage"


def rows(n_mib: int, width: int = 1000) -> bytes:
    pad = "x" * (width - 12)
    return b"".join(f"{i:010d},{pad}\n".encode() for i in range(n_mib * MiB // width))


class BatchCounter:
    """Event listener: sets ``reached`` once ``n`` mini-batches have been answered."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.done = 0
        self.reached = threading.Event()

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.MiniBatchDone):
            self.done += 1
            if self.done >= self.n:
                self.reached.set()


class WarningWatch(logging.Handler):
    """Collects bte's S3 retry warnings as they happen (from any thread)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.gave_up = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        if "giving up" in self.messages[-1]:
            self.gave_up.set()


@pytest.fixture
def warnings_seen() -> Any:
    watch = WarningWatch()
    logger = logging.getLogger("bte.storage")
    logger.addHandler(watch)
    yield watch
    logger.removeHandler(watch)


@pytest.fixture
def weed(weed_server: Callable[[], WeedServer], monkeypatch: pytest.MonkeyPatch) -> WeedServer:
    server = weed_server()
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server.endpoint_url)
    S3Server("seaweedfs", server.endpoint_url).client().create_bucket(Bucket=BUCKET)
    return server


def run_in_thread(request: dict[str, Any], env: dict[str, str], listener: Callable[[ev.Event], None] = lambda e: None,
                  ) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    kwargs = Target("process").kwargs("echo", env=env)
    thread = threading.Thread(target=lambda: result.append(run_transform_job(request, listeners=[listener], **kwargs)))
    thread.start()
    return thread, result


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def outage(weed: WeedServer, seconds: float) -> None:
    weed.kill()
    time.sleep(seconds)
    weed.start()  # the same folder and ports


def leftovers(s3: S3Server) -> tuple[list[str], list[Any]]:
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=BUCKET, Prefix="out/").get("Contents", [])]
    return keys, s3.open_uploads(BUCKET)


def test_short_outage_during_a_multipart_output_is_ridden_out(weed: WeedServer, warnings_seen: WarningWatch) -> None:
    s3 = S3Server("seaweedfs", weed.endpoint_url)
    body = rows(17)  # echoed back: a 17 MiB output, three parts
    s3.client().put_object(Bucket=BUCKET, Key="in/big.csv", Body=body)
    request = job_request("outage-upload", f"s3://{BUCKET}/in/", f"s3://{BUCKET}/out",
                          MaxConcurrentTransforms=2, MaxPayloadInMB=1)
    thread, result = run_in_thread(request, {"ECHO_LATENCY_MS": "100"})

    wait_for(lambda: bool(s3.open_uploads(BUCKET)), "the output's multipart upload to start")
    outage(weed, 2.0)
    thread.join(120)

    assert result[0].status == "Completed", result[0].failure_reason
    out = s3.client().get_object(Bucket=BUCKET, Key="out/big.csv.out")["Body"].read()
    assert out == body
    assert s3.open_uploads(BUCKET) == []
    assert any("retrying PUT" in m and "out/big.csv.out" in m for m in warnings_seen.messages), warnings_seen.messages


def test_short_outage_during_the_get_of_an_input_is_ridden_out(weed: WeedServer, warnings_seen: WarningWatch) -> None:
    s3 = S3Server("seaweedfs", weed.endpoint_url)
    body = rows(32, width=8000)  # far more than socket buffers hold: the GET is still streaming when weed dies
    s3.client().put_object(Bucket=BUCKET, Key="in/wide.csv", Body=body)
    # InputFilter keeps the first column: the output stays small (one PutObject at the end),
    # so only the input's GET meets the outage.
    request = job_request("outage-get", f"s3://{BUCKET}/in/", f"s3://{BUCKET}/out", MaxConcurrentTransforms=1,
                          MaxPayloadInMB=1, DataProcessing={"InputFilter": "$[0]"})
    counter = BatchCounter(4)
    thread, result = run_in_thread(request, {"ECHO_LATENCY_MS": "100"}, counter)

    assert counter.reached.wait(60)
    outage(weed, 2.0)
    thread.join(120)

    assert result[0].status == "Completed", result[0].failure_reason
    out = s3.client().get_object(Bucket=BUCKET, Key="out/wide.csv.out")["Body"].read()
    assert out == b"".join(line.split(b",", 1)[0] + b"\n" for line in body.splitlines())
    assert any("retrying GET" in m and "in/wide.csv" in m for m in warnings_seen.messages), warnings_seen.messages
    assert leftovers(s3)[1] == []


def test_outage_longer_than_the_budget_fails_naming_endpoint_and_object(
    weed: WeedServer, warnings_seen: WarningWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BTE_S3_OUTAGE_SECONDS", "4")
    s3 = S3Server("seaweedfs", weed.endpoint_url)
    s3.client().put_object(Bucket=BUCKET, Key="in/big.csv", Body=rows(17))
    request = job_request("outage-long", f"s3://{BUCKET}/in/", f"s3://{BUCKET}/out",
                          MaxConcurrentTransforms=2, MaxPayloadInMB=1)
    thread, result = run_in_thread(request, {"ECHO_LATENCY_MS": "100"})

    wait_for(lambda: bool(s3.open_uploads(BUCKET)), "the output's multipart upload to start")
    weed.kill()
    # Back only once a request has given up (4 s): the job fails, and the abort that
    # follows still finds the server within its own 4 s, so no upload is left open.
    assert warnings_seen.gave_up.wait(30)
    weed.start()
    thread.join(120)

    job = result[0]
    assert job.status == "Failed"
    assert job.failure_reason == "ClientError: See job logs for more information"  # the service's text
    detail = job.failure_detail  # bte's: the endpoint, the object, the setting
    assert weed.endpoint_url in detail
    assert f"s3://{BUCKET}/out/big.csv.out" in detail or f"s3://{BUCKET}/in/big.csv" in detail
    assert "BTE_S3_OUTAGE_SECONDS" in detail
    assert leftovers(s3) == ([], [])
    with pytest.raises(ClientError):
        s3.client().head_object(Bucket=BUCKET, Key="out/big.csv.out")
