"""GenerateInferenceId (DataCaptureConfig): an inference id and the job's start time on every
output record, as the developer guide's "Capture data from batch transform job" shows:

    CSV                  <record>,<random UUID>,2022-08-30T00:49:15Z
    JSON / JSON Lines    the record's object with "SageMakerInferenceId" and
                         "SageMakerInferenceTime" added as its last keys

A record is a line of the output where records are lines (CSV, JSON Lines, or any output
assembled with AssembleWith=Line); otherwise a mini-batch's whole answer is one record.
The keys are added to the object's own bytes (nothing of the model's answer is
re-serialized); a JSON record that is not an object becomes ``{"SageMakerOutput": <it>, ...}``,
as JoinSource wraps a non-object (bte's choice: the guide shows objects only). Applied
last, to what is written, after JoinSource and OutputFilter (docs/data-plane.md).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable

from emulator.data.errors import DataProcessingError

CSV = "text/csv"
JSON = "application/json"
JSON_LINES = ("application/jsonlines", "application/x-jsonlines", "application/json-lines", "application/jsonl")
ID_KEY, TIME_KEY = "SageMakerInferenceId", "SageMakerInferenceTime"


def inference_time(started: float) -> str:
    """The job's start time as the guide writes it: UTC, seconds, ``Z``."""
    return dt.datetime.fromtimestamp(started, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class InferenceIds:
    """Appends an inference id and time to each output record of one format."""

    def __init__(self, output_type: str, *, per_line: bool, time: str,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self.csv = output_type == CSV
        self.per_line = per_line or self.csv or output_type in JSON_LINES
        self.time, self.new_id = time, new_id

    @classmethod
    def for_output(cls, accept: str | None, content_type: str | None, assemble_with: str,
                   started: float) -> InferenceIds | None:
        """For a job's output (Accept, else ContentType), or None where the service has no
        format for them (it supports CSV, JSON and JSON Lines)."""
        output_type = (accept or content_type or "").split(";")[0].strip().lower()
        if output_type not in (CSV, JSON, *JSON_LINES):
            return None
        return cls(output_type, per_line=assemble_with == "Line", time=inference_time(started))

    def apply(self, output: bytes, source: str = "") -> bytes:
        if not self.per_line:
            return self._record(output, source) if output.strip() else output
        lines = output.split(b"\n")
        return b"\n".join(self._record(line, source) if line.strip() else line for line in lines)

    def _record(self, record: bytes, source: str) -> bytes:
        end = record[len(record.rstrip(b"\r")):]
        body = record[: len(record) - len(end)]
        if self.csv:
            return b"%s,%s,%s%s" % (body, self.new_id().encode(), self.time.encode(), end)
        keys = f'"{ID_KEY}": "{self.new_id()}", "{TIME_KEY}": "{self.time}"'
        text = body.strip()
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise DataProcessingError(
                f"{source + ': ' if source else ''}GenerateInferenceId: an output record is not JSON ({exc}): "
                f"{text[:80]!r}. The model's answer must be JSON for Accept {JSON} or JSON Lines."
            ) from exc
        if isinstance(value, dict):
            inner = text[:-1].rstrip()
            joined = inner + (b"" if inner.endswith(b"{") else b", ") + keys.encode() + b"}"
        else:
            joined = b'{"SageMakerOutput": %s, %s}' % (text, keys.encode())
        return joined + end
