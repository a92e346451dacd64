"""DataProcessing: InputFilter -> model -> JoinSource -> OutputFilter (reference section 6.6).

Formats come from ContentType (input) and Accept (output; ContentType when Accept is unset):
``text/csv``, ``application/jsonlines`` (one JSON value a line), ``application/json``
(one document a mini-batch with SplitType None, one a line with SplitType Line).

- A CSV row is a JSON array of its cells (strings); it is parsed with the csv module
  (RFC 4180) and written back with minimal quoting. Cells are never re-typed.
- InputFilter applies to every record of a mini-batch. Mini-batches are cut on the
  ORIGINAL record sizes (bte's choice): the filtered body is never larger than the limit
  when the filter only drops data.
- The response is split into records (lines; or one document) and paired one to one
  with the request's records. JoinSource Input needs the counts to agree, otherwise
  RecordCountMismatch (the service's behaviour is unknown; bte refuses to guess).
- CSV join: the original row's text, a comma, the response row's text ("1,2,3" + "1").
  JSON join: an object input gets ``SageMakerOutput`` (overwriting one already there);
  anything else becomes ``{"SageMakerInput": input, "SageMakerOutput": output}``.
- OutputFilter selects from the joined record, or from the output record alone without
  a join. JSON is written compactly (``{"a":1}``), the form the guide's examples show.
- The output keeps the response's trailing newline convention: records joined by ``\\n``,
  ending with ``\\n`` exactly when the response did.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from emulator.data.batching import MiniBatch
from emulator.data.errors import DataProcessingError, RecordCountMismatch, UnparsableRecord
from emulator.data.jsonpath import JsonPath, parse_json_path

CSV, JSON, JSONLINES = "text/csv", "application/json", "application/jsonlines"
_FORMATS = {
    "text/csv": CSV,
    "application/json": JSON,
    "application/jsonlines": JSONLINES,
    "application/x-jsonlines": JSONLINES,
    "application/jsonl": JSONLINES,
}
JOIN_SOURCES = ("None", "Input")


def data_format(mime: str | None) -> str | None:
    """The DataProcessing format of a MIME type (parameters ignored), or None."""
    if not mime:
        return None
    return _FORMATS.get(mime.split(";", 1)[0].strip().lower())


class DataProcessing:
    """The request's DataProcessing, bound to its ContentType, Accept and SplitType.
    Construction raises UnsupportedJsonPath / DataProcessingError for settings that can
    never work, so ``plan`` can report them before anything runs."""

    def __init__(self, *, input_filter: str = "$", output_filter: str = "$",
                 join_source: str = "None", content_type: str | None, accept: str | None,
                 split_type: str) -> None:
        if join_source not in JOIN_SOURCES:
            raise ValueError(f"JoinSource must be one of {', '.join(JOIN_SOURCES)}, not {join_source!r}")
        self.input_filter: JsonPath = _parse_filter("InputFilter", input_filter)
        self.output_filter: JsonPath = _parse_filter("OutputFilter", output_filter)
        self.join = join_source == "Input"
        self.split_type = split_type
        self.is_identity = self.input_filter.is_root and self.output_filter.is_root and not self.join
        self.in_format = data_format(content_type)
        self.out_format = data_format(accept) if accept else self.in_format
        if self.is_identity:
            return
        if self.in_format is None or self.out_format is None:
            raise DataProcessingError(
                f"DataProcessing (InputFilter, JoinSource, OutputFilter) works only on text/csv, "
                f"application/json and application/jsonlines; ContentType is {content_type!r} "
                f"and Accept is {accept!r}. Set them to one of those, or remove DataProcessing.")
        if self.join and (self.in_format == CSV) != (self.out_format == CSV):
            raise DataProcessingError(
                f"JoinSource Input joins records of one format; ContentType {content_type!r} and "
                f"Accept {accept!r} differ. Make Accept the same as ContentType.")

    # -- the request side ------------------------------------------------------------
    def filter_input(self, batch: MiniBatch, source: str = "") -> bytes:
        """The body to send for ``batch`` after InputFilter."""
        if self.input_filter.is_root:
            return batch.body
        texts, trailing = self._records(batch.body, self.in_format, batch, source, "request")
        out = []
        for i, text in enumerate(texts):
            value = self._parse(text, self.in_format, batch, source, i, "input")
            out.append(self._dump(self._select(self.input_filter, value, batch, source, i),
                                  self.in_format))
        return _join_lines(out, trailing)

    # -- the response side -----------------------------------------------------------
    def finish_output(self, batch: MiniBatch, response: bytes, source: str = "") -> bytes:
        """The bytes ``response`` contributes to the output after JoinSource and OutputFilter."""
        if not self.join and self.output_filter.is_root:
            return response
        fmt = self.out_format
        out_texts, trailing = self._records(response, fmt, batch, source, "response")
        if self.join:
            in_texts, _ = self._records(batch.body, self.in_format, batch, source, "request")
            if len(in_texts) != len(out_texts):
                raise RecordCountMismatch(
                    f"{batch.describe(source)}: the request had {len(in_texts)} record(s) but "
                    f"the response has {len(out_texts)}; JoinSource Input pairs every input "
                    f"record with one output record. Make the model answer one record (one "
                    f"line) per input record, or set JoinSource to None.")
        result = []
        for i, out_text in enumerate(out_texts):
            if self.join and fmt == CSV:
                joined_text = in_texts[i] + "," + out_text
                if self.output_filter.is_root:
                    result.append(joined_text)
                    continue
                record = self._parse(joined_text, CSV, batch, source, i, "joined")
            else:
                record = self._parse(out_text, fmt, batch, source, i, "response")
                if self.join:
                    original = self._parse(in_texts[i], self.in_format, batch, source, i, "input")
                    record = _join_json(original, record)
            result.append(self._dump(self._select(self.output_filter, record, batch, source, i), fmt))
        return _join_lines(result, trailing)

    # -- helpers ---------------------------------------------------------------------
    def _records(self, body: bytes, fmt: str | None, batch: MiniBatch, source: str,
                 side: str) -> tuple[list[str], bool]:
        """The records of a body as text (without newlines), and whether it ended with one."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as err:
            raise UnparsableRecord(f"{batch.describe(source)}: the {side} is not UTF-8 text "
                                   f"(byte {err.start}); DataProcessing needs CSV or JSON text.") from err
        if fmt == JSON and self.split_type != "Line":
            return [text], False
        trailing = text.endswith("\n")
        lines = text.split("\n")
        if trailing:
            lines.pop()
        return [line[:-1] if line.endswith("\r") else line for line in lines], trailing

    def _parse(self, text: str, fmt: str | None, batch: MiniBatch, source: str, i: int,
               side: str) -> Any:
        if fmt == CSV:
            return next(csv.reader([text]), [])
        try:
            return json.loads(text)
        except ValueError as err:
            raise UnparsableRecord(
                f"{batch.describe(source)}: {side} record {batch.first_record + i} is not valid "
                f"JSON ({err}); text starts {text[:60]!r}.") from err

    def _select(self, path: JsonPath, value: Any, batch: MiniBatch, source: str, i: int) -> Any:
        try:
            return path.select(value)
        except DataProcessingError as err:
            field = "InputFilter" if path is self.input_filter else "OutputFilter"
            raise type(err)(f"{batch.describe(source)}, record {batch.first_record + i}: "
                            f"{err.message}{_names(field)}") from err

    @staticmethod
    def _dump(value: Any, fmt: str | None) -> str:
        if fmt == CSV:
            row = value if isinstance(value, list) else [value]
            buf = io.StringIO()
            csv.writer(buf, lineterminator="").writerow(
                [json.dumps(c, separators=(",", ":")) if isinstance(c, dict | list) else c for c in row])
            return buf.getvalue()
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _names(field: str) -> str:
    # The service's text says "Invalid JsonPath" without saying which filter; bte adds it.
    return f". bte: the setting to fix is DataProcessing.{field}"


def _parse_filter(field: str, text: str) -> JsonPath:
    try:
        return parse_json_path(text)
    except DataProcessingError as err:
        raise type(err)(f"{err.message}{_names(field)}") from err


def _join_json(original: Any, output: Any) -> Any:
    if isinstance(original, dict):
        return {**original, "SageMakerOutput": output}
    return {"SageMakerInput": original, "SageMakerOutput": output}


def _join_lines(records: list[str], trailing: bool) -> bytes:
    text = "\n".join(records) + ("\n" if trailing else "")
    return text.encode("utf-8")
