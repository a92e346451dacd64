"""The plan's I/O edge: storage opens each input exactly as the engine opens it and hands
the reader to the pure scan (``scan.py``); one listing of the output path finds stale
outputs. Everything here reads; nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from emulator import data, storage
from emulator.data.lint import InputWarning, lint_compression, text_format
from emulator.data.text_lint import SAMPLE_BYTES
from emulator.plan import ExecutionParameters, Plan, resolve_execution_parameters
from emulator.planning import checks
from emulator.planning.preview import ProcessingPreview, preview_processing
from emulator.planning.scan import ObjectScan, scan_object
from emulator.storage import InputObject
from emulator.spec import TransformJobSpec
from emulator.storage.uri import parse_uri

Progress = Callable[[InputObject, int], None]  # (object, stored bytes read so far)
BATCHING_PARAMETERS = ("BatchStrategy", "MaxPayloadInMB")


@dataclass
class Scenario:
    """The inputs' mini-batches under one set of execution parameters."""

    label: str
    parameters: ExecutionParameters
    scans: dict[str, ObjectScan]  # input URI -> its scan


@dataclass
class Survey:
    scenarios: list[Scenario]
    warnings: list[InputWarning]  # job-wide and per input, each once
    may_change: list[str]  # batching parameters the container's /execution-parameters may still set
    preview: ProcessingPreview | None = None
    sample_batches: int | None = None
    instance_of: dict[str, str] = field(default_factory=dict)  # input URI -> instance name


def survey(
    plan: Plan,
    *,
    s3_endpoint_url: str | None = None,
    sample_batches: int | None = None,
    keep_spans: bool = False,
    container_answer: Mapping[str, Any] | None = None,
    sample_answer: bytes | None = None,
    progress: Progress = lambda obj, done: None,
) -> Survey:
    """Scan every input under the request's parameters (the defaults where it sets none)
    and, given ``container_answer`` (what its /execution-parameters would say), under
    those too when they cut differently."""
    spec = plan.spec
    processing, _ = checks.data_processing(spec)  # its warning is already in plan.warnings
    parameters = [("request, then defaults", plan.parameters)]
    if container_answer:
        answered = resolve_execution_parameters(spec, container_answer)
        if _cuts(answered) != _cuts(plan.parameters):
            parameters.append(("request, then the container's /execution-parameters", answered))
    scenarios = []
    for label, params in parameters:
        scans = {obj.uri: scan_input(obj, spec, params, processing, s3_endpoint_url=s3_endpoint_url,
                                     sample_batches=sample_batches, keep_spans=keep_spans, progress=progress)
                 for obj in plan.inputs}
        scenarios.append(Scenario(label, params, scans))
    first = scenarios[0].scans
    inputs = {obj.display_name for obj in plan.inputs}
    job_wide = [InputWarning(w.code, w.source, w.message, w.fix) for w in plan.warnings if w.source not in inputs]
    per_input = [w for obj in plan.inputs for w in first[obj.uri].warnings]
    most = max((s.batches for s in first.values()), default=0)
    warnings = job_wide + checks.assembly(spec, most) + per_input
    preview = None
    if processing is not None and not processing.is_identity and plan.inputs:
        preview = preview_processing(processing, first[plan.inputs[0].uri].first_record, spec.split_type,
                                     sample_answer)
    may_change = [name for name in BATCHING_PARAMETERS if plan.parameters.sources[name] != "request"]
    instance_of = {obj.uri: name for name, objs in plan.assignments.items() for obj in objs}
    return Survey(scenarios, warnings, may_change, preview, sample_batches, instance_of)


def output_warnings(plan: Plan, s3_endpoint_url: str | None = None) -> list[InputWarning]:
    """Where the outputs go: under the input prefix, or over earlier outputs."""
    spec = plan.spec
    found = checks.output_under_input(spec, parse_uri(spec.input_uri), parse_uri(spec.output_path))
    backend = storage.storage_for(spec.output_path, s3_endpoint_url)
    try:
        listed = backend.list_prefix(spec.output_path.rstrip("/") + "/")
    except storage.StorageError:  # nothing there yet (or not listable: the run will say)
        listed = []
    existing = {obj.key for obj in listed}
    stale = [out for out in (storage.output_uri(spec.output_path, obj) for obj in plan.inputs)
             if backend.prefix_key(out) in existing]
    return found + checks.stale_outputs(spec, stale)


def _cuts(params: ExecutionParameters) -> tuple[str, int]:
    return params.batch_strategy, params.max_payload_in_mb


def scan_input(obj: InputObject, spec: TransformJobSpec, params: ExecutionParameters,
               processing: data.DataProcessing | None, *, s3_endpoint_url: str | None = None,
               sample_batches: int | None = None, keep_spans: bool = False,
               progress: Progress = lambda obj, done: None) -> ObjectScan:
    """One input, opened as the engine opens it, scanned under ``params``."""
    reader = storage.open_input(obj, s3_endpoint_url=s3_endpoint_url)  # as the engine opens it
    chunks: Iterable[bytes] | data.PositionalReader
    if isinstance(reader, data.PositionalReader):
        raw_head, chunks = reader.read_at(0, SAMPLE_BYTES), reader
    else:
        first = next(iter(reader), b"")
        raw_head, chunks = first, chain([first], reader)
    found = lint_compression(raw_head, spec.compression_type, obj.display_name)
    if found and spec.compression_type == "Gzip":  # not gzip: the run fails the file at once
        _close(reader)
        return ObjectScan(complete=False, failure=found[0].message, warnings=found)
    on_progress: Callable[[int], None] = lambda offset: progress(obj, offset)
    if spec.compression_type == "Gzip":
        chunks = data.gunzip(_counted(reader, on_progress), obj.display_name)
        on_progress = lambda offset: None  # noqa: E731 - progress counts stored bytes
    try:
        scan = scan_object(
            chunks, source=obj.display_name, split_type=spec.split_type,
            batch_strategy=params.batch_strategy, max_payload_bytes=params.max_payload_bytes,
            text_format=text_format(spec.content_type, obj.display_name), processing=processing,
            sample_batches=sample_batches, keep_spans=keep_spans, on_progress=on_progress)
    finally:
        _close(reader)
    scan.warnings[:0] = found
    return scan


def _counted(chunks: Iterable[bytes], on_progress: Callable[[int], None]) -> Iterator[bytes]:
    done = 0
    for chunk in chunks:
        done += len(chunk)
        on_progress(done)
        yield chunk


def _close(reader: object) -> None:
    close = getattr(reader, "close", None)
    if close:
        close()
