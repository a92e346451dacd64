"""The errors the data plane raises, one class per problem a user can meet.

BteError (emulator.spec.errors)
└── DataError                     base of everything raised by emulator.data
    ├── RecordTooLarge            one record (or a SplitType=None object) exceeds MaxPayloadInMB
    ├── BadRecordFraming          a RecordIO/TFRecord header, length or CRC is wrong
    ├── BadCompression            a Gzip stream is corrupt or truncated
    ├── DataProcessingError       InputFilter / JoinSource / OutputFilter could not be applied
    │   ├── UnsupportedJsonPath   a path outside the service's JSONPath subset
    │   ├── JsonPathIndexOutOfRange
    │   ├── JsonPathNoMatch       a `.name` that the record does not have
    │   ├── RecordCountMismatch   a response has a different number of records than its request
    │   └── UnparsableRecord      a record is not valid CSV/JSON for the declared content type
    └── AssemblyError             responses given to OrderedAssembler out of its contract

Every message names what it can (the input object, the mini-batch, the record index, the
byte offset) and says what to change. The engine prefixes the job name.
"""

from __future__ import annotations

from emulator.spec.errors import BteError


class DataError(BteError):
    """Base of the data plane's errors."""

    code = "DataError"


class RecordTooLarge(DataError):
    """A single record (or the whole object with SplitType None) is larger than the payload limit."""

    code = "RecordTooLarge"

    def __init__(self, *, source: str, index: int, offset: int, size: int, limit: int,
                 whole_object: bool = False) -> None:
        self.source, self.index, self.offset, self.size, self.limit = source, index, offset, size, limit
        where = f"{source}: " if source else ""
        allowed = f"MaxPayloadInMB allows ({limit} bytes = {limit / 2**20:g} MB)"
        if whole_object:
            text = (f"{where}the object is {size} bytes, larger than {allowed}; SplitType None "
                    f"sends the whole object in one request. Set SplitType (Line, RecordIO or "
                    f"TFRecord) to split it into records, or raise MaxPayloadInMB (at most 100, "
                    f"or 0 for no limit).")
        else:
            which = f"record {index} (0-based)" if index >= 0 else "the record"
            text = (f"{where}{which} at byte offset {offset} is {size} bytes, "
                    f"larger than {allowed}. Raise MaxPayloadInMB (at most 100, or 0 for no "
                    f"limit) or split the record into smaller ones.")
        super().__init__(text)


class BadRecordFraming(DataError):
    """A binary record's framing (length, magic number or CRC) does not check out."""

    code = "BadRecordFraming"

    def __init__(self, *, source: str, split_type: str, index: int, offset: int, problem: str) -> None:
        self.source, self.index, self.offset = source, index, offset
        where = f"{source}: " if source else ""
        super().__init__(
            f"{where}bad {split_type} framing in record {index} (0-based) at byte offset {offset}: {problem}. "
            f"Check that the object really is {split_type} data (and that CompressionType matches "
            f"the object), or set SplitType to the format it has."
        )


class BadCompression(DataError):
    code = "BadCompression"


class DataProcessingError(DataError):
    """DataProcessing (InputFilter, JoinSource, OutputFilter) failed on some record."""

    code = "DataProcessingError"


class UnsupportedJsonPath(DataProcessingError):
    code = "UnsupportedJsonPath"


class JsonPathIndexOutOfRange(DataProcessingError):
    code = "JsonPathIndexOutOfRange"


class JsonPathNoMatch(DataProcessingError):
    code = "JsonPathNoMatch"


class RecordCountMismatch(DataProcessingError):
    code = "RecordCountMismatch"


class UnparsableRecord(DataProcessingError):
    code = "UnparsableRecord"


class AssemblyError(DataError):
    """A response was added twice, out of the window, or is missing at the end."""

    code = "AssemblyError"
