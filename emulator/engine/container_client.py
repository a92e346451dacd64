"""The platform's side of the container contract: /ping, /execution-parameters, /invocations.

A failed invocation raises InvocationFailed with the service's FailureReason text as its
``reason`` and bte's explanation (which file and mini-batch, what came back, what to
change) as its message; the data log gets the service's lines (reference section 7).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, TypeVar
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError as WireError
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as WireTimeout

from emulator.engine.errors import ALGORITHM_ERROR, CLIENT_ERROR, InvocationFailed
from emulator.engine.wire_errors import describe

T = TypeVar("T")

PING_TIMEOUT_S = 2.0  # the service's per-ping request timeout
# /execution-parameters gets longer than a ping: a container may compute its answer (count
# its workers, read its model's limits). The service's own limit is not documented; 30 s
# is bte's choice (docs/engine.md, "Execution parameters").
EXECUTION_PARAMETERS_TIMEOUT_S = 30.0
# The headers the service's own client sends besides Content-Type and Accept (it is Go's
# HTTP client: reference section 5, "client identity"). A model server that logs or
# branches on them sees what it will see in the service; no "Connection" header either.
PLATFORM_HEADERS = {"User-Agent": "Go-http-client/1.1", "Accept-Encoding": "gzip"}
# Every failure on the wire: urllib3's own, and the socket errors it lets through.
WIRE_ERRORS = (WireError, OSError)


def timed_out(exc: BaseException) -> bool:
    """A time-out, not a refusal: urllib3's NewConnectionError is a ConnectTimeoutError too
    (kept for its backward compatibility), so a refused connection must be told apart."""
    return isinstance(exc, (WireTimeout, TimeoutError)) and not isinstance(exc, NewConnectionError)


def connection_pool(url: str, connect_s: float, read_s: float) -> urllib3.HTTPConnectionPool:
    """One keep-alive connection to a model server, as the service's client holds one per
    worker. urllib3 directly, not requests: requests' per-call work (environment proxies, a
    look for ~/.netrc, hooks, merging settings) cost ~1 ms of CPU a request, which is most
    of a SingleRecord job's time beside a fast model. No retries or redirects here: the
    invoker's own retry loop decides, and a 3xx is an answer like any other."""
    parts = urlsplit(url)
    return urllib3.HTTPConnectionPool(
        parts.hostname or "127.0.0.1", parts.port or 80, maxsize=1, block=False, retries=False,
        timeout=urllib3.Timeout(connect=connect_s, read=read_s), headers=dict(PLATFORM_HEADERS),
    )


def _get(url: str, timeout_s: float = PING_TIMEOUT_S) -> tuple[int, bytes]:
    """GET one path: its status and body (read whole, the connection closed)."""
    parts = urlsplit(url)
    pool = connection_pool(url, timeout_s, timeout_s)
    try:
        response = pool.urlopen("GET", parts.path or "/", redirect=False)
        return response.status, response.data
    finally:
        pool.close()


PING_INTERVAL_S = 0.25  # the slowest polling, once a model has taken a while to load


def ping_interval(waited_s: float) -> float:
    """How long to wait before the next /ping: 10 ms for the first 2 s (most models are up
    by then, and a refused connection costs next to nothing), 50 ms to 10 s, then 250 ms.
    A fixed 250 ms made the first healthy answer arrive up to a quarter second late."""
    if waited_s < 2.0:
        return 0.01
    if waited_s < 10.0:
        return 0.05
    return PING_INTERVAL_S
_EXCERPT = 300
_MESSAGE_MAX = 64 * 1024  # of an error answer's body in the data log: enough for a traceback


def excerpt(body: bytes, limit: int = _EXCERPT) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    return text + ("…" if len(body) > limit else "")


def ping_once(url: str) -> int | None:
    """The /ping status, or None when nothing answers."""
    try:
        return _get(f"{url}/ping")[0]
    except WIRE_ERRORS:
        return None


@dataclass(frozen=True)
class ParametersAnswer:
    """What GET /execution-parameters gave: the body of a 200, or why there is none."""

    body: bytes | None
    unused: str | None = None  # a data-log line when there is no answer to use


def ask_execution_parameters(url: str, timeout_s: float = EXECUTION_PARAMETERS_TIMEOUT_S) -> ParametersAnswer:
    """GET /execution-parameters with its own time limit; whenever its answer cannot be
    used, ``unused`` says why, for the data log (the job then runs on the defaults)."""
    fallback = "the request's values and the defaults are used"
    try:
        status, body = _get(f"{url}/execution-parameters", timeout_s)
    except WIRE_ERRORS as exc:
        if timed_out(exc):
            return ParametersAnswer(None, f"/execution-parameters did not answer within {timeout_s:g} s; {fallback}")
        return ParametersAnswer(None, f"/execution-parameters got no answer ({describe(exc)}); {fallback}")
    if status == 200:
        return ParametersAnswer(body)
    what = "404 (not implemented)" if status == 404 else f"HTTP {status}"
    return ParametersAnswer(None, f"/execution-parameters answered {what}; {fallback}")


@dataclass(frozen=True)
class InvocationSettings:
    content_type: str | None
    accept: str | None
    timeout_s: float
    max_retries: int
    backoff_s: float = 0.2


@dataclass(frozen=True)
class BatchLabel:
    """Where a mini-batch came from, for every message about it."""

    source: str
    batch: int
    first_record: int
    record_count: int
    start_offset: int
    end_offset: int

    def __str__(self) -> str:
        where = f"bytes {self.start_offset}-{self.end_offset}"
        if self.first_record >= 0 and self.record_count >= 0:
            last = self.first_record + self.record_count - 1
            where = f"records {self.first_record}-{last}, {where}"
        return f"{self.source}: mini-batch {self.batch} ({where})"


class Invoker:
    """POSTs mini-batches for one worker, with the job's timeout and retries.

    Retried: no answer, a time-out, and 5xx answers (the container may recover). Not
    retried: 4xx, which would only fail again. The service does not document which
    failures it retries (reference 6.7); this is bte's choice, documented in docs/engine.md.
    """

    def __init__(self, url: str, settings: InvocationSettings, cancelled: threading.Event,
                 data_log: Callable[[str, str], None] | None = None) -> None:
        self.path = "/invocations"
        self.data_log = data_log  # takes the lines the service writes to the job's data log
        self.settings = settings
        self.cancelled = cancelled
        self.pool = connection_pool(url, 10, settings.timeout_s)
        self.headers = dict(PLATFORM_HEADERS)
        if settings.content_type:
            self.headers["Content-Type"] = settings.content_type
        if settings.accept:  # with Accept unset, no Accept header reaches the container
            self.headers["Accept"] = settings.accept

    def close(self) -> None:
        self.pool.close()

    def invoke(
        self, body: bytes, label: BatchLabel, on_retry: Callable[[int, str], None] | None = None
    ) -> bytes:
        """POST one mini-batch; its answer's bytes, or InvocationFailed after the retries."""
        return self._with_retries(lambda: self._post(body), label, on_retry, read_whole)

    def _post(self, data: bytes | Iterator[bytes], headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
        """The answer's head; its body is left to read. An iterator goes up chunked."""
        return self.pool.urlopen(
            "POST", self.path, body=data, headers=self.headers if headers is None else headers,
            chunked=not isinstance(data, bytes), preload_content=False, redirect=False,
        )

    def _with_retries(
        self,
        post: Callable[[], urllib3.BaseHTTPResponse],
        label: BatchLabel,
        on_retry: Callable[[int, str], None] | None,
        take: Callable[[urllib3.BaseHTTPResponse], T],
    ) -> T:
        s = self.settings
        attempts = s.max_retries + 1
        last = ""
        for attempt in range(1, attempts + 1):
            if self.cancelled.is_set():
                raise InvocationFailed(f"{label}: stopped")
            try:
                response = post()
                try:
                    status = response.status
                    if 200 <= status < 300:
                        return take(response)  # an answer that breaks off is retried like no answer
                    answer = read_whole(response)
                    detail = excerpt(answer)
                finally:
                    _done_with(response)
            except WIRE_ERRORS as exc:
                if timed_out(exc):
                    last = (
                        f"Unable to get response from algorithm: no answer within "
                        f"InvocationsTimeoutInSeconds={s.timeout_s:g}"
                    )
                else:
                    last = f"Unable to get response from algorithm: {describe(exc)}"
                self._log(label, ["Unable to get response from algorithm"])
            else:
                if 400 <= status < 500:
                    self._log(label, [f"ClientError: {status}", *message_lines(answer)])
                    raise InvocationFailed(
                        f"{label} answered HTTP {status}: {detail!r}. The model refused this input: "
                        "check ContentType, SplitType and the records in that byte range.",
                        CLIENT_ERROR,
                    )
                last = f"Bad HTTP status received from algorithm: {status}: {detail!r}"
                self._log(label, [f"Bad HTTP status received from algorithm: {status}", *message_lines(answer)])
            if attempt < attempts and not self.cancelled.is_set():
                if on_retry:
                    on_retry(attempt + 1, last)
                time.sleep(s.backoff_s * (2 ** (attempt - 1)))
        # bte's own line, tagged [bte]: the service's data log has no such line
        self._log(label, [f"bte: gave up after {attempts} attempt(s) (InvocationsMaxRetries={s.max_retries})"], tag="bte")
        raise InvocationFailed(
            f"{label} failed after {attempts} attempt(s) (InvocationsMaxRetries={s.max_retries}): {last}. "
            "Fix the model, or raise ModelClientConfig.InvocationsTimeoutInSeconds / InvocationsMaxRetries.",
            ALGORITHM_ERROR,
        )


    def _log(self, label: BatchLabel, lines: list[str], tag: str = "sagemaker logs") -> None:
        """The service's data-log lines for a failed attempt (reference section 7): each
        names the object as bucket/key, without s3://."""
        if self.data_log:
            where = label.source.removeprefix("s3://")
            for line in lines:
                self.data_log(f"{where}: {line}", tag)


class StreamedInvoker(Invoker):
    """MaxPayloadInMB=0 with SplitType None: the object goes up with chunked transfer
    encoding, as the service sends it, and the answer comes down as a stream, so neither is
    ever held whole. A retry sends the object again from the start; an answer that breaks
    off before its first byte is retried like no answer, but once answer bytes have been
    written, a broken answer fails without a retry."""

    def invoke_stream(
        self,
        open_body: Callable[[], Iterable[bytes]],
        label: BatchLabel,
        sink: Callable[[bytes], None],
        on_retry: Callable[[int, str], None] | None = None,
    ) -> int:
        return self._with_retries(lambda: self._post(iter(open_body())), label, on_retry,
                                  lambda response: self._drain(response, label, sink))

    def _drain(self, response: urllib3.BaseHTTPResponse, label: BatchLabel, sink: Callable[[bytes], None]) -> int:
        size = 0
        try:
            for chunk in response.stream(1 << 20, decode_content=True):
                if self.cancelled.is_set():
                    raise InvocationFailed(f"{label}: stopped")
                sink(chunk)
                size += len(chunk)
        except WIRE_ERRORS as exc:
            if size == 0:  # nothing written yet: as good as no answer, so the retry loop takes it
                raise
            raise InvocationFailed(  # mid-answer: part is written, no retry
                f"{label}: the answer broke off after {size} bytes: {describe(exc)}",
                ALGORITHM_ERROR,
            ) from exc
        return size


def message_lines(body: bytes) -> list[str]:
    """What the service writes after a failed invocation's status line: an empty line,
    ``Message:``, then the answer's body, one log line per body line."""
    text = body[:_MESSAGE_MAX].decode("utf-8", "replace")
    return ["", "Message:", *text.splitlines()]


def read_whole(response: urllib3.BaseHTTPResponse) -> bytes:
    """An answer's body in one read (reading in small pieces cost the client more CPU, on
    6 MB answers, than everything else it does for a mini-batch)."""
    return response.read(decode_content=True) or b""


def _done_with(response: urllib3.BaseHTTPResponse) -> None:
    """An answer read to its end has already given its connection back for the next
    mini-batch (urllib3 does that); one left partly unread (an error, a stream cut short)
    drops its connection, since its remaining bytes would be taken for the next answer."""
    if not response.isclosed():
        response.close()
    response.release_conn()
