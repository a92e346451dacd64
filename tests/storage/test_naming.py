"""The naming rules (reference §6.4) and URI parsing, as pure functions."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.storage import UnsupportedUri
from emulator.storage.naming import output_uri, relative_name
from emulator.storage.uri import LocalLocation, S3Location, file_uri, parse_uri


@pytest.mark.parametrize(
    ("prefix", "key", "expected"),
    [
        # Observed on the service: prefix without "/" over a folder -> flat names.
        ("batch_transform", "batch_transform/0.png", "0.png"),
        # Observed: the prefix names one object -> its file name.
        ("sagemaker/batch/batch_data.csv", "sagemaker/batch/batch_data.csv", "batch_data.csv"),
        ("in/", "in/sub/deep/a.csv", "sub/deep/a.csv"),
        ("in", "in/sub/a.csv", "sub/a.csv"),
        ("", "top.csv", "top.csv"),
        ("", "a/b.csv", "a/b.csv"),
        # Decided here: a prefix ending inside a segment names from that segment.
        ("test", "test_small/a.csv", "test_small/a.csv"),
        ("data/part", "data/part-0001.csv", "part-0001.csv"),
        ("in//", "in//x.csv", "x.csv"),
        ("x.csv.gz", "x.csv.gz", "x.csv.gz"),
    ],
)
def test_relative_name(prefix: str, key: str, expected: str) -> None:
    assert relative_name(prefix, key) == expected


def test_relative_name_literal_policy_is_switchable() -> None:
    assert relative_name("data/part", "data/part-0001.csv", partial_segment="literal") == "-0001.csv"
    assert relative_name("in", "in/a.csv", partial_segment="literal") == "a.csv"


@given(st.text(alphabet="ab/_.", max_size=12), st.text(alphabet="ab/_.", max_size=12))
def test_relative_name_is_a_suffix_of_the_key_without_leading_slash(prefix: str, rest: str) -> None:
    key = prefix + rest
    name = relative_name(prefix, key)
    assert key.endswith(name)
    assert not name.startswith("/")


@pytest.mark.parametrize(
    ("output_path", "expected"),
    [
        ("s3://out-bucket/results", "s3://out-bucket/results/sub/a.csv.out"),
        ("s3://out-bucket/results/", "s3://out-bucket/results/sub/a.csv.out"),
        ("s3://out-bucket", "s3://out-bucket/sub/a.csv.out"),
        ("s3://out-bucket/", "s3://out-bucket/sub/a.csv.out"),
        ("/tmp/out", "/tmp/out/sub/a.csv.out"),
        ("/tmp/out/", "/tmp/out/sub/a.csv.out"),
        ("file:///tmp/out", "file:///tmp/out/sub/a.csv.out"),
        ("file:///", "file:///sub/a.csv.out"),
    ],
)
def test_output_uri(output_path: str, expected: str) -> None:
    assert output_uri(output_path, "sub/a.csv") == expected


def test_output_uri_quotes_names_inside_file_uris() -> None:
    uri = output_uri("file:///tmp/out", "a b%.csv")
    assert uri == "file:///tmp/out/a%20b%25.csv.out"
    assert parse_uri(uri) == LocalLocation("/tmp/out/a b%.csv.out")


def test_parse_s3_uris_take_keys_verbatim() -> None:
    assert parse_uri("s3://bucket/a b?c#d%20") == S3Location("bucket", "a b?c#d%20")
    assert parse_uri("s3://bucket") == S3Location("bucket", "")
    assert parse_uri("S3://bucket/k/") == S3Location("bucket", "k/")


def test_parse_local_paths_keep_trailing_slash(tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_uri("in/") == LocalLocation(f"{tmp_path}/in/")
    assert parse_uri("in") == LocalLocation(f"{tmp_path}/in")
    assert parse_uri("file:///d/x%20y/") == LocalLocation("/d/x y/")
    assert parse_uri("file://localhost/d/x") == LocalLocation("/d/x")
    assert parse_uri(file_uri("/d/a b+c")) == LocalLocation("/d/a b+c")


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("gs://bucket/x", "Unsupported URI \"gs://bucket/x\""),
        ("s3:///key", "names no bucket"),
        ("file://server/share/x", 'names host "server"'),
        ("", "Empty URI"),
    ],
)
def test_bad_uris_are_named(uri: str, words: str) -> None:
    with pytest.raises(UnsupportedUri) as info:
        parse_uri(uri)
    assert words in str(info.value)
    assert info.value.code == "ValidationException"
