"""Every plan warning fires on a crafted input and stays quiet on a clean one; whole inputs
are scanned, so what sits past the first 64 KiB is seen too."""

from __future__ import annotations

import pytest

from tests.planning.helpers import codes, gz, plan_job

CLEAN = b"1,2\n3,4\n5,6\n"
FAR = 200_000  # bytes of clean rows before the crafted part: past any head the run reads


def far(tail: bytes) -> bytes:
    return b"7,8\n" * (FAR // 4) + tail


@pytest.mark.parametrize("code, body", [
    ("Utf8Bom", b"\xef\xbb\xbf1,2\n3,4\n"),
    ("CrLf", far(b"1,2\r\n")),
    ("BlankLines", far(b"1,2\n\n3,4\n")),
    ("CsvQuotedNewline", far(b'1,"two\nlines"\n3,4\n')),
    ("CsvHeader", b"age,income\n31,5000\n45,7000.5\n"),
    ("CsvHeader", b"code,country\nAB1,FR\nCD2,DE\n"),  # text columns of one length, unlike the header
    ("RecordTooLarge", far(b"9" * (2 << 20) + b"\n")),  # 2 MB record past the head, MaxPayloadInMB 1
])
def test_input_warning_fires_anywhere_in_the_file_and_not_on_clean_input(tmp_path, code, body):
    assert code in codes(tmp_path / "bad", {"a.csv": body}, MaxPayloadInMB=1)
    assert codes(tmp_path / "good", {"a.csv": far(CLEAN)}, MaxPayloadInMB=1) == []


def test_header_is_not_guessed_from_numbers_alone(tmp_path):
    assert codes(tmp_path / "a", {"a.csv": b"a,b\nc,d\n"}) == []  # all text, same lengths: no header
    assert codes(tmp_path / "b", {"a.csv": b"\xef\xbb\xbf1,2\n3,4\n"}) == ["Utf8Bom"]


def test_quoted_cells_without_newlines_are_clean(tmp_path):
    body = far(b'1,"a ""quoted"" word"\n2,"b, c"\n')
    assert codes(tmp_path, {"a.csv": body}) == []


def test_empty_input(tmp_path):
    assert codes(tmp_path / "a", {"a.csv": b"", "b.csv": CLEAN}) == ["EmptyInput"]
    assert codes(tmp_path / "b", {"b.csv": CLEAN}) == []


def test_split_type_none_object_over_the_limit(tmp_path):
    body = b"x" * ((1 << 20) + 1)
    assert codes(tmp_path / "a", {"a.bin": body}, MaxPayloadInMB=1, TransformInput={"SplitType": "None"}) \
        == ["ObjectTooLarge"]
    assert codes(tmp_path / "b", {"a.bin": body}, MaxPayloadInMB=2, TransformInput={"SplitType": "None"}) == []


def test_gzip_bytes_declared_none_get_that_warning_and_no_text_warning(tmp_path):
    # Crafted so that the compressed bytes hold quotes and newlines a text check would trip on.
    body = gz(b'1,"a"\n' * 5000 + bytes(range(256)) * 50)
    found = codes(tmp_path / "a", {"a.csv": body})
    assert "GzipDeclaredNone" in found
    assert not {"CsvQuotedNewline", "CrLf", "BlankLines", "CsvHeader", "Utf8Bom"} & set(found)
    assert codes(tmp_path / "b", {"a.csv": gz(CLEAN)}, TransformInput={"CompressionType": "Gzip"}) == []


def test_gzip_declared_but_bytes_are_plain(tmp_path):
    prepared, found = plan_job(tmp_path, {"a.csv": CLEAN}, TransformInput={"CompressionType": "Gzip"})
    assert [w.code for w in found.warnings] == ["NotGzip"]
    assert "the file will fail" in found.warnings[0].message
    assert "CompressionType" in found.warnings[0].fix


def test_gzip_inputs_are_linted_after_decompression(tmp_path):
    found = codes(tmp_path, {"a.csv": gz(far(b"1,2\n\n3,4\n"))}, TransformInput={"CompressionType": "Gzip"})
    assert found == ["BlankLines"]


def test_binary_line_input_gets_no_text_warning(tmp_path):
    body = bytes(range(256)) * 400 + b'"\n\n\r\n'
    assert codes(tmp_path, {"a.bin": body}, TransformInput={"ContentType": "text/csv"}) == []


def test_data_processing_that_can_never_apply(tmp_path):
    found = codes(tmp_path / "a", {"a.csv": CLEAN},
                  DataProcessing={"InputFilter": "$[1]", "JoinSource": "Input"},
                  TransformOutput={"Accept": "application/jsonlines"})
    assert found == ["DataProcessingUnusable"]
    assert codes(tmp_path / "b", {"a.csv": CLEAN}, DataProcessing={"InputFilter": "$[1]", "JoinSource": "Input"}) \
        == []


def test_input_filter_that_fails_on_this_input(tmp_path):
    body = b'{"features": [1, 2]}\n' * 20_000 + b'{"other": 3}\n'
    jsonl = {"TransformInput": {"ContentType": "application/jsonlines"},
             "DataProcessing": {"InputFilter": "$.features"}}
    (w,) = plan_job(tmp_path / "a", {"a.jsonl": body}, **jsonl)[1].warnings
    assert w.code == "InputFilterFails" and "record 20000" in w.message
    assert codes(tmp_path / "b", {"a.jsonl": body[:-13]}, **jsonl) == []


def test_surprising_accept_and_assemble_with_pairs(tmp_path):
    two_batches = {"a.csv": b"1,2\n" * 300_000}  # 1.2 MB: two mini-batches under MaxPayloadInMB 1
    assert codes(tmp_path / "a", two_batches, MaxPayloadInMB=1, TransformOutput={"AssembleWith": "None"}) \
        == ["AssembleNoneText"]
    assert codes(tmp_path / "b", two_batches, MaxPayloadInMB=1,
                 TransformOutput={"AssembleWith": "Line", "Accept": "application/json"}) == ["AssembleJson"]
    assert codes(tmp_path / "c", {"a.csv": CLEAN}, TransformOutput={"Accept": "application/x-recordio-protobuf"}) \
        == ["AssembleLineBinary"]
    # quiet: one mini-batch joins nothing; Line with text answers is the usual pair
    assert codes(tmp_path / "d", {"a.csv": CLEAN}, TransformOutput={"AssembleWith": "None"}) == []
    assert codes(tmp_path / "e", two_batches, MaxPayloadInMB=1) == []


def test_output_path_under_the_input_prefix(tmp_path):
    from emulator.transform import prepare
    from tests.engine.jobs import SAMPLES, job_request

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_bytes(CLEAN)

    def warned(output: str) -> list[str]:
        request = job_request("plan-job", str(tmp_path / "data"), str(tmp_path / output))
        return [w.code for w in prepare(request, model_dir=str(SAMPLES / "echo")).plan.warnings]

    assert warned("data-out") == ["OutputUnderInput"]  # the prefix "data" selects "data-out/..."
    assert warned("data/out") == ["OutputUnderInput"]
    assert warned("results") == []


def test_output_path_under_the_input_prefix_on_s3(s3_server, s3_bucket):
    from emulator.transform import prepare
    from tests.engine.jobs import SAMPLES, job_request

    s3_server.client().put_object(Bucket=s3_bucket, Key="data/a.csv", Body=CLEAN)

    def warned(output: str) -> list[str]:
        request = job_request("plan-job", f"s3://{s3_bucket}/data", f"s3://{s3_bucket}/{output}")
        prepared = prepare(request, model_dir=str(SAMPLES / "echo"), s3_endpoint_url=s3_server.endpoint_url)
        return [w.code for w in prepared.plan.warnings]

    assert warned("data-out") == ["OutputUnderInput"]
    assert warned("out") == []


def test_outputs_already_in_the_output_path(tmp_path):
    files = {"a.csv": CLEAN, "b.csv": CLEAN}
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "other.csv.out").write_bytes(b"not ours\n")
    assert codes(tmp_path, files) == []
    (tmp_path / "out" / "b.csv.out").write_bytes(b"an earlier run\n")
    prepared, found = plan_job(tmp_path, files)
    (w,) = found.warnings
    assert w.code == "StaleOutputs" and "1 .out file(s)" in w.message and "b.csv.out" in w.message


def test_bad_framing_anywhere_in_a_recordio_file(tmp_path):
    from emulator.data import recordio_encode

    good = b"".join(recordio_encode(b"r%d" % i * 50) for i in range(5000))  # ~1 MB: past any head
    recordio = {"TransformInput": {"SplitType": "RecordIO", "ContentType": "application/x-recordio"},
                "TransformOutput": {"AssembleWith": "None"}}
    (w,) = plan_job(tmp_path / "a", {"a.rec": good + b"\x00garbage!"}, **recordio)[1].warnings
    assert w.code == "BadFraming" and "RecordIO" in w.fix
    assert codes(tmp_path / "b", {"a.rec": good}, **recordio) == []


def test_idle_instances(tmp_path):
    assert codes(tmp_path / "a", {"a.csv": CLEAN}, TransformResources={"InstanceCount": 2}) == ["idle-instances"]
    assert codes(tmp_path / "b", {"a.csv": CLEAN, "b.csv": CLEAN}, TransformResources={"InstanceCount": 2}) == []
