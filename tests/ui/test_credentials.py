"""With `bte serve --credentials`, the page is the API's client like any other: without the
pair it reads, creates and stops nothing; with it, its SigV4-signed requests pass the
same guard as boto3's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.server import BteServer
from tests.engine.jobs import job_request, model_request
from tests.ui.conftest import NEEDS_CHROMIUM, csv_input

pytestmark = [pytest.mark.docker, NEEDS_CHROMIUM]
PAIR = "ui-key:ui-secret-1234"


@pytest.fixture(scope="module")
def guarded(workdir: Path) -> Iterator[BteServer]:
    srv = BteServer(workdir / "guarded-state", "--allow-local", str(workdir), "--credentials", PAIR).start()
    yield srv
    srv.stop()


def signed_client(srv: BteServer) -> Any:
    import boto3

    key, secret = PAIR.split(":")
    return boto3.session.Session().client("sagemaker", endpoint_url=srv.url, region_name="us-east-1",
                                          aws_access_key_id=key, aws_secret_access_key=secret)


def sign_in(page: Any, pair: str) -> None:
    page.evaluate("pair => sessionStorage.setItem('bte-credentials', pair)", pair)


def test_without_credentials_the_page_reads_and_creates_nothing(guarded, workdir, open_page, sample_image):
    csv_input(workdir / "in-guarded", 3)
    job = job_request("ui-guarded", f"{workdir}/in-guarded/", f"{workdir}/out-guarded", ModelName="ui-guarded")
    page = open_page(guarded)
    page.goto(guarded.url + "/ui")
    page.wait_for_selector("#credentials-form")
    error = page.locator("#list-error")
    error.wait_for()
    assert "AccessDenied" in (error.text_content() or "") and "requires credentials" in (error.text_content() or "")

    page.goto(guarded.url + "/ui/new")
    page.fill("#job-json", json.dumps(job))
    page.fill("#model-json", json.dumps(model_request("ui-guarded", sample_image("echo"))))
    page.click("#create")
    page.locator("#create-note").wait_for()
    assert "MissingAuthenticationTokenException" in (page.locator("#create-note").text_content() or "")
    sagemaker = signed_client(guarded)
    assert sagemaker.list_transform_jobs()["TransformJobSummaries"] == []
    assert sagemaker.list_models()["Models"] == []

    sign_in(page, "ui-key:not-the-secret")
    page.click("#create")
    page.wait_for_selector("#create-note:has-text('InvalidSignatureException')")
    assert sagemaker.list_models()["Models"] == []


def test_with_credentials_the_page_creates_and_only_a_signed_stop_stops(guarded, workdir, open_page, sample_image):
    csv_input(workdir / "in-signed", 200)
    job = job_request("ui-signed", f"{workdir}/in-signed/", f"{workdir}/out-signed", ModelName="ui-signed",
                      BatchStrategy="SingleRecord")
    page = open_page(guarded)
    page.goto(guarded.url + "/ui/new")
    page.fill("#key-id", PAIR.split(":")[0])
    page.fill("#secret", PAIR.split(":")[1])
    page.click("#credentials-form button")
    page.wait_for_selector("#credentials-held:has-text('ui-key')")
    page.fill("#job-json", json.dumps(job))
    page.fill("#model-json", json.dumps(model_request("ui-signed", sample_image("echo"), {"ECHO_LATENCY_MS": "300"})))
    page.click("#create")
    page.wait_for_url(re.compile(r"/ui/jobs/ui-signed$"))
    page.wait_for_selector("#progress-table .batches-done", timeout=90_000)

    sign_in(page, "ui-key:not-the-secret")  # the pair held in this tab goes wrong: the Stop is refused
    page.click("#stop")
    page.wait_for_selector("#stop-note:has-text('InvalidSignatureException')")
    sagemaker = signed_client(guarded)
    assert sagemaker.describe_transform_job(TransformJobName="ui-signed")["TransformJobStatus"] == "InProgress"

    sign_in(page, PAIR)
    page.click("#stop")
    page.wait_for_selector("#head #state:text('Stopped')", timeout=90_000)
    assert sagemaker.describe_transform_job(TransformJobName="ui-signed")["TransformJobStatus"] == "Stopped"


def test_only_pages_without_data_are_served_unsigned(guarded, workdir, sample_image):
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    csv_input(workdir / "in-secret", 2)
    sagemaker = signed_client(guarded)
    sagemaker.create_model(**model_request("ui-secret", sample_image("echo")))
    sagemaker.create_transform_job(**job_request("ui-secret", f"{workdir}/in-secret/", f"{workdir}/out-secret",
                                                 ModelName="ui-secret"))

    shell = requests.get(f"{guarded.url}/ui/jobs/ui-secret", timeout=30)
    assert shell.status_code == 200 and "in-secret" not in shell.text  # the page, not the job's data
    assert requests.get(f"{guarded.url}/ui/static/ui.js", timeout=30).status_code == 200
    unsigned = requests.post(f"{guarded.url}/ui/api/job", json={"name": "ui-secret"}, timeout=30)
    assert unsigned.status_code == 403 and "in-secret" not in unsigned.text
    assert requests.get(f"{guarded.url}/ui/api/job", timeout=30).status_code == 403  # no unsigned GET either

    body = b'{"name": "ui-secret"}'
    request = AWSRequest(method="POST", url=f"{guarded.url}/ui/api/job", data=body)
    SigV4Auth(Credentials(*PAIR.split(":")), "sagemaker", "us-east-1").add_auth(request)
    signed = requests.post(request.url, data=body, headers=dict(request.headers), timeout=30)
    assert signed.status_code == 200 and "in-secret" in signed.json()["request"]
    other_host = requests.get(f"{guarded.url}/ui", headers={"Host": "rebound.example"}, timeout=30)
    assert other_host.status_code == 421  # a name rebound to 127.0.0.1 does not reach the page
