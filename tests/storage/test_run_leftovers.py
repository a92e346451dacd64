"""A killed run's temporaries and open uploads, found by its run id and start time, on a
local folder and on a real S3 server; nothing of another run is touched."""

from __future__ import annotations


from emulator.storage.leftovers import remove_run_leftovers

DEAD, OTHER = "r20261203t080000-aaaaaa", "r20261203t080001-bbbbbb"


def test_local_temporaries_of_the_dead_run_go_and_nothing_else(tmp_path):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    names = {
        out / f".a.csv.out.{DEAD}.x1y2.bte-partial": False,
        out / "sub" / f".b.csv.out.{DEAD}.bte-replaced": False,
        out / f".a.csv.out.{OTHER}.z9.bte-partial": True,  # another run's
        out / "a.csv.out": True,
        out / f"{DEAD}.csv.out": True,  # an output whose name happens to hold the id
    }
    for path in names:
        path.write_bytes(b"x")
    removed = remove_run_leftovers(str(out), DEAD)
    assert sorted(removed) == sorted(str(p) for p, stays in names.items() if not stays)
    assert {p: p.exists() for p in names} == names


def test_s3_the_dead_runs_uploads_are_aborted_and_nothing_of_another_run_is_touched(s3_server, s3_bucket):
    s3 = s3_server.client()

    def begin(key: str) -> str:
        upload: str = s3.create_multipart_upload(Bucket=s3_bucket, Key=key)["UploadId"]
        return upload

    dead = begin("out/b.csv.out")
    finished = begin("out/d.csv.out")  # the dead run completed this one before it was killed
    s3.complete_multipart_upload(Bucket=s3_bucket, Key="out/d.csv.out", UploadId=finished, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": s3.upload_part(Bucket=s3_bucket, Key="out/d.csv.out", UploadId=finished,
                                                           PartNumber=1, Body=b"x")["ETag"]}]})
    live = begin("out/b.csv.out")  # another run writing the same output now
    for key in (f"out/.b.csv.out.{DEAD}.bte-replaced", f"out/.b.csv.out.{OTHER}.bte-replaced", "out/b.csv.out"):
        s3.put_object(Bucket=s3_bucket, Key=key, Body=b"x")

    removed = remove_run_leftovers(
        f"s3://{s3_bucket}/out", DEAD, s3_endpoint_url=s3_server.endpoint_url,
        uploads=[(f"s3://{s3_bucket}/out/b.csv.out", dead), (f"s3://{s3_bucket}/out/d.csv.out", finished)],
    )
    assert removed == [f"s3://{s3_bucket}/out/.b.csv.out.{DEAD}.bte-replaced",
                       f"s3://{s3_bucket}/out/b.csv.out (multipart upload {dead} aborted)"]
    left = {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])}
    assert left == {live}
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert keys == {f"out/.b.csv.out.{OTHER}.bte-replaced", "out/b.csv.out", "out/d.csv.out"}
