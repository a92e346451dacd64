"""Each mini-batch's byte range, for a finished run: its inputs scanned again with the
parameters each instance resolved (the plan's own scan), and kept only where every
predicted size equals the size the run sent (an input changed since would not match)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator import spec as specs
from emulator import storage
from emulator.plan import ExecutionParameters
from emulator.planning import checks
from emulator.planning.survey import scan_input
from emulator.report.timeline import Timeline
from emulator.spec.errors import BteError

Ranges = dict[tuple[str, int], tuple[int, int]]  # (source, mini-batch) -> (start, end)


def byte_ranges(request: Mapping[str, Any], timeline: Timeline, *, s3_endpoint_url: str | None = None) -> Ranges:
    try:
        spec = specs.parse_transform_job(dict(request), allow_local_uris=True)
        inputs = storage.list_inputs(spec.input_uri, spec.data_type, s3_endpoint_url=s3_endpoint_url)
    except BteError:
        return {}
    processing, _ = checks.data_processing(spec)
    sent = {(bar.source, bar.batch): bar.bytes for bar in timeline.bars}
    found: Ranges = {}
    for obj in inputs:
        info = timeline.files.get(obj.display_name)
        params = timeline.instances[info["instance"]].parameters if info else None
        if not params:
            continue
        resolved = ExecutionParameters(params["MaxConcurrentTransforms"], params["BatchStrategy"],
                                       params["MaxPayloadInMB"], params.get("Sources", {}))
        try:
            scan = scan_input(obj, spec, resolved, processing, s3_endpoint_url=s3_endpoint_url, keep_spans=True)
        except BteError:
            continue
        spans = {(obj.display_name, s.index): s for s in scan.spans or []}
        if all(spans[key].sent_bytes == size for key, size in sent.items() if key in spans):
            found.update({key: (s.start, s.end) for key, s in spans.items()})
    return found
