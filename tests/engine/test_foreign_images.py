"""bte runs images it did not build the shim into: a plain standard-library HTTP server,
and a real serving library from PyPI (inference-server under gunicorn)."""

from __future__ import annotations

from emulator import run_transform_job
from emulator.engine import events as ev
from tests.engine.jobs import job_request, model_request


def docker_kwargs(image: str, name: str) -> dict:
    return {"model": model_request(name, image), "runtime": "docker", "runtime_options": {"network": "host"}}


def test_plain_http_container_without_our_shim(tmp_path, sample_image):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "words.txt").write_bytes(b"hello\nbatch transform\n")
    request = job_request("plain-http", str(tmp_path / "in"), str(tmp_path / "out"), ModelName="plain",
                          TransformInput={"ContentType": "text/plain"})
    result = run_transform_job(request, **docker_kwargs(sample_image("plain-http"), "plain"))
    assert result.status == "Completed", result.failure_reason
    assert (tmp_path / "out" / "words.txt.out").read_bytes() == b"HELLO\nBATCH TRANSFORM\n"
    [params] = result.log.of(ev.ParametersResolved)
    assert set(params.sources.values()) == {"default"}  # it answers 404 on /execution-parameters


def test_third_party_serving_library_and_its_execution_parameters(tmp_path, sample_image):
    rows = [(1, 1, 1, 1), (0, 0, 0, 0), (2, 0, 1, 0)]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "rows.csv").write_text("".join(",".join(map(str, r)) + "\n" for r in rows))
    request = job_request("third-party", str(tmp_path / "in"), str(tmp_path / "out"), ModelName="scale",
                          TransformOutput={"Accept": "text/csv"})
    result = run_transform_job(request, **docker_kwargs(sample_image("third-party"), "scale"))
    assert result.status == "Completed", result.failure_reason
    values = [float(v) for v in (tmp_path / "out" / "rows.csv.out").read_text().split()]
    assert values == [0.5 + r[0] + 2 * r[1] + 3 * r[2] + 4 * r[3] for r in rows]
    [params] = result.log.of(ev.ParametersResolved)
    # inference-server spells the strategy as the API does ("MultiRecord"): accepted
    assert (params.max_concurrent_transforms, params.batch_strategy, params.max_payload_in_mb) == (
        2, "MultiRecord", 1)
    assert set(params.sources.values()) == {"container"}
