"""Each mini-batch through an inference pipeline's containers, in order.

The developer guide: "The first container in the pipeline handles the initial request,
then the intermediate response is sent as a request to the second container, and so on
... SageMaker returns the final response". What it does not say is bte's choice
(docs/pipelines.md), taken from how AWS's own pipeline examples write their containers
("set the ContentType ... as the same value as accept so the next container can read
the response payload correctly"):

- the first container gets the job's ContentType; each next one gets the previous
  answer's ``Content-Type`` header (none when that answer had none);
- every container gets the job's Accept (none when it is unset);
- every call has the job's InvocationsTimeoutInSeconds and InvocationsMaxRetries, and a
  failure names the container (its position, hostname and image) after the mini-batch.

With MaxPayloadInMB=0 and SplitType None (the whole object streamed), each intermediate
answer is spooled to a temporary file (memory up to ``SPOOL_MEMORY_BYTES``), so that it
can be sent on, and sent again on a retry, without holding it whole.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

import urllib3

from emulator.engine.container_client import BatchLabel, InvocationSettings, StreamedInvoker, read_whole

SPOOL_MEMORY_BYTES = 8 << 20
_CHUNK = 1 << 20

RetryCallback = Callable[[int, str], None]


@dataclass(frozen=True)
class StepLabel(BatchLabel):
    """A mini-batch at one container of a pipeline."""

    step: str = ""

    def __str__(self) -> str:
        return f"{super().__str__()} in {self.step}"


class StepInvoker(StreamedInvoker):
    """One container of the pipeline: like a single container's invoker, but the request's
    Content-Type is given per call and the answer's comes back with its bytes."""

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {k: v for k, v in self.headers.items() if k != "Content-Type"}
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def invoke_as(self, body: bytes, content_type: str | None, label: BatchLabel,
                  on_retry: RetryCallback | None) -> tuple[bytes, str | None]:
        headers = self._headers(content_type)
        return self._with_retries(lambda: self._post(body, headers=headers), label, on_retry,
                                  lambda response: (read_whole(response), _content_type(response)))

    def invoke_stream_as(self, open_body: Callable[[], Iterable[bytes]], content_type: str | None,
                         label: BatchLabel, sink: Callable[[bytes], None],
                         on_retry: RetryCallback | None) -> tuple[int, str | None]:
        headers = self._headers(content_type)
        return self._with_retries(lambda: self._post(iter(open_body()), headers=headers), label,
                                  on_retry, lambda response: (self._drain(response, label, sink),
                                                              _content_type(response)))


class PipelineInvoker(StreamedInvoker):
    """The invoker of one worker for a pipeline: the same interface as a single container's."""

    def __init__(self, targets: Sequence[tuple[str, str]], settings: InvocationSettings,
                 cancelled: threading.Event, data_log: Callable[[str, str], None] | None = None) -> None:
        super().__init__(targets[0][0], settings, cancelled, data_log)
        self.steps = [(StepInvoker(url, settings, cancelled, data_log), label) for url, label in targets]

    def close(self) -> None:
        for invoker, _ in self.steps:
            invoker.close()
        super().close()

    def invoke(self, body: bytes, label: BatchLabel, on_retry: RetryCallback | None = None) -> bytes:
        content_type = self.settings.content_type
        for invoker, step in self.steps:
            body, content_type = invoker.invoke_as(body, content_type, _at(label, step), _naming(on_retry, step))
        return body

    def invoke_stream(self, open_body: Callable[[], Iterable[bytes]], label: BatchLabel,
                      sink: Callable[[bytes], None], on_retry: RetryCallback | None = None) -> int:
        content_type = self.settings.content_type
        spools: list[IO[bytes]] = []
        try:
            for invoker, step in self.steps[:-1]:
                spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)
                spools.append(spool)
                _, content_type = invoker.invoke_stream_as(open_body, content_type, _at(label, step),
                                                           _writer(spool), _naming(on_retry, step))
                open_body = _replay(spool)
            invoker, step = self.steps[-1]
            size, _ = invoker.invoke_stream_as(open_body, content_type, _at(label, step), sink,
                                               _naming(on_retry, step))
            return size
        finally:
            for spool in spools:
                spool.close()


def chain_invoker(targets: Sequence[tuple[str, str]], settings: InvocationSettings, cancelled: threading.Event,
                  data_log: Callable[[str, str], None] | None = None) -> PipelineInvoker | None:
    """A PipelineInvoker for the containers' (URL, label) pairs; None for a single container."""
    return PipelineInvoker(targets, settings, cancelled, data_log) if targets else None


def _at(label: BatchLabel, step: str) -> StepLabel:
    return StepLabel(label.source, label.batch, label.first_record, label.record_count, label.start_offset,
                     label.end_offset, step)


def _naming(on_retry: RetryCallback | None, step: str) -> RetryCallback | None:
    if on_retry is None:
        return None
    return lambda attempt, reason: on_retry(attempt, f"{step}: {reason}")


def _writer(spool: IO[bytes]) -> Callable[[bytes], None]:
    def write(chunk: bytes) -> None:
        spool.write(chunk)
    return write


def _replay(spool: IO[bytes]) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk
    return chunks


def _content_type(response: urllib3.BaseHTTPResponse) -> str | None:
    value = response.headers.get("Content-Type")
    return str(value) if value else None
