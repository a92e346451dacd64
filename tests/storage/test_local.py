"""Local folders behave like S3 prefixes; local outputs appear whole or not at all."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from emulator.storage import (
    CorruptInput,
    ManifestError,
    NoObjectsFound,
    ObjectMissing,
    OutputNameCollision,
    UnsupportedDataSource,
    check_output_path,
    delete_output,
    list_inputs,
    open_input,
    open_output,
    output_uri,
)


def make(root: Path, files: dict[str, bytes]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    make(
        tmp_path,
        {
            "in/b.csv": b"b\n",
            "in/a.csv": b"a\n",
            "in/sub/deep/c.csv": b"c\n",
            "in/empty.csv": b"",
            "in_more/d.csv": b"d\n",
            "in.csv": b"top\n",
            "other/e.csv": b"e\n",
        },
    )
    return tmp_path


def test_folder_without_slash_is_a_raw_prefix_like_s3(tree: Path) -> None:
    inputs = list_inputs(str(tree / "in"))
    assert [(o.display_name, o.relative_name, o.size) for o in inputs] == [
        (f"{tree}/in.csv", "in.csv", 4),
        (f"{tree}/in/a.csv", "a.csv", 2),
        (f"{tree}/in/b.csv", "b.csv", 2),
        (f"{tree}/in/empty.csv", "empty.csv", 0),
        (f"{tree}/in/sub/deep/c.csv", "sub/deep/c.csv", 2),
        (f"{tree}/in_more/d.csv", "in_more/d.csv", 2),
    ]
    assert inputs[1].uri == f"file://{tree}/in/a.csv"


def test_trailing_slash_selects_the_folder_only_and_file_uris_work(tree: Path) -> None:
    names = [o.relative_name for o in list_inputs(f"file://{tree}/in/")]
    assert names == ["a.csv", "b.csv", "empty.csv", "sub/deep/c.csv"]


def test_a_path_naming_one_file_selects_it(tree: Path) -> None:
    [obj] = list_inputs(str(tree / "in" / "sub" / "deep" / "c.csv"))
    assert obj.relative_name == "c.csv"
    assert b"".join(open_input(obj)) == b"c\n"


def test_relative_paths_are_resolved(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    assert [o.relative_name for o in list_inputs("other/")] == ["e.csv"]


def test_empty_prefix_fails_naming_the_path(tree: Path) -> None:
    with pytest.raises(NoObjectsFound) as info:
        list_inputs(str(tree / "nothing-here"))
    assert f'No files found under local path "{tree}/nothing-here"' in str(info.value)
    assert info.value.code == "ValidationException"
    for missing in ("no/such/folder/", "in.csv/below"):
        with pytest.raises(NoObjectsFound, match=f'"{tree}/{missing}"'):
            list_inputs(str(tree / missing) + ("/" if missing.endswith("/") else ""))


def test_open_input_streams_in_chunks(tmp_path: Path) -> None:
    make(tmp_path, {"big.bin": bytes(range(256)) * 40})
    chunks = list(open_input(str(tmp_path / "big.bin"), chunk_size=1000))
    assert [len(c) for c in chunks] == [1000] * 10 + [240]
    assert b"".join(chunks) == bytes(range(256)) * 40


def test_a_local_file_is_also_readable_by_offset(tmp_path: Path) -> None:
    """The data plane reads mini-batch bodies of a local file by offset (one read each)."""
    path = tmp_path / "in.csv"
    path.write_bytes(b"0123456789" * 100)
    reader = open_input(str(path))
    assert reader.size == 1000  # type: ignore[attr-defined]
    assert reader.read_at(995, 10) == b"56789"  # type: ignore[attr-defined]
    assert reader.read_at(10, 3) == b"012"  # type: ignore[attr-defined]


def test_a_named_pipe_is_read_as_a_stream(tmp_path: Path) -> None:
    """A pipe has no size and no offsets: it is read in order, to its end."""
    import threading

    from emulator.data import iter_minibatches

    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"a\nb\nc\n"))
    writer.start()
    batches = iter_minibatches(open_input(str(fifo)), split_type="Line", batch_strategy="MultiRecord",
                               max_payload_bytes=4)
    assert [b.body for b in batches] == [b"a\nb\n", b"c\n"]
    writer.join()


def test_gzip_is_decompressed_while_streaming(tmp_path: Path) -> None:
    body = b"".join(b"%d,%d\n" % (i, i * i) for i in range(50_000))
    # Two concatenated members, as `cat a.gz b.gz` makes: one valid gzip stream.
    make(tmp_path, {"x.csv.gz": gzip.compress(body) + gzip.compress(b"tail\n")})
    [obj] = list_inputs(str(tmp_path / "x.csv.gz"))
    assert output_uri(str(tmp_path / "out"), obj) == f"{tmp_path}/out/x.csv.gz.out"
    raw = b"".join(open_input(obj))
    assert raw.startswith(b"\x1f\x8b")
    chunks = list(open_input(obj, compression="Gzip", chunk_size=4096))
    assert max(len(c) for c in chunks) <= 4096
    assert b"".join(chunks) == body + b"tail\n"


def test_corrupt_and_truncated_gzip_name_the_file(tmp_path: Path) -> None:
    whole = gzip.compress(b"x" * 100_000)
    make(tmp_path, {"bad.gz": b"not gzip at all", "cut.gz": whole[: len(whole) // 2]})
    with pytest.raises(CorruptInput, match=r'".*/bad.gz" is not valid gzip near compressed byte 0'):
        b"".join(open_input(str(tmp_path / "bad.gz"), compression="Gzip"))
    with pytest.raises(CorruptInput, match=r"cut.gz\" ends in the middle of a gzip stream"):
        b"".join(open_input(str(tmp_path / "cut.gz"), compression="Gzip"))


def test_manifest_file(tmp_path: Path) -> None:
    make(tmp_path, {"data/p/one.csv": b"1\n", "data/p/sub/two.csv": b"2\n", "data/p/skip.csv": b"no\n"})
    manifest = tmp_path / "m.manifest"
    manifest.write_text(json.dumps([{"prefix": f"{tmp_path}/data/p/"}, "sub/two.csv", "one.csv"]))
    inputs = list_inputs(str(manifest), "ManifestFile")
    # Manifest order is kept; the manifest itself is not an input.
    assert [(o.relative_name, o.size) for o in inputs] == [("sub/two.csv", 2), ("one.csv", 2)]
    assert b"".join(open_input(inputs[0])) == b"2\n"


def test_manifest_naming_missing_files_fails_listing_them(tmp_path: Path) -> None:
    make(tmp_path, {"p/one.csv": b"1\n"})
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{"prefix": f"{tmp_path}/p/"}, "one.csv", "gone.csv", "also/gone.csv"]))
    with pytest.raises(ObjectMissing) as info:
        list_inputs(str(manifest), "ManifestFile")
    assert "names 2 object(s) that do not exist" in str(info.value)
    assert f'"{tmp_path}/p/gone.csv", "{tmp_path}/p/also/gone.csv"' in str(info.value)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "is not valid JSON"),
        (b'{"prefix": "/x/"}', "is not a non-empty JSON array"),
        (b'["a.csv"]', 'must start with {"prefix": "..."}'),
        (b'[{"prefix": "/x/"}]', "lists no objects after its prefix"),
        (b'[{"prefix": "/x/"}, 3]', "entry 1 (3) is not the relative key"),
    ],
)
def test_bad_manifests_say_what_is_wrong(tmp_path: Path, body: bytes, words: str) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_bytes(body)
    with pytest.raises(ManifestError) as info:
        list_inputs(str(manifest), "ManifestFile")
    assert words in str(info.value)
    assert str(manifest) in str(info.value)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="Cannot read manifest file"):
        list_inputs(str(tmp_path / "nope.json"), "ManifestFile")


def test_augmented_manifest_is_rejected_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedDataSource) as info:
        list_inputs(str(tmp_path / "x.jsonl"), "AugmentedManifestFile")
    assert "not compatible with batch transform" in str(info.value)
    assert info.value.code == "ValidationException"


def test_two_inputs_with_one_output_name_are_refused(tmp_path: Path) -> None:
    make(tmp_path, {"test/test_x/a.csv": b"1", "test_x/a.csv": b"2"})
    with pytest.raises(OutputNameCollision, match=r'both be written as "test_x/a.csv.out"'):
        list_inputs(str(tmp_path / "test"))


def test_output_is_renamed_into_place_on_commit(tmp_path: Path) -> None:
    target = output_uri(str(tmp_path / "out"), "sub/a.csv")
    with open_output(target, kms_key_id="ignored-locally") as out:
        out.write(b"hello ")
        # Nothing visible under the final name until the commit.
        assert not Path(target).exists()
        out.write(b"world")
    assert Path(target).read_bytes() == b"hello world"
    assert out.state == "committed" and out.bytes_written == 11
    assert sorted(os.listdir(tmp_path / "out" / "sub")) == ["a.csv.out"]
    mode = Path(target).stat().st_mode & 0o777
    assert mode & 0o044  # normal permissions, not mkstemp's 0600


def test_failed_output_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.csv.out"
    with pytest.raises(RuntimeError, match="model failed"):
        with open_output(str(target)) as out:
            out.write(b"partial")
            raise RuntimeError("model failed")
    assert out.state == "aborted"
    assert os.listdir(tmp_path / "out") == []


def test_partial_outputs_are_never_listed_as_inputs(tmp_path: Path) -> None:
    make(tmp_path, {"d/in.csv": b"x"})
    writer = open_output(str(tmp_path / "d" / "in.csv.out"))
    writer.write(b"half")
    assert [o.relative_name for o in list_inputs(str(tmp_path / "d/"))] == ["in.csv"]
    writer.abort()


def test_check_output_path_creates_the_folder(tmp_path: Path) -> None:
    check_output_path(str(tmp_path / "new" / "out"))
    assert (tmp_path / "new" / "out").is_dir()
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(Exception, match="exists and is not a folder"):
        check_output_path(str(tmp_path / "file"))


def test_delete_output(tmp_path: Path) -> None:
    target = str(tmp_path / "a.out")
    with open_output(target) as out:
        out.write(b"x")
    delete_output(target)
    assert os.listdir(tmp_path) == []
    delete_output(target)  # already gone: no error
