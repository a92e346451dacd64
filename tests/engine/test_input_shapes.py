"""Input shapes through a whole job: TFRecord, RecordIO, ManifestFile, empty files."""

from __future__ import annotations

import json

import pytest

from emulator import data, run_transform_job
from tests.engine.jobs import job_request


@pytest.mark.parametrize("split_type, encode", [("TFRecord", data.tfrecord_encode), ("RecordIO", data.recordio_encode)])
def test_framed_records_multirecord_sends_frames_singlerecord_sends_payloads(tmp_path, process_target, split_type,
                                                                             encode):
    payloads = [b"alpha", b"beta-beta", b"", b"g" * 1000]
    framed = b"".join(encode(p) for p in payloads)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "recs.bin").write_bytes(framed)
    common = dict(TransformInput={"SplitType": split_type, "ContentType": "application/octet-stream"},
                  TransformOutput={"AssembleWith": "None"})
    multi = job_request("framed-multi", str(tmp_path / "in"), str(tmp_path / "multi"),
                        BatchStrategy="MultiRecord", **common)
    result = run_transform_job(multi, **process_target.kwargs("echo"))
    assert result.status == "Completed", result.failure_reason
    assert (tmp_path / "multi" / "recs.bin.out").read_bytes() == framed  # whole frames, as in the file

    single = job_request("framed-single", str(tmp_path / "in"), str(tmp_path / "single"),
                         BatchStrategy="SingleRecord", MaxConcurrentTransforms=3, **common)
    result = run_transform_job(single, **process_target.kwargs("echo"))
    assert result.status == "Completed", result.failure_reason
    assert (tmp_path / "single" / "recs.bin.out").read_bytes() == b"".join(payloads)  # framing removed, in order


def test_corrupt_tfrecord_fails_the_file_naming_the_byte_offset(tmp_path, process_target):
    good = data.tfrecord_encode(b"ok")
    bad = bytearray(data.tfrecord_encode(b"broken"))
    bad[-1] ^= 0xFF  # data CRC no longer matches
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "r.tfrecord").write_bytes(good + bytes(bad))
    request = job_request("tfrecord-bad", str(tmp_path / "in"), str(tmp_path / "out"),
                          TransformInput={"SplitType": "TFRecord"})
    result = run_transform_job(request, **process_target.kwargs("echo"))
    assert result.status == "Failed"
    assert result.failure_reason == "ClientError: See job logs for more information"
    assert "r.tfrecord" in result.failure_detail and str(len(good)) in result.failure_detail
    assert not (tmp_path / "out" / "r.tfrecord.out").exists()


def test_manifest_file_names_the_inputs_and_is_not_itself_sent(tmp_path, process_target):
    (tmp_path / "data" / "x").mkdir(parents=True)
    (tmp_path / "data" / "x" / "one.csv").write_text("1\n")
    (tmp_path / "data" / "two.csv").write_text("2\n")
    (tmp_path / "data" / "skipped.csv").write_text("3\n")
    manifest = tmp_path / "inputs.manifest"
    manifest.write_text(json.dumps([{"prefix": f"{tmp_path / 'data'}/"}, "x/one.csv", "two.csv"]))
    request = job_request("manifest", str(manifest), str(tmp_path / "out"),
                          TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "ManifestFile"}}})
    result = run_transform_job(request, **process_target.kwargs("echo"))
    assert result.status == "Completed", result.failure_reason
    outputs = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.out"))
    assert outputs == ["two.csv.out", "x/one.csv.out"]
    assert (tmp_path / "out" / "x" / "one.csv.out").read_text() == "1\n"


def test_an_empty_input_file_gets_an_empty_output_and_no_request(tmp_path, process_target):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.csv").write_bytes(b"")
    (tmp_path / "in" / "full.csv").write_text("5\n")
    request = job_request("empty-file", str(tmp_path / "in"), str(tmp_path / "out"))
    result = run_transform_job(request, **process_target.kwargs("echo"))
    assert result.status == "Completed", result.failure_reason
    assert (tmp_path / "out" / "empty.csv.out").read_bytes() == b""
    assert (tmp_path / "out" / "full.csv.out").read_text() == "5\n"
    assert {e.source.rsplit("/", 1)[-1] for e in result.log.events if type(e).__name__ == "MiniBatchSent"} == {
        "full.csv"}


def test_max_payload_zero_streams_the_whole_object_in_one_request(tmp_path, target):
    from tests.engine.jobs import ContainerProbe

    body = b"".join(f"{i:08d},{'z' * 90}\n".encode() for i in range(120_000))  # ~12 MB, over the 6 MB default
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.csv").write_bytes(body)
    probe = ContainerProbe()
    request = job_request("stream-whole", str(tmp_path / "in"), str(tmp_path / "out"), MaxPayloadInMB=0,
                          TransformInput={"SplitType": "None"})
    result = run_transform_job(request, listeners=[probe], **target.kwargs("echo"))
    assert result.status == "Completed", result.failure_reason
    [stats] = probe.stats.values()
    assert stats["requests"] == 1 and stats["sizes"] == [len(body)]
    assert (tmp_path / "out" / "big.csv.out").read_bytes() == body


def test_a_streamed_object_is_sent_whole_again_on_each_retry_then_fails_cleanly(tmp_path, process_target):
    from tests.engine.jobs import ContainerProbe

    body = b"x,1\n" * 1000
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_bytes(body)
    probe = ContainerProbe()
    request = job_request("stream-retry", str(tmp_path / "in"), str(tmp_path / "out"), MaxPayloadInMB=0,
                          TransformInput={"SplitType": "None"}, ModelClientConfig={"InvocationsMaxRetries": 2})
    result = run_transform_job(request, listeners=[probe],
                               **process_target.kwargs("echo", env={"ECHO_FAIL_EVERY_N": "1"}))
    assert result.status == "Failed"
    assert result.failure_reason == "AlgorithmError: See job logs for more information"
    assert "a.csv: mini-batch 0" in result.failure_detail and "failed after 3 attempt(s)" in result.failure_detail
    [stats] = probe.stats.values()
    assert stats["sizes"] == [len(body)] * 3
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
