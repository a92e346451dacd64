"""Running one instance's files: a feeder splits files into mini-batches, N workers POST them.

Memory stays bounded by workers x payload: the feeder takes a slot from a window of
2 x MaxConcurrentTransforms before it reads the next mini-batch, and a slot comes back
only when that mini-batch's output has been written (or dropped). Workers take
mini-batches across file boundaries, so the end of one file overlaps the start of the
next, but a mini-batch never mixes two files.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from emulator import data, storage
from emulator.engine import events as ev
from emulator.engine.container_client import BatchLabel, InvocationSettings, Invoker, StreamedInvoker
from emulator.engine.errors import ALGORITHM_ERROR, CLIENT_ERROR, Failure, failure_of
from emulator.engine.file_run import FileOutcome, FileRun, SerialWriter
from emulator.engine.log_streams import InstanceStreams
from emulator.engine.pipeline_client import chain_invoker
from emulator.plan import ExecutionParameters
from emulator.spec import TransformJobSpec
from emulator.spec.errors import BteError
from emulator.storage import InputObject


class InstanceWork:
    def __init__(
        self,
        *,
        spec: TransformJobSpec,
        instance: str,
        url: str,
        files: tuple[InputObject, ...],
        params: ExecutionParameters,
        stream: ev.EventStream,
        cancelled: threading.Event,
        on_file_done: Callable[[InputObject, FileOutcome], None],
        s3_endpoint_url: str | None = None,
        run_id: str | None = None,
        on_upload: Callable[[str, str], None] | None = None,
        instance_gone: Callable[[], str | None] = lambda: None,
        streams: InstanceStreams | None = None,
        inference_ids: data.InferenceIds | None = None,
        targets: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.inference_ids = inference_ids  # DataCaptureConfig.GenerateInferenceId (engine/capture.py)
        # The instance's log streams: its data log gets the service's lines about its files.
        self.streams = streams or InstanceStreams.start(spec.name, instance, run_id or "")
        self.targets = targets  # an inference pipeline's containers: (URL, label) each, in order
        self.run_id = run_id
        self.on_upload = on_upload
        self.instance_gone = instance_gone  # "exited with code 1; last log lines: ..." once it died
        self.spec = spec
        self.instance = instance
        self.url = url
        self.files = files
        self.params = params
        self.stream = stream
        self.cancelled = cancelled
        self.on_file_done = on_file_done
        self.s3_endpoint_url = s3_endpoint_url
        self.workers = max(1, params.max_concurrent_transforms)
        self._window = threading.Semaphore(2 * self.workers)
        self._queue: queue.Queue[tuple[FileRun, data.MiniBatch | StreamedObject] | None] = queue.Queue()
        # The service accepts a job with an unusable JsonPath and fails each file at run
        # time ("<file>: Invalid JsonPath: ..."); so does bte.
        self.processing_error: str | None = None
        try:
            self.processing = data.DataProcessing(
                input_filter=spec.input_filter,
                output_filter=spec.output_filter,
                join_source=spec.join_source,
                content_type=spec.content_type,
                accept=spec.accept,
                split_type=spec.split_type,
            )
        except data.DataError as exc:
            self.processing_error = str(exc)
        self.processing_is_identity = self.processing_error is not None or self.processing.is_identity
        self.settings = InvocationSettings(
            content_type=spec.content_type,
            accept=spec.accept,
            timeout_s=spec.invocations_timeout_s,
            max_retries=spec.invocations_max_retries,
        )

    # -- feeder ---------------------------------------------------------------------
    def run(self) -> None:
        threads = [
            threading.Thread(target=self._worker, args=(i,), name=f"{self.instance}-w{i}", daemon=True)
            for i in range(self.workers)
        ]
        self._output = SerialWriter(f"{self.instance}-writer")
        for t in threads:
            t.start()
        try:
            for obj in self.files:
                if self.cancelled.is_set():
                    break
                self._feed_file(obj)
        finally:
            for _ in threads:
                self._queue.put(None)
            for t in threads:
                t.join()
            self._output.close()

    def _release(self, n: int) -> None:
        for _ in range(n):
            self._window.release()

    def _feed_file(self, obj: InputObject) -> None:
        job = self.spec.name
        self.stream.emit(ev.FileStarted(job=job, instance=self.instance, source=obj.display_name, size=obj.size))
        if self.processing_error is not None:
            # The service writes this text to the data log too: "<bucket>/<key>: Invalid JsonPath: ..."
            service_text = self.processing_error.split(". bte: ")[0]  # what bte adds stays out of the data log
            self._data_log(f"{obj.display_name.removeprefix('s3://')}: {service_text}")
            failure = Failure(CLIENT_ERROR, f"{obj.display_name}: {self.processing_error}")
            self.on_file_done(obj, FileOutcome(False, None, failure, 0, 0))
            return
        output_uri = storage.output_uri(self.spec.output_path, obj)
        try:
            writer = storage.open_output(
                output_uri, kms_key_id=self.spec.kms_key_id, s3_endpoint_url=self.s3_endpoint_url,
                run_id=self.run_id, on_upload=self.on_upload,
            )
        except BteError as exc:
            self.on_file_done(obj, FileOutcome(False, None, failure_of(exc, f"{obj.display_name}: {exc}"), 0, 0))
            return
        run = FileRun(
            obj,
            output_uri,
            writer,
            data.OrderedAssembler(self.spec.assemble_with, max_pending=2 * self.workers),
            self._release,
            lambda r, outcome: self.on_file_done(r.obj, outcome),
            submit=self._output.submit,
        )
        if (self.spec.split_type == "None" and self.params.max_payload_bytes is None and self.processing_is_identity
                and self.inference_ids is None):
            # MaxPayloadInMB=0: the whole object in one request, streamed, never held whole.
            self._window.acquire()
            run.batch_sent(1)
            self._queue.put((run, StreamedObject(obj)))
            run.all_sent()
            return
        try:
            chunks = storage.open_input(obj, s3_endpoint_url=self.s3_endpoint_url)
            if self.spec.compression_type == "Gzip":
                chunks = data.gunzip(chunks)
            batches = data.iter_minibatches(
                chunks,
                split_type=self.spec.split_type,
                batch_strategy=self.params.batch_strategy,
                max_payload_bytes=self.params.max_payload_bytes,
                source=obj.display_name,
                # Counting records costs a byte-by-byte pass over every MultiRecord body
                # (the slowest step of a run): only a join or filter needs the counts.
                count_records=not self.processing_is_identity,
            )
            for batch in batches:
                self._window.acquire()
                if run.failed or self.cancelled.is_set():
                    self._window.release()
                    break
                run.batch_sent(batch.record_count)
                self._queue.put((run, batch))
        except data.RecordTooLarge as exc:
            run.fail(failure_of(self._with_record_index(obj, exc)))
        except BteError as exc:
            run.fail(failure_of(exc, str(exc) if obj.display_name in str(exc) else f"{obj.display_name}: {exc}"))
        except Exception as exc:  # an unexpected failure still ends the file, named
            run.fail(failure_of(exc, f"{obj.display_name}: {exc.__class__.__name__}: {exc}"))
        finally:
            if self.cancelled.is_set():
                run.fail(_stopped(obj.display_name))
            run.all_sent()

    def _with_record_index(self, obj: InputObject, exc: "data.RecordTooLarge") -> "data.RecordTooLarge":
        """Name the oversize record's index even where records were not counted on the way:
        a rare failure, so the input is read again up to the record's offset to count them."""
        if exc.index >= 0 or self.spec.split_type != "Line":
            return exc
        try:
            chunks = storage.open_input(obj, s3_endpoint_url=self.s3_endpoint_url)
            if self.spec.compression_type == "Gzip":
                chunks = data.gunzip(chunks)
            index, seen = 0, 0
            for chunk in chunks:
                take = chunk[: max(0, exc.offset - seen)]
                index += take.count(b"\n")
                seen += len(chunk)
                if seen >= exc.offset:
                    break
        except BteError:
            return exc
        return data.RecordTooLarge(source=exc.source, index=index, offset=exc.offset, size=exc.size, limit=exc.limit)

    def _data_log(self, line: str, tag: str = "sagemaker logs") -> None:
        self.stream.emit(self.streams.data(line, tag))

    def _invoke_streamed(self, worker: int, run: FileRun, item: StreamedObject) -> None:
        job, obj = self.spec.name, item.obj
        source = obj.display_name
        label = BatchLabel(source, 0, 0, 1, 0, obj.size)
        invoker = (chain_invoker(self.targets, self.settings, self.cancelled, self._data_log)
                   or StreamedInvoker(self.url, self.settings, self.cancelled, self._data_log))
        last = b""

        def open_body() -> Iterator[bytes]:
            chunks = storage.open_input(obj, s3_endpoint_url=self.s3_endpoint_url)
            return data.gunzip(chunks) if self.spec.compression_type == "Gzip" else chunks

        def sink(chunk: bytes) -> None:
            nonlocal last
            if chunk:
                run.write_direct(chunk)
                last = chunk

        sent = self.stream.emit(
            ev.MiniBatchSent(job=job, instance=self.instance, worker=worker, source=source, batch=0,
                             records=1, bytes=obj.size)
        )
        started = time.time()
        try:
            received = invoker.invoke_stream(open_body, label, sink)
            # AssembleWith applies to the streamed answer as to any other: only its end matters.
            tail = data.assemble_piece(self.spec.assemble_with, last[-1:])[len(last[-1:]):]
            if tail:
                run.write_direct(tail)
        except Exception as exc:
            failure = failure_of(exc, None if isinstance(exc, BteError) else f"{label}: {exc.__class__.__name__}: {exc}")
            self.stream.emit(ev.MiniBatchFailed(job=job, instance=self.instance, worker=worker, source=source,
                                                batch=0, reason=failure.reason, detail=failure.detail))
            run.batch_failed(failure)
            return
        finally:
            invoker.close()
        self.stream.emit(
            ev.MiniBatchDone(job=job, instance=self.instance, worker=worker, source=source, batch=0, records=1,
                             bytes=obj.size, response_bytes=received, started=started,
                             duration_s=time.time() - started, cause=sent.id)
        )
        run.stream_done()

    # -- workers --------------------------------------------------------------------
    def _worker(self, worker: int) -> None:
        invoker = (chain_invoker(self.targets, self.settings, self.cancelled, self._data_log)
                   or Invoker(self.url, self.settings, self.cancelled, self._data_log))
        try:
            while (item := self._queue.get()) is not None:
                run, batch = item
                if isinstance(batch, StreamedObject):
                    self._invoke_streamed(worker, run, batch)
                else:
                    self._invoke(invoker, worker, run, batch)
        finally:
            invoker.close()

    def _invoke(self, invoker: Invoker, worker: int, run: FileRun, batch: "data.MiniBatch") -> None:
        job, source = self.spec.name, run.obj.display_name
        if run.failed or self.cancelled.is_set():
            run.batch_failed(run.failure or _stopped(source))
            return
        label = BatchLabel(
            source, batch.index, batch.first_record, batch.record_count, batch.start_offset, batch.end_offset
        )
        try:
            body = batch.body if self.processing.is_identity else self.processing.filter_input(batch)
            sent = self.stream.emit(
                ev.MiniBatchSent(
                    job=job, instance=self.instance, worker=worker, source=source,
                    batch=batch.index, records=_known(batch.record_count), bytes=len(body),
                )
            )
            started = time.time()

            def on_retry(attempt: int, reason: str) -> None:
                self.stream.emit(
                    ev.MiniBatchRetried(
                        job=job, instance=self.instance, worker=worker, source=source,
                        batch=batch.index, attempt=attempt, reason=reason, cause=sent.id,
                    )
                )

            response = invoker.invoke(body, label, on_retry)
            output = response if self.processing.is_identity else self.processing.finish_output(batch, response)
            if self.inference_ids is not None:  # last, on what is written: after JoinSource and OutputFilter
                output = self.inference_ids.apply(output, source)
        except Exception as exc:  # a worker must always settle its mini-batch, or the file never closes
            detail = str(exc) if isinstance(exc, BteError) else f"{exc.__class__.__name__}: {exc}"
            if source not in detail:
                detail = f"{label}: {detail}"
            failure = failure_of(exc, detail)
            gone = self.instance_gone()
            if gone:  # the model's container died under it: the algorithm's failure
                failure = Failure(ALGORITHM_ERROR, f"{detail} The instance {self.instance} {gone}")
            self.stream.emit(
                ev.MiniBatchFailed(
                    job=job, instance=self.instance, worker=worker, source=source, batch=batch.index,
                    reason=failure.reason, detail=failure.detail,
                )
            )
            run.batch_failed(failure)
            return
        self.stream.emit(
            ev.MiniBatchDone(
                job=job, instance=self.instance, worker=worker, source=source, batch=batch.index,
                records=_known(batch.record_count), bytes=len(body), response_bytes=len(response),
                started=started, duration_s=time.time() - started, cause=sent.id,
            )
        )
        run.batch_ok(batch.index, output)


@dataclass(frozen=True)
class StreamedObject:
    """A whole object to stream as one request (SplitType None, MaxPayloadInMB=0)."""

    obj: InputObject


def _stopped(source: str) -> Failure:
    """What a file cut short by StopTransformJob holds (a stopped job has no FailureReason)."""
    return Failure(CLIENT_ERROR, f"{source}: the job was stopped")


def _known(count: int) -> int | None:
    """A mini-batch's record count, or None where the data plane did not count them."""
    return count if count >= 0 else None
