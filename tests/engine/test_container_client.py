"""The platform side of /invocations against a real HTTP server on 127.0.0.1 that answers
by script: headers as the service sends them, retries, time-outs, error texts."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from emulator.engine.container_client import (
    EXECUTION_PARAMETERS_TIMEOUT_S,
    PING_TIMEOUT_S,
    BatchLabel,
    InvocationSettings,
    Invoker,
    ParametersAnswer,
    StreamedInvoker,
    ask_execution_parameters,
    ping_once,
)
from emulator.engine.errors import InvocationFailed


class ScriptedServer:
    """Answers each POST with the next (status, body, delay) of its script; records headers."""

    def __init__(self) -> None:
        self.script: list[tuple[int, bytes, float]] = []
        self.seen: list[dict[str, str]] = []
        self.broken_answers = 0  # how many of the next answers break off after 10 bytes
        self.stall_mid_answer_s = 0.0  # the next answer sends 10 bytes, then waits this long
        self.gzip_answers = False  # compress answers when the request accepts gzip
        self.empty_broken_answers = 0  # how many of the next answers close after the headers, 0 bytes sent
        self.parameters: tuple[int, bytes, float] = (404, b"", 0.0)  # GET /execution-parameters
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self._read_body()
                outer.seen.append({k.lower(): v for k, v in self.headers.items()} | {"body": body.decode()})
                status, answer, delay = outer.script.pop(0) if outer.script else (200, body, 0.0)
                time.sleep(delay)
                if outer.empty_broken_answers:
                    outer.empty_broken_answers -= 1
                    self.send_response(200)
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if outer.broken_answers or outer.stall_mid_answer_s:
                    self.send_response(200)
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    self.wfile.write(b"0123456789")
                    self.wfile.flush()
                    if outer.broken_answers:
                        outer.broken_answers -= 1
                    else:
                        time.sleep(outer.stall_mid_answer_s)
                        outer.stall_mid_answer_s = 0.0
                    self.close_connection = True
                    return
                if outer.gzip_answers and "gzip" in self.headers.get("Accept-Encoding", ""):
                    answer = gzip.compress(answer)
                    self.send_response(status)
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                self._answer(status, answer)

            def _answer(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (time-out test)

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding") != "chunked":
                    return self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b""
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    body += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
                return body

            def do_GET(self) -> None:
                outer.seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
                status, body, delay = (200, b"", 0.0) if self.path == "/ping" else outer.parameters
                time.sleep(delay)
                self._answer(status, body)

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


def invoker(server: ScriptedServer, data_log: list[str] | None = None, **kw: object) -> Invoker:
    settings = dict(content_type="text/csv", accept=None, timeout_s=5.0, max_retries=3, backoff_s=0.01)
    settings.update(kw)
    def log(line: str, tag: str = "sagemaker logs") -> None:
        assert data_log is not None
        data_log.append(line if tag == "sagemaker logs" else f"[{tag}] {line}")  # bte's own lines marked

    return Invoker(server.url, InvocationSettings(**settings), threading.Event(),  # type: ignore[arg-type]
                   log if data_log is not None else None)


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
    assert err.value.reason == "ClientError: See job logs for more information"
    assert "s3://b/in/a.csv: mini-batch 3 (records 30-39, bytes 300-400) answered HTTP 400: 'bad row'" in text


def test_retries_run_out_with_the_last_reason(server):
    server.script = [(500, b"e1", 0.0), (500, b"e2", 0.0)]
    with pytest.raises(InvocationFailed) as err:
        invoker(server, max_retries=1).invoke(b"a", LABEL)
    text = str(err.value)
    assert err.value.reason == "AlgorithmError: See job logs for more information"
    assert "failed after 2 attempt(s) (InvocationsMaxRetries=1)" in text
    assert "Bad HTTP status received from algorithm: 500: 'e2'" in text


def test_a_slow_answer_times_out_as_unable_to_get_response(server):
    server.script = [(200, b"late", 2.0)]
    with pytest.raises(InvocationFailed) as err:
        invoker(server, timeout_s=0.3, max_retries=0).invoke(b"a", LABEL)
    assert "Unable to get response from algorithm: no answer within InvocationsTimeoutInSeconds=0.3" in str(err.value)


def test_an_answer_that_breaks_off_is_retried_like_no_answer(server):
    server.broken_answers = 1
    retries: list[tuple[int, str]] = []
    assert invoker(server).invoke(b"whole", LABEL, lambda attempt, reason: retries.append((attempt, reason))) == b"whole"
    assert len(server.seen) == 2
    assert retries[0][0] == 2 and retries[0][1].startswith("Unable to get response from algorithm:")


def test_an_answer_that_breaks_off_every_time_fails_with_the_reason(server):
    server.broken_answers = 5
    with pytest.raises(InvocationFailed) as err:
        invoker(server, max_retries=1).invoke(b"a", LABEL)
    text = str(err.value)
    assert "failed after 2 attempt(s)" in text
    assert ("Unable to get response from algorithm: the answer broke off before its end: the model server "
            "closed the connection mid-answer") in text
    assert "Error(" not in text and "Connection" not in text  # no library repr


def test_a_server_that_is_gone_is_named_in_plain_words_without_a_library_repr():
    with socket.socket() as sock:  # a port on loopback that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gone = Invoker(f"http://127.0.0.1:{port}", InvocationSettings("text/csv", None, 5.0, 1, backoff_s=0.01),
                   threading.Event())
    with pytest.raises(InvocationFailed) as err:
        gone.invoke(b"a", LABEL)
    text = str(err.value)
    assert ("Unable to get response from algorithm: the connection was refused: nothing listens on the "
            "model server's port (has it exited?)") in text
    for repr_part in ("HTTPConnectionPool", "NewConnectionError", "Max retries", "object at 0x"):
        assert repr_part not in text


def test_a_streamed_answer_that_breaks_off_before_its_first_byte_is_retried(server):
    server.empty_broken_answers = 1
    received: list[bytes] = []
    streamed = StreamedInvoker(server.url, InvocationSettings("text/csv", None, 5.0, 2, backoff_s=0.01),
                               threading.Event())
    size = streamed.invoke_stream(lambda: [b"whole ", b"object"], LABEL, received.append)
    assert (size, b"".join(received)) == (12, b"whole object")
    assert len([s for s in server.seen if "body" in s]) == 2


def test_execution_parameters_get_their_own_longer_time_limit(server):
    server.parameters = (200, b'{"MaxConcurrentTransforms": 2}', 2.5)  # slower than a ping may take
    assert ask_execution_parameters(server.url) == ParametersAnswer(b'{"MaxConcurrentTransforms": 2}')
    assert EXECUTION_PARAMETERS_TIMEOUT_S > PING_TIMEOUT_S


@pytest.mark.parametrize(
    "answer, timeout_s, note",
    [
        ((404, b"", 0.0), 5.0, "/execution-parameters answered 404 (not implemented); the request's values "
                               "and the defaults are used"),
        ((500, b"oops", 0.0), 5.0, "/execution-parameters answered HTTP 500; the request's values and the "
                                   "defaults are used"),
        ((200, b"{}", 1.5), 0.3, "/execution-parameters did not answer within 0.3 s; the request's values "
                                 "and the defaults are used"),
    ],
    ids=["404", "500", "too-slow"],
)
def test_execution_parameters_that_cannot_be_used_say_why(server, answer, timeout_s, note):
    server.parameters = answer
    assert ask_execution_parameters(server.url, timeout_s) == ParametersAnswer(None, note)


def test_an_answer_that_stalls_midway_times_out(server):
    server.stall_mid_answer_s = 2.0
    with pytest.raises(InvocationFailed) as err:
        invoker(server, timeout_s=0.3, max_retries=0).invoke(b"a", LABEL)
    assert "no answer within InvocationsTimeoutInSeconds=0.3" in str(err.value)


def test_requests_carry_the_headers_the_services_client_sends(server):
    """The service's client is Go's: it sends its User-Agent and Accept-Encoding: gzip, and
    nothing else beyond Content-Type, Accept and the length (reference section 5)."""
    invoker(server).invoke(b"1,2\n", LABEL)
    assert ping_once(server.url) == 200
    assert ask_execution_parameters(server.url).body is None  # a 404: the defaults are used
    post, ping, params = server.seen
    assert set(post) == {"host", "user-agent", "accept-encoding", "content-type", "content-length", "body"}
    assert (post["user-agent"], post["accept-encoding"]) == ("Go-http-client/1.1", "gzip")
    for get in (ping, params):
        assert set(get) == {"host", "user-agent", "accept-encoding", "path"}
        assert get["user-agent"] == "Go-http-client/1.1"


def test_a_gzip_compressed_answer_is_stored_decompressed(server):
    """A model server may compress its answer since the request accepts gzip; the output
    holds the answer itself, as the service's client decompresses transparently."""
    server.gzip_answers = True
    assert invoker(server).invoke(b"a,b\n" * 1000, LABEL) == b"a,b\n" * 1000


def test_failed_attempts_are_written_to_the_data_log_as_the_service_writes_them(server):
    """Reference section 7: "<bucket>/<key>: ClientError: 400", then the body line by line;
    "Bad HTTP status received from algorithm: 500" with the body the same way (the data log
    quoted in aws/sagemaker-tensorflow-serving-container issue 93);
    "Unable to get response from algorithm"."""
    lines: list[str] = []
    server.script = [(500, b"boom", 0.0)]
    server.broken_answers = 0
    assert invoker(server, lines).invoke(b"a", LABEL) == b"a"
    assert lines == ["b/in/a.csv: Bad HTTP status received from algorithm: 500", "b/in/a.csv: ",
                     "b/in/a.csv: Message:", "b/in/a.csv: boom"]

    lines.clear()
    server.broken_answers = 1
    invoker(server, lines).invoke(b"a", LABEL)
    assert lines == ["b/in/a.csv: Unable to get response from algorithm"]

    lines.clear()
    server.script = [(400, b"bad row 3\nexpected 4 columns", 0.0)]
    with pytest.raises(InvocationFailed):
        invoker(server, lines).invoke(b"a", LABEL)
    assert lines == ["b/in/a.csv: ClientError: 400", "b/in/a.csv: ", "b/in/a.csv: Message:",
                     "b/in/a.csv: bad row 3", "b/in/a.csv: expected 4 columns"]

    # Retries run out: the service's lines for the attempt, then bte's own line, tagged as bte's
    lines.clear()
    server.script = [(500, b"boom", 0.0)]
    with pytest.raises(InvocationFailed):
        invoker(server, lines, max_retries=0).invoke(b"a", LABEL)
    assert lines[-2:] == ["b/in/a.csv: boom", "[bte] b/in/a.csv: bte: gave up after 1 attempt(s) (InvocationsMaxRetries=0)"]
