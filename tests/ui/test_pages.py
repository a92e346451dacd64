"""The page in a real browser against a real `bte serve`, its jobs on real containers."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.engine.jobs import job_request, model_request, wait_for
from tests.ui.conftest import NEEDS_CHROMIUM, csv_input

pytestmark = [pytest.mark.docker, NEEDS_CHROMIUM]
SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "ui-job.png"
FAST_WAIT = {"Delay": 0.3, "MaxAttempts": 300}


def test_a_job_created_on_the_form_runs_in_a_container_and_its_progress_advances(
        server, workdir, open_page, sample_image):
    body = csv_input(workdir / "in-form", 30)
    job = job_request("ui-form-echo", f"{workdir}/in-form/", f"{workdir}/out-form", ModelName="ui-echo-slow",
                      BatchStrategy="SingleRecord", MaxConcurrentTransforms=1)
    model = model_request("ui-echo-slow", sample_image("echo"), {"ECHO_LATENCY_MS": "200"})
    page = open_page(server)
    page.goto(server.url + "/ui/new")
    page.fill("#job-json", json.dumps(job))
    page.fill("#model-json", json.dumps(model))
    page.click("#create")
    page.wait_for_url(re.compile(r"/ui/jobs/ui-form-echo$"))

    done_while_running: set[int] = set()
    deadline = time.time() + 90
    while time.time() < deadline:
        state = page.locator("#head #state").text_content(timeout=30_000)
        cells = page.locator("#progress-table .batches-done")
        if state == "InProgress" and cells.count():
            done_while_running.add(int(cells.first.text_content() or 0))
        if state != "InProgress":
            break
        time.sleep(0.3)
    assert state == "Completed"
    assert len({n for n in done_while_running if 0 < n < 30}) >= 2, done_while_running  # it moved, live

    page.wait_for_selector("#progress-table .batches-done:text('30')")
    assert "data.csv" in (page.locator("#plan-table").text_content(timeout=30_000) or "")
    assert "30" in (page.locator("#plan-table").text_content() or "")  # 30 mini-batches planned
    logs = wait_for(lambda: page.locator("#logs").text_content(), "the logs")
    assert "MaxConcurrentTransforms=1" in logs  # the data log's line about the execution parameters
    frame = page.frame_locator("#report-frame")
    frame.locator("#timeline .bars path").first.wait_for(timeout=60_000)
    assert (workdir / "out-form" / "data.csv.out").read_bytes() == body
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), clip={"x": 0, "y": 0, "width": 1300, "height": 900})


def test_a_failed_job_shows_its_failure_reason(server, workdir, open_page, sample_image):
    sagemaker = server.client("sagemaker")
    csv_input(workdir / "in-fail", 3)
    sagemaker.create_model(**model_request("ui-echo-fails", sample_image("echo"), {"ECHO_FAIL_EVERY_N": "1"}))
    sagemaker.create_transform_job(**job_request("ui-fails", f"{workdir}/in-fail/", f"{workdir}/out-fail",
                                                 ModelName="ui-echo-fails"))
    page = open_page(server)
    page.goto(server.url + "/ui/jobs/ui-fails")
    page.wait_for_selector("#head #state:text('Failed')", timeout=90_000)
    reason = sagemaker.describe_transform_job(TransformJobName="ui-fails")["FailureReason"]
    assert page.locator("#failure-reason").text_content() == reason  # the service's words
    assert "fails on purpose" in (page.locator("#failure-detail").text_content() or "")  # bte's detail


def test_stop_stops_a_running_job(server, workdir, open_page, sample_image):
    sagemaker = server.client("sagemaker")
    csv_input(workdir / "in-stop", 200)
    sagemaker.create_model(**model_request("ui-echo-stop", sample_image("echo"), {"ECHO_LATENCY_MS": "300"}))
    sagemaker.create_transform_job(**job_request("ui-stop", f"{workdir}/in-stop/", f"{workdir}/out-stop",
                                                 ModelName="ui-echo-stop", BatchStrategy="SingleRecord"))
    page = open_page(server)
    page.goto(server.url + "/ui/jobs/ui-stop")
    page.wait_for_selector("#progress-table .batches-done", timeout=90_000)
    page.click("#stop")
    page.wait_for_selector("#head #state:text('Stopped')", timeout=90_000)
    assert sagemaker.describe_transform_job(TransformJobName="ui-stop")["TransformJobStatus"] == "Stopped"
    assert not page.locator("#stop").is_visible()


def test_the_list_shows_jobs_and_models_and_filters_by_state_and_name(server, workdir, open_page, sample_image):
    sagemaker = server.client("sagemaker")
    csv_input(workdir / "in-list", 2)
    sagemaker.create_model(**model_request("ui-list-ok", sample_image("echo")))
    sagemaker.create_model(**model_request("ui-list-bad", sample_image("echo"), {"ECHO_FAIL_EVERY_N": "1"}))
    for name in ("ui-list-ok", "ui-list-bad"):
        sagemaker.create_transform_job(**job_request(name, f"{workdir}/in-list/", f"{workdir}/out-{name}",
                                                     ModelName=name))
    waiter = sagemaker.get_waiter("transform_job_completed_or_stopped")
    waiter.wait(TransformJobName="ui-list-ok", WaiterConfig=FAST_WAIT)
    page = open_page(server)
    page.goto(server.url + "/ui")
    page.wait_for_selector("#job-table tr[data-job='ui-list-ok'] .state:text('Completed')", timeout=60_000)
    page.wait_for_selector("#job-table tr[data-job='ui-list-bad'] .state:text('Failed')", timeout=60_000)
    assert "bte-sample/echo:latest" in (page.locator("#model-table").text_content() or "")

    page.select_option("#state", "Failed")
    page.wait_for_function("!document.querySelector(\"#job-table tr[data-job='ui-list-ok']\")")
    assert page.locator("#job-table tr[data-job='ui-list-bad']").count() == 1
    page.select_option("#state", "")
    page.fill("#name", "list-ok")
    page.wait_for_function("!document.querySelector(\"#job-table tr[data-job='ui-list-bad']\")")
    assert page.locator("#job-table tr[data-job='ui-list-ok']").count() == 1
    page.click("#job-table tr[data-job='ui-list-ok'] a")
    page.wait_for_url(re.compile(r"/ui/jobs/ui-list-ok$"))


def test_the_form_loads_an_example_and_refuses_a_local_path_the_server_does_not_allow(server, open_page):
    page = open_page(server)
    page.goto(server.url + "/ui/new")
    page.click("button[data-example]:text('quickstart')")
    example = json.loads(page.input_value("#job-json"))
    assert example["TransformJobName"].startswith("quickstart-reviews-")
    assert example["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"].endswith("/examples/quickstart/input/")
    assert json.loads(page.input_value("#model-json"))["PrimaryContainer"]["Image"] == "bte-sample/review-sentiment:latest"

    page.fill("#model-json", "")
    page.click("#create")  # the repository is not under this server's --allow-local folder
    note = page.locator("#create-note")
    note.wait_for()
    assert "allowed only under a folder this server was told to allow" in (note.text_content() or "")
    assert server.client("sagemaker").list_transform_jobs(NameContains="quickstart")["TransformJobSummaries"] == []


def test_plan_first_shows_the_mini_batches_and_warnings_before_anything_runs(server, workdir, open_page):
    csv_input(workdir / "in-preview", 12)
    job = job_request("ui-preview", f"{workdir}/in-preview/", f"{workdir}/in-preview/out", ModelName="ui-preview",
                      BatchStrategy="SingleRecord", TransformResources={"InstanceCount": 2})
    model = model_request("ui-preview", "bte-sample/echo:latest")
    page = open_page(server)
    page.goto(server.url + "/ui/new")
    page.fill("#job-json", json.dumps(job))
    page.fill("#model-json", json.dumps(model))
    page.click("#preview")
    table = page.locator("#preview-plan #plan-table")
    table.wait_for(timeout=60_000)
    row = page.locator("#preview-plan #plan-table tr", has_text="data.csv")
    assert row.locator("td").all_text_contents()[-2:] == ["12", "12"]  # records, mini-batches (SingleRecord)
    assert "ui-preview-2 gets no file" in (page.locator("#preview-plan").text_content() or "")
    assert "OutputUnderInput" in (page.locator("#preview-plan").text_content() or "")
    sagemaker = server.client("sagemaker")
    assert sagemaker.list_transform_jobs(NameContains="ui-preview")["TransformJobSummaries"] == []
    assert sagemaker.list_models(NameContains="ui-preview")["Models"] == []

    job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] = "/etc/"  # not under --allow-local
    page.fill("#job-json", json.dumps(job))
    page.click("#preview")
    page.wait_for_selector("#create-note:has-text('allowed only under a folder this server was told to allow')")
