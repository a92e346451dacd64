"""The platform side of /invocations against a real HTTP server on 127.0.0.1 that answers
by script: headers as the service sends them, retries, time-outs, error texts."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from emulator.engine.container_client import BatchLabel, InvocationSettings, Invoker
from emulator.engine.errors import InvocationFailed


class ScriptedServer:
    """Answers each POST with the next (status, body, delay) of its script; records headers."""

    def __init__(self) -> None:
        self.script: list[tuple[int, bytes, float]] = []
        self.seen: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.seen.append({k.lower(): v for k, v in self.headers.items()} | {"body": body.decode()})
                status, answer, delay = outer.script.pop(0) if outer.script else (200, body, 0.0)
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the client gave up (time-out test)

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


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    yield s
    s.close()


LABEL = BatchLabel("s3://b/in/a.csv", 3, 30, 10, 300, 400)


def invoker(server: ScriptedServer, **kw: object) -> Invoker:
    settings = dict(content_type="text/csv", accept=None, timeout_s=5.0, max_retries=3, backoff_s=0.01)
    settings.update(kw)
    return Invoker(server.url, InvocationSettings(**settings), threading.Event())  # type: ignore[arg-type]


def test_no_accept_header_reaches_the_container_when_accept_is_unset(server):
    assert invoker(server).invoke(b"1,2\n", LABEL) == b"1,2\n"
    assert "accept" not in server.seen[0]
    assert server.seen[0]["content-type"] == "text/csv"
    invoker(server, accept="application/json").invoke(b"x", LABEL)
    assert server.seen[1]["accept"] == "application/json"


def test_5xx_is_retried_then_succeeds(server):
    server.script = [(500, b"boom", 0.0), (503, b"busy", 0.0)]
    retries: list[int] = []
    assert invoker(server).invoke(b"a", LABEL, lambda attempt, reason: retries.append(attempt)) == b"a"
    assert retries == [2, 3] and len(server.seen) == 3


def test_4xx_is_not_retried_and_names_file_batch_records_and_bytes(server):
    server.script = [(400, b"bad row", 0.0)]
    with pytest.raises(InvocationFailed) as err:
        invoker(server).invoke(b"a", LABEL)
    assert len(server.seen) == 1
    text = str(err.value)
    assert text.startswith("ClientError: See job logs for more information.")
    assert "s3://b/in/a.csv: mini-batch 3 (records 30-39, bytes 300-400) answered HTTP 400: 'bad row'" in text


def test_retries_run_out_with_the_last_reason(server):
    server.script = [(500, b"e1", 0.0), (500, b"e2", 0.0)]
    with pytest.raises(InvocationFailed) as err:
        invoker(server, max_retries=1).invoke(b"a", LABEL)
    text = str(err.value)
    assert text.startswith("AlgorithmError: See job logs for more information.")
    assert "failed after 2 attempt(s) (InvocationsMaxRetries=1)" in text
    assert "Bad HTTP status received from algorithm: 500: 'e2'" in text


def test_a_slow_answer_times_out_as_unable_to_get_response(server):
    server.script = [(200, b"late", 2.0)]
    with pytest.raises(InvocationFailed) as err:
        invoker(server, timeout_s=0.3, max_retries=0).invoke(b"a", LABEL)
    assert "Unable to get response from algorithm: no answer within InvocationsTimeoutInSeconds=0.3" in str(err.value)
