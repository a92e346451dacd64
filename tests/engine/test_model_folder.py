"""The model folder as the service gives it to a container: the archive's files and nothing
of bte's, readable by a serving image that runs as a non-root user, fetched again when the
model object changes (sample image ``model-files``: uid 1000, reports its /opt/ml/model)."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from emulator import run_transform_job
from tests.engine.jobs import job_request, model_request

ARCHIVE_FILES = {"weights.txt": "w1", "sub/config.json": '{"layers": 2}'}


def model_tar_gz(files: dict[str, str], mode: int = 0o600) -> bytes:
    """A model.tar.gz whose files and folders only their owner may read (as `tar` keeps
    the modes a training job's files had)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        folders = sorted({str(Path(name).parent) for name in files} - {"."})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o700
            tar.addfile(info)
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BTE_CACHE_DIR", str(tmp_path / "cache"))


def run_model_files(tmp_path: Path, name: str, model_data_url: str, sample_image, **kwargs) -> dict:
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in" / "a.csv").write_text("1\n")
    model = model_request("echo", sample_image("model-files"))
    model["PrimaryContainer"]["ModelDataUrl"] = model_data_url
    request = job_request(name, str(tmp_path / "in"), str(tmp_path / name))
    result = run_transform_job(request, model=model, runtime="docker", runtime_options={"network": "host"},
                               ping_timeout_s=30, **kwargs)
    assert result.status == "Completed", (result.failure_reason, result.failure_detail)
    return json.loads((tmp_path / name / "a.csv.out").read_text())


def test_a_non_root_container_reads_exactly_the_archives_files(tmp_path, sample_image, s3_server, s3_bucket):
    s3_server.client().put_object(Bucket=s3_bucket, Key="model/model.tar.gz", Body=model_tar_gz(ARCHIVE_FILES))
    report = run_model_files(tmp_path, "non-root", f"s3://{s3_bucket}/model/model.tar.gz", sample_image,
                             s3_endpoint_url=s3_server.endpoint_url)
    assert report == {"uid": 1000, "files": ARCHIVE_FILES}  # nothing of bte's (no cache marker), all readable


def test_a_changed_model_under_the_same_key_is_fetched_again_and_bte_says_so(
        tmp_path, sample_image, s3_server, s3_bucket):
    from emulator.transform import prepare

    url = f"s3://{s3_bucket}/model/model.tar.gz"
    s3 = s3_server.client()
    s3.put_object(Bucket=s3_bucket, Key="model/model.tar.gz", Body=model_tar_gz({"weights.txt": "v1"}))
    first = run_model_files(tmp_path, "model-v1", url, sample_image, s3_endpoint_url=s3_server.endpoint_url)
    assert first["files"] == {"weights.txt": "v1"}

    s3.put_object(Bucket=s3_bucket, Key="model/model.tar.gz", Body=model_tar_gz({"weights.txt": "v2, longer"}))
    model = model_request("echo", sample_image("model-files"))
    model["PrimaryContainer"]["ModelDataUrl"] = url
    request = job_request("model-v2", str(tmp_path / "in"), str(tmp_path / "model-v2"))
    prepared = prepare(request, model=model, runtime="docker", s3_endpoint_url=s3_server.endpoint_url)
    [note] = prepared.source.notes
    assert note.startswith(f"the model data at {url} changed since bte last fetched it (ETag ")
    assert note.endswith("fetched again")
    second = run_model_files(tmp_path, "model-v2", url, sample_image, s3_endpoint_url=s3_server.endpoint_url)
    assert second["files"] == {"weights.txt": "v2, longer"}


def test_while_ping_is_not_healthy_bte_run_shows_the_containers_latest_lines(tmp_path, sample_image, monkeypatch):
    """A model folder given as a folder is mounted as it is: one that only root may read
    stops a non-root server from loading; its log says why at once, and so does bte run,
    long before the start timeout ends."""
    import subprocess
    import sys

    monkeypatch.setenv("BTE_DOCKER_NETWORK", "host")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("1\n")
    folder = tmp_path / "model"
    folder.mkdir(mode=0o700)
    (folder / "weights.txt").write_text("w")
    model = model_request("echo", sample_image("model-files"))
    model["PrimaryContainer"]["ModelDataUrl"] = str(folder)
    (tmp_path / "model.json").write_text(json.dumps(model))
    (tmp_path / "job.json").write_text(json.dumps(job_request("unreadable", str(tmp_path / "in"), str(tmp_path / "out"))))
    done = subprocess.run([sys.executable, "-m", "emulator.cli", "run", str(tmp_path / "job.json"), "--model",
                           str(tmp_path / "model.json"), "--ping-timeout", "15"],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    [notice] = [n for n, line in enumerate(lines) if "not healthy after" in line]
    assert re.fullmatch(
        r"unreadable-1 not healthy after 10 s \(/ping answered 500\); its latest log lines: model-files: cannot "
        r"load the model: \[Errno 13\] Permission denied: '/opt/ml/model' \| model-files: uid 1000, listening on "
        r"127\.0\.0\.1:\d+, model dir /opt/ml/model", lines[notice]), lines[notice]
    failed = next(n for n, line in enumerate(lines) if line.startswith("FailureReason: "))
    assert notice < failed  # shown while it waited, not at the end
