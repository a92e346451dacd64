"""The data plane: pure, streaming byte work shared by ``plan`` (dry run) and the engine.

Bytes, iterators of bytes, or a ``PositionalReader`` (an object read by offset, such as
storage's reader of a local file) in; records / mini-batches / output pieces out. It
opens no file and no connection itself. See docs/data-plane.md for every choice made
where the service is silent.

- ``iter_records`` / ``iter_minibatches``: SplitType and BatchStrategy under MaxPayloadInMB
- ``OrderedAssembler``: AssembleWith, restoring input order with a bound on held responses
- ``DataProcessing``: InputFilter, JoinSource, OutputFilter for CSV / JSON / JSON Lines
- ``gunzip``: CompressionType Gzip, streamed
- ``lint_head`` / ``lint_input`` / ``lint_job``: warnings with a one-line fix, for the plan
  (``text_lint.TextLint`` gives the text warnings over a whole object, streamed)
"""

from emulator.data.assembly import ASSEMBLE_WITH, OrderedAssembler, assemble_piece
from emulator.data.batching import (
    BATCH_STRATEGIES,
    MB,
    MiniBatch,
    PositionalReader,
    iter_minibatches,
    max_payload_bytes,
)
from emulator.data.compression import gunzip
from emulator.data.errors import (
    AssemblyError,
    BadCompression,
    BadRecordFraming,
    DataError,
    DataProcessingError,
    JsonPathIndexOutOfRange,
    JsonPathNoMatch,
    RecordCountMismatch,
    RecordTooLarge,
    UnparsableRecord,
    UnsupportedJsonPath,
)
from emulator.data.framing import recordio_encode, tfrecord_encode
from emulator.data.inference_ids import InferenceIds
from emulator.data.jsonpath import SLICE_END_INCLUSIVE, JsonPath, parse_json_path
from emulator.data.lint import InputWarning, lint_head, lint_input, lint_job
from emulator.data.processing import DataProcessing, data_format
from emulator.data.records import LINE_SEPARATOR, SPLIT_TYPES, Record, iter_records

__all__ = [
    "InferenceIds",
    "ASSEMBLE_WITH", "BATCH_STRATEGIES", "LINE_SEPARATOR", "MB", "SLICE_END_INCLUSIVE", "SPLIT_TYPES",
    "AssemblyError", "BadCompression", "BadRecordFraming", "DataError", "DataProcessing",
    "DataProcessingError", "InputWarning", "JsonPath", "JsonPathIndexOutOfRange", "JsonPathNoMatch",
    "MiniBatch", "OrderedAssembler", "PositionalReader", "Record", "RecordCountMismatch", "RecordTooLarge",
    "UnparsableRecord", "UnsupportedJsonPath", "assemble_piece", "data_format", "gunzip",
    "iter_minibatches", "iter_records", "lint_head", "lint_input", "lint_job", "max_payload_bytes",
    "parse_json_path", "recordio_encode", "tfrecord_encode",
]
