"""Inputs that are odd, broken or missing (echo as a local process)."""

from __future__ import annotations

import gzip
import json
import struct
from collections.abc import Callable

from tests.reliability.harness import Case, Fault, Outcome

TINY_FILES = 300  # the soak runs 10,000; here enough to show each file gets its own output


def one_file(name: str, data: bytes, **request: object) -> Callable[[Case], Outcome]:
    def run(case: Case) -> Outcome:
        case.write(name, data)
        return case.run(case.request(f"input-{name.replace('.', '-')}", **request))

    return run


def same_bytes(name: str) -> Callable[[Case, Outcome], None]:
    def check(case: Case, outcome: Outcome) -> None:
        assert (case.out / f"{name}.out").read_bytes() == (case.inp / name).read_bytes()

    return check


def _empty_prefix(case: Case) -> Outcome:
    case.inp.mkdir()
    return case.run(case.request("empty-prefix"))


def _manifest_missing(case: Case) -> Outcome:
    case.write("one.csv", b"1\n")
    manifest = case.tmp / "inputs.manifest"
    manifest.write_text(json.dumps([{"prefix": f"{case.inp}/"}, "one.csv", "gone.csv"]))
    request = case.request("manifest-missing", TransformInput={
        "DataSource": {"S3DataSource": {"S3DataType": "ManifestFile", "S3Uri": str(manifest)}}})
    return case.run(request)


def _tiny_files(case: Case) -> Outcome:
    for i in range(TINY_FILES):
        case.write(f"f{i:05d}.csv", b"%d\n" % i)
    return case.run(case.request("tiny-files", MaxConcurrentTransforms=4))


def _recordio(payload: bytes, declared: int) -> bytes:
    return struct.pack("<II", 0xCED7230A, declared) + payload + b"\0" * (-len(payload) % 4)


GZ = gzip.compress(b"1,2\n3,4\n")
ROWS = [
    Fault("record-over-payload", "bad input", "a record larger than MaxPayloadInMB",
          "Failed (a record must fit in MaxPayloadInMB)",
          "that file Failed, naming record, offset, size and limit; the other files whole",
          "Raise MaxPayloadInMB", "Failed",
          elsewhere="tests/engine/test_job_runs.py::test_an_oversize_record_fails_its_file_naming_record_offset_size_and_limit"),
    Fault("empty-file", "bad input", "an empty (0-byte) input file", "unknown",
          "bte's choice: no request, an empty output", "", "Completed",
          elsewhere="tests/engine/test_input_shapes.py::test_an_empty_input_file_gets_an_empty_output_and_no_request"),
    Fault("bad-tfrecord", "bad input", "a TFRecord record whose checksum does not match", "Failed",
          "that file Failed, naming the byte offset; no output", "", "Failed",
          elsewhere="tests/engine/test_input_shapes.py::test_corrupt_tfrecord_fails_the_file_naming_the_byte_offset"),
    Fault("input-bucket-missing", "bad input", "the input bucket does not exist", "CreateTransformJob is refused",
          "refused before any instance starts, naming the URI", "", "refused",
          elsewhere="tests/engine/test_s3_jobs.py::test_missing_bucket_fails_before_any_container_starts"),
    Fault("empty-prefix", "bad input", "the input prefix holds no objects",
          "CreateTransformJob is refused (no input found)", "refused before any instance starts, naming the path",
          "No files found under local path", "refused", _empty_prefix, outputs=()),
    Fault("crlf", "bad input", "CRLF line ends with SplitType Line",
          "unknown (a record's \\r is not documented)",
          "bte's choice: split at \\n; each \\r stays in its record; output byte-identical", "", "Completed",
          one_file("crlf.csv", b"1,a\r\n2,b\r\n3,c\r\n"), outputs=("crlf.csv.out",), check=same_bytes("crlf.csv")),
    Fault("bom", "bad input", "a UTF-8 byte-order mark at the start of a file",
          "unknown", "bte's choice: bytes pass as they are (the BOM reaches the model in the first record)", "",
          "Completed", one_file("bom.csv", b"\xef\xbb\xbf1,a\n2,b\n"), outputs=("bom.csv.out",),
          check=same_bytes("bom.csv")),
    Fault("invalid-utf8", "bad input", "bytes that are not UTF-8, with SplitType Line",
          "unknown (the service splits bytes)",
          "bte's choice: split as bytes, sent unchanged (as application/octet-stream here: a text/csv model may refuse them); Completed", "",
          "Completed", one_file("latin1.csv", b"caf\xe9,1\n\xff\xfe,2\n",
                                       TransformInput={"ContentType": "application/octet-stream"}), outputs=("latin1.csv.out",),
          check=same_bytes("latin1.csv")),
    Fault("gzip-declared-none", "bad input", "gzip bytes with CompressionType None (SplitType None)",
          "sends the bytes as they are", "the same: the model gets the compressed bytes", "", "Completed",
          one_file("data.csv.gz", GZ, TransformInput={"SplitType": "None", "ContentType": "application/octet-stream"},
                   TransformOutput={"AssembleWith": "None"}),
          outputs=("data.csv.gz.out",),
          check=same_bytes("data.csv.gz")),
    Fault("none-declared-gzip", "bad input", "plain bytes with CompressionType Gzip",
          "Failed (the object cannot be decompressed)", "Failed, naming the file; no output for it",
          "not a valid gzip stream", "Failed",
          one_file("plain.csv", b"1,2\n", TransformInput={"CompressionType": "Gzip"}), outputs=()),
    Fault("truncated-gzip", "bad input", "a gzip file cut short",
          "Failed", "Failed, naming the file; no output for it", "the gzip stream is truncated", "Failed",
          one_file("cut.csv.gz", gzip.compress(b"1,2\n" * 1000)[:-20], TransformInput={"CompressionType": "Gzip"}),
          outputs=()),
    Fault("bad-recordio", "bad input", "a RecordIO record whose length runs past the end of the file",
          "Failed", "Failed, naming the file, the record and the byte offset; no output",
          "bad RecordIO framing in record 1 (0-based) at byte offset 12", "Failed",
          one_file("r.rec", _recordio(b"ok", 2) + _recordio(b"short", 4000), TransformInput={"SplitType": "RecordIO"}),
          outputs=()),
    Fault("manifest-missing", "bad input", "a manifest names an object that does not exist",
          "the job fails (the object cannot be read)", "refused before any instance starts, naming the object",
          "names 1 object(s) that do not exist", "refused", _manifest_missing, outputs=()),
    Fault("tiny-files", "bad input", f"{TINY_FILES} tiny files (the soak runs 10,000)",
          "one output per input", "Completed: one output per file, none missing", "", "Completed", _tiny_files,
          check=lambda c, o: _count(c, TINY_FILES)),
]


def _count(case: Case, n: int) -> None:
    assert len(list(case.out.glob("*.out"))) == n
