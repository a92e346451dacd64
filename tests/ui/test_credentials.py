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
