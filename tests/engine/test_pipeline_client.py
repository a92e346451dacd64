"""A mini-batch through a pipeline's containers, against real HTTP servers on 127.0.0.1:
the content type each container receives, Accept, retries per container, failures naming
the container, and how the containers' /execution-parameters combine."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from emulator.engine.container_client import BatchLabel, InvocationSettings
from emulator.engine.errors import InvocationFailed
from emulator.engine.pipeline_calls import ask_all_execution_parameters
from emulator.engine.pipeline_client import PipelineInvoker
from emulator.runtime import PipelineInstance


class Container:
    """A pipeline container: appends its tag to the body and answers under ``answer_type``
    (no Content-Type header when None); the first ``failures`` POSTs answer 500."""

    def __init__(self, tag: str, answer_type: str | None, parameters: dict[str, object] | None = None) -> None:
        self.tag, self.answer_type, self.parameters = tag, answer_type, parameters
        self.failures = 0
        self.seen: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.seen.append({k.lower(): v for k, v in self.headers.items()})
                status, answer = (500, b"step down") if outer.failures else (200, body + outer.tag.encode())
                outer.failures = max(0, outer.failures - 1)
                self.send_response(status)
                if outer.answer_type is not None and status == 200:
                    self.send_header("Content-Type", outer.answer_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_GET(self) -> None:
                found = self.path == "/execution-parameters" and outer.parameters is not None
                answer = json.dumps(outer.parameters).encode() if found else b""
                self.send_response(200 if found or self.path == "/ping" else 404)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


class Running:
    """The Instance contract over a Container, so a PipelineInstance can hold it."""

    def __init__(self, container: Container, name: str) -> None:
        self.url, self.name, self.notes = container.url, name, ()

    def is_alive(self) -> bool:
        return True

    def exit_code(self) -> int | None:
        return None

    def log_tail(self, n: int = 20) -> list[str]:
        return []

    def stop(self) -> None:
        pass


LABEL = BatchLabel("s3://b/in/a.csv", 2, 20, 10, 200, 300)


@pytest.fixture
def containers() -> Iterator[list[Container]]:
    made = [Container("|one", "application/x-one"), Container("|two", None), Container("|three", "text/csv")]
    yield made
    for c in made:
        c.close()


def invoker(containers: list[Container], **settings: object) -> PipelineInvoker:
    values: dict[str, object] = dict(content_type="text/csv", accept="application/jsonlines", timeout_s=5.0,
                                     max_retries=2, backoff_s=0.01)
    values.update(settings)
    targets = [(c.url, f"container {n} of {len(containers)} (c{n}, image i{n})") for n, c in enumerate(containers, 1)]
    return PipelineInvoker(targets, InvocationSettings(**values), threading.Event())  # type: ignore[arg-type]


def test_each_container_gets_the_previous_answers_content_type_and_the_jobs_accept(containers):
    assert invoker(containers).invoke(b"rows", LABEL) == b"rows|one|two|three"
    first, second, third = (c.seen[0] for c in containers)
    assert first["content-type"] == "text/csv"  # the job's ContentType
    assert second["content-type"] == "application/x-one"  # what the first answered
    assert "content-type" not in third  # the second answered without one: none is made up
    assert {first["accept"], second["accept"], third["accept"]} == {"application/jsonlines"}


def test_no_accept_reaches_any_container_when_the_job_sets_none(containers):
    invoker(containers, accept=None).invoke(b"x", LABEL)
    assert all("accept" not in c.seen[0] for c in containers)


def test_retries_are_per_container_and_name_it(containers):
    containers[1].failures = 1
    retries: list[tuple[int, str]] = []
    assert invoker(containers).invoke(b"x", LABEL, lambda a, r: retries.append((a, r))) == b"x|one|two|three"
    assert [len(c.seen) for c in containers] == [1, 2, 1]  # only the failing container is called again
    assert retries == [(2, "container 2 of 3 (c2, image i2): Bad HTTP status received from algorithm: 500: 'step down'")]


def test_a_container_failing_for_good_is_named_after_the_mini_batch(containers):
    containers[1].failures = 5
    with pytest.raises(InvocationFailed) as err:
        invoker(containers, max_retries=1).invoke(b"x", LABEL)
    assert ("s3://b/in/a.csv: mini-batch 2 (records 20-29, bytes 200-300) in container 2 of 3 (c2, image i2) "
            "failed after 2 attempt(s)") in str(err.value)
    assert len(containers[2].seen) == 0


def test_execution_parameters_take_the_most_restrictive_answer_of_each():
    made = [Container("", None, None), Container("", None, {"MaxConcurrentTransforms": 8, "MaxPayloadInMB": 0}),
            Container("", None, {"MaxConcurrentTransforms": 4, "MaxPayloadInMB": 6, "BatchStrategy": "SINGLE_RECORD"}),
            Container("", None, {"MaxPayloadInMB": -1})]
    try:
        labels = [f"container {n} of 4 (c{n}, image i{n})" for n in range(1, 5)]
        instance = PipelineInstance("job-1", [Running(c, f"job-1/c{n}") for n, c in enumerate(made, 1)], labels)
        values, problems = ask_all_execution_parameters(instance, 5.0)
    finally:
        for c in made:
            c.close()
    assert values == {"MaxConcurrentTransforms": 4, "MaxPayloadInMB": 6, "BatchStrategy": "SingleRecord"}
    assert problems == [
        "container 1 of 4 (c1, image i1): /execution-parameters answered 404 (not implemented); the request's "
        "values and the defaults are used",
        "container 4 of 4 (c4, image i4): /execution-parameters MaxPayloadInMB=-1 ignored: not a non-negative integer",
    ]
