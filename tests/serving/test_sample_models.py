"""Every sample model over real HTTP, as a local process (the shim) and as its Docker image.

Servers start once per module, all at the same time; each test asks for the server it needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import pytest

from tests.serving.servers import SAMPLES, Server, container_server, local_server

SHIM_SAMPLES = ("echo", "review-sentiment", "tabular-regression")
HELDOUT = SAMPLES / "review-sentiment" / "data" / "heldout.jsonl"


@pytest.fixture(scope="module")
def local_servers() -> Iterator[dict[str, Server]]:
    with ExitStack() as stack:
        servers = {name: stack.enter_context(local_server(SAMPLES / name)) for name in SHIM_SAMPLES}
        for server in servers.values():
            server.wait_healthy()
        yield servers


@pytest.fixture(scope="module")
def docker_servers(docker_client: Any, sample_image: Callable[[str], str]) -> Iterator[dict[str, Server]]:
    images = {name: sample_image(name) for name in (*SHIM_SAMPLES, "third-party")}
    with ExitStack() as stack:
        servers = {name: stack.enter_context(container_server(docker_client, tag)) for name, tag in images.items()}
        for server in servers.values():
            server.wait_healthy()
        yield servers


@pytest.fixture(params=["process", "docker"])
def served(request: pytest.FixtureRequest) -> dict[str, Server]:
    servers: dict[str, Server] = request.getfixturevalue(f"{'local' if request.param == 'process' else 'docker'}_servers")
    return servers


def test_echo_returns_the_exact_bytes_and_content_type(served: dict[str, Server]) -> None:
    echo = served["echo"]
    assert echo.post("/echo/reset").status_code == 204
    body = b"\x00\xffabc\r\nline two\n"
    response = echo.post(
        "/invocations", body, headers={"Content-Type": "application/x-recordio", "Accept": "text/csv"}
    )
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-type"] == "application/x-recordio"
    stats = echo.get("/echo/stats").json()
    assert stats["requests"] == 1 and stats["in_flight"] == 0 and stats["max_in_flight"] == 1
    assert stats["sizes"] == [len(body)]
    assert stats["content_types"] == ["application/x-recordio"] and stats["accepts"] == ["text/csv"]
    assert stats["env"]["BTE_BIND_HOST"] == "127.0.0.1"
    assert echo.get("/execution-parameters").json() == {
        "MaxConcurrentTransforms": 4,
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 6,
    }


def test_review_sentiment_generalises_to_held_out_reviews(served: dict[str, Server]) -> None:
    lines = HELDOUT.read_text().splitlines()
    response = served["review-sentiment"].post(
        "/invocations", "\n".join(lines), headers={"Content-Type": "application/jsonlines", "Accept": "application/jsonlines"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jsonlines"
    predictions = [json.loads(line) for line in response.text.split("\n")]
    assert len(predictions) == len(lines)
    assert all(set(p) == {"label", "score"} and 0.5 <= p["score"] <= 1.0 for p in predictions)
    truth = [json.loads(line)["label"] for line in lines]
    accuracy = sum(p["label"] == t for p, t in zip(predictions, truth)) / len(truth)
    assert accuracy > 0.8, f"held-out accuracy {accuracy:.2f}"


def test_review_sentiment_takes_bare_strings_and_keeps_order(served: dict[str, Server]) -> None:
    body = '"Crashes constantly and support never replies."\n{"id": 7, "text": "Fast, simple and lovely design."}\n'
    response = served["review-sentiment"].post("/invocations", body, headers={"Content-Type": "application/jsonlines"})
    # No Accept: the toolkit's default, application/json, so one JSON list
    assert response.headers["content-type"] == "application/json"
    assert [p["label"] for p in response.json()] == ["negative", "positive"]
    bad = served["review-sentiment"].post("/invocations", '{"id": 1}', headers={"Content-Type": "application/jsonlines"})
    assert bad.status_code == 500 and "record 1 is neither a string nor an object" in bad.text


def test_tabular_regression_predicts_one_value_per_row(served: dict[str, Server]) -> None:
    response = served["tabular-regression"].post(
        "/invocations", "1,2,3,4\n0,0,0,0\n-1,5,2.5,0\n", headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv"
    predicted = [float(v) for v in response.text.split("\n")]
    # y = 4 + 3*x1 - 2*x2 + 0.5*x3 + 1.5*x4, learned from data/train.csv
    for got, want in zip(predicted, [10.5, 4.0, -7.75], strict=True):
        assert abs(got - want) < 0.05
    bad = served["tabular-regression"].post("/invocations", "1,2,3,4\n1,2,3\n", headers={"Content-Type": "text/csv"})
    assert bad.status_code == 500 and "row 2 has 3 cells, expected 4" in bad.text


def test_third_party_inference_server_under_gunicorn(docker_servers: dict[str, Server]) -> None:
    server = docker_servers["third-party"]
    response = server.post("/invocations", "1,1,1,1\n1,2,3,4\n", headers={"Content-Type": "text/csv"})
    assert response.status_code == 200
    assert response.text == "10.5\n30.5"
    assert response.headers["content-type"].startswith("text/csv")
    assert server.get("/execution-parameters").json() == {
        "BatchStrategy": "MultiRecord",
        "MaxConcurrentTransforms": 2,
        "MaxPayloadInMB": 1,
    }


def test_echo_knobs_concurrency_and_failures() -> None:
    env = {"ECHO_LATENCY_MS": "400", "ECHO_FAIL_EVERY_N": "3", "ECHO_EXECUTION_PARAMETERS": "null"}
    with local_server(SAMPLES / "echo", env) as echo:
        echo.wait_healthy()
        with ThreadPoolExecutor(8) as pool:
            statuses = sorted(
                pool.map(lambda i: echo.post("/invocations", f"r{i}", headers={"Content-Type": "text/csv"}).status_code,
                         range(8))
            )
        assert statuses == [200] * 6 + [500] * 2  # requests 3 and 6 fail, whatever their order
        stats = echo.get("/echo/stats").json()
        assert stats["max_in_flight"] == 8 and stats["in_flight"] == 0 and stats["requests"] == 8
        echo.post("/echo/reset")
        answers = [echo.post("/invocations", "x", headers={"Content-Type": "text/csv"}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 500]
        assert answers[2].text.startswith("echo: request 3 fails on purpose (ECHO_FAIL_EVERY_N=3)\nTraceback")
        assert echo.get("/execution-parameters").status_code == 404


def test_echo_slow_start_then_crash_after_n() -> None:
    with local_server(SAMPLES / "echo", {"ECHO_START_DELAY_S": "1.5", "ECHO_CRASH_AFTER_N": "2"}) as echo:
        echo.wait_until(lambda: echo.status() is not None, "the echo server answering")
        assert echo.status() == 503
        echo.wait_healthy()
        for _ in range(2):
            assert echo.post("/invocations", "x", headers={"Content-Type": "text/csv"}).status_code == 200
        echo.wait_until(lambda: echo.exit_code() is not None, "the echo process exiting")
        assert echo.exit_code() == 1
        assert "exiting after request 2" in echo.logs()


def test_echo_never_healthy() -> None:
    with local_server(SAMPLES / "echo", {"ECHO_NEVER_HEALTHY": "1"}) as echo:
        # The log line comes before the server listens; wait for both, then it must stay unhealthy.
        echo.wait_until(
            lambda: "model loaded" in echo.logs() and echo.status() is not None, "the echo model loading and answering"
        )
        assert [echo.status() for _ in range(3)] == [503, 503, 503]
