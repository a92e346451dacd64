"""A committed output can be taken back (a stopped run) or kept for good (a finished run).

Taking back puts back whatever the commit replaced and removes what it created, and never
touches an object that another run has written at the same place since."""

from __future__ import annotations

from pathlib import Path
import pytest
from botocore.exceptions import ClientError

from emulator.storage import open_output
from tests.fixtures.s3 import S3_SERVER_KINDS, S3Server


def commit(uri: str, data: bytes, run_id: str) -> object:
    writer = open_output(uri, run_id=run_id)
    writer.write(data)
    writer.commit()
    return writer


class LocalPlace:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.uri = str(root / "a.csv.out")

    def read(self) -> bytes | None:
        path = self.root / "a.csv.out"
        return path.read_bytes() if path.exists() else None

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.name != "a.csv.out")


class S3Place:
    def __init__(self, server: S3Server, bucket: str) -> None:
        self.client = server.client()
        self.bucket = bucket
        self.uri = f"s3://{bucket}/out/a.csv.out"

    def read(self) -> bytes | None:
        try:
            return bytes(self.client.get_object(Bucket=self.bucket, Key="out/a.csv.out")["Body"].read())
        except ClientError:
            return None

    def leftovers(self) -> list[str]:
        keys = [o["Key"] for o in self.client.list_objects_v2(Bucket=self.bucket).get("Contents", [])]
        uploads = self.client.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        return sorted(k for k in keys if k != "out/a.csv.out") + [u["Key"] for u in uploads]


@pytest.fixture(params=["local", *S3_SERVER_KINDS])
def place(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalPlace | S3Place:
    if request.param == "local":
        return LocalPlace(tmp_path)
    server: S3Server = request.getfixturevalue(f"{request.param}_s3_server")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server.endpoint_url)
    bucket = server.new_bucket()
    request.addfinalizer(lambda: server.remove_bucket(bucket))
    return S3Place(server, bucket)


Place = LocalPlace | S3Place


def test_undo_of_a_new_output_removes_it(place: Place) -> None:
    writer = commit(place.uri, b"new\n", "run1")
    assert place.read() == b"new\n"
    writer.undo()  # type: ignore[attr-defined]
    assert place.read() is None
    assert place.leftovers() == []


def test_undo_of_a_replacing_output_puts_the_earlier_one_back(place: Place) -> None:
    commit(place.uri, b"earlier, complete\n", "run1").settle()  # type: ignore[attr-defined]
    writer = commit(place.uri, b"rerun\n", "run2")
    assert place.read() == b"rerun\n"
    writer.undo()  # type: ignore[attr-defined]
    assert place.read() == b"earlier, complete\n"
    assert place.leftovers() == []


def test_settle_keeps_the_new_output_and_drops_the_kept_copy(place: Place) -> None:
    commit(place.uri, b"earlier\n", "run1").settle()  # type: ignore[attr-defined]
    writer = commit(place.uri, b"newer\n", "run2")
    assert len(place.leftovers()) == 1  # the kept copy, while run2 goes on
    writer.settle()  # type: ignore[attr-defined]
    writer.undo()  # type: ignore[attr-defined]  # settled is final
    assert place.read() == b"newer\n"
    assert place.leftovers() == []


def test_undo_leaves_what_another_run_wrote_since(place: Place) -> None:
    stopped = commit(place.uri, b"stopped run\n", "run1")
    commit(place.uri, b"other job, completed\n", "run2").settle()  # type: ignore[attr-defined]
    stopped.undo()  # type: ignore[attr-defined]
    assert place.read() == b"other job, completed\n"
    assert place.leftovers() == []


def test_kept_copies_are_never_listed_as_inputs(tmp_path: Path) -> None:
    from emulator.storage import list_inputs

    place = LocalPlace(tmp_path)
    commit(place.uri, b"1\n", "run1").settle()  # type: ignore[attr-defined]
    commit(place.uri, b"2\n", "run2")  # not settled: a kept copy lies beside it
    names = [o.relative_name for o in list_inputs(str(tmp_path) + "/", "S3Prefix")]
    assert names == ["a.csv.out"]
