"""The container contract over real HTTP: the shim serving small programs written here, as local processes."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serving.servers import Server, local_server

# predict_fn only: the default input_fn/output_fn do the decoding; loading takes 2 s.
DEFAULTS_PROGRAM = """
import time

def model_fn(model_dir):
    time.sleep(2.0)
    return {"loaded_from": model_dir}

def predict_fn(data, model):
    if data == "boom" or data == ["boom"]:
        raise ValueError("boom requested by the test")
    return data
"""

# Saved as handler.py (SAGEMAKER_PROGRAM) next to a helper module it imports.
TRANSFORM_PROGRAM = """
from helper import SEPARATOR

def model_fn(model_dir):
    return None

EXECUTION_PARAMETERS = {"MaxConcurrentTransforms": 8, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 2}

def transform_fn(model, body, content_type, accept):
    return SEPARATOR.join([type(body).__name__, body.upper(), content_type, accept]), "text/plain"
"""

BROKEN_PROGRAM = """
def model_fn(model_dir):
    raise RuntimeError("weights file model.bin is missing")

def predict_fn(data, model):
    return data
"""


@dataclass
class Servers:
    defaults: Server
    transform: Server
    broken: Server
    ping_while_loading: int | None
    invoke_while_loading: tuple[int, str]


def _program(root: Path, name: str, source: str, filename: str = "inference.py") -> Path:
    directory = root / name
    directory.mkdir()
    (directory / filename).write_text(textwrap.dedent(source))
    return directory


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("programs")
    with ExitStack() as stack:
        defaults = stack.enter_context(local_server(_program(root, "defaults", DEFAULTS_PROGRAM)))
        # Observe the slow load at once, before model_fn's 2 s are over (and before the other
        # servers start, which on a busy machine can take longer than that).
        defaults.wait_until(lambda: defaults.status() is not None, "the defaults server answering")
        ping_while_loading = defaults.status()
        early = defaults.post("/invocations", b"1,2", headers={"Content-Type": "text/csv"})
        transform_dir = _program(root, "transform", TRANSFORM_PROGRAM, "handler.py")
        (transform_dir / "helper.py").write_text('SEPARATOR = "|"\n')
        transform = stack.enter_context(local_server(transform_dir, {"SAGEMAKER_PROGRAM": "handler.py"}))
        broken = stack.enter_context(local_server(_program(root, "broken", BROKEN_PROGRAM)))
        for server in (defaults, transform):
            server.wait_healthy()
        broken.wait_until(lambda: "failed to load" in broken.logs(), "the broken server logging its failure")
        assert broken.logs().count("model failed to load") == 1
        yield Servers(defaults, transform, broken, ping_while_loading, (early.status_code, early.text))


def test_ping_is_503_while_the_model_loads_then_200(servers: Servers) -> None:
    assert servers.ping_while_loading == 503
    assert servers.invoke_while_loading[0] == 503
    assert "still loading" in servers.invoke_while_loading[1]
    response = servers.defaults.get("/ping")
    assert (response.status_code, response.content) == (200, b"")
    assert "model loaded from" in servers.defaults.logs()


def test_model_fn_failure_leaves_ping_200_and_each_invocation_says_why(servers: Servers) -> None:
    # As the toolkit under Multi Model Server (tests/serving/test_toolkit_parity.py): the server
    # is up, and every invocation loads again and answers the load's error and traceback.
    for _ in range(3):
        assert servers.broken.status() == 200
        time.sleep(0.1)
    for _ in range(2):
        response = servers.broken.post("/invocations", b"1", headers={"Content-Type": "text/csv"})
        assert response.status_code == 500
        assert response.text.startswith("weights file model.bin is missing\nTraceback (most recent call last):\n")
        assert response.text.endswith("RuntimeError: weights file model.bin is missing\n")
    assert servers.broken.logs().count("model failed to load") == 3  # at start, then once per invocation


def test_default_csv_decodes_rows_of_floats_and_strings(servers: Servers) -> None:
    response = servers.defaults.post("/invocations", "1,2.5,x\n3,4,y\n",
                                     headers={"Content-Type": "text/csv", "Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv"
    assert response.text == "1.0,2.5,x\n3.0,4.0,y"


def test_default_json_round_trip_and_accept_conversion(servers: Servers) -> None:
    body = json.dumps({"instances": [[1, 2], [3, 4]]})
    same = servers.defaults.post("/invocations", body, headers={"Content-Type": "application/json"})
    assert (same.status_code, same.headers["content-type"]) == (200, "application/json")
    assert same.json() == {"instances": [[1, 2], [3, 4]]}
    rows = servers.defaults.post(
        "/invocations", "[[1, 2], [3, 4]]", headers={"Content-Type": "application/json", "Accept": "text/csv"}
    )
    assert (rows.headers["content-type"], rows.text) == ("text/csv", "1,2\n3,4")


def test_default_jsonlines_one_value_per_line(servers: Servers) -> None:
    body = '{"a": 1}\n"two"\n\n[3]\n'
    response = servers.defaults.post(
        "/invocations", body, headers={"Content-Type": "application/jsonlines", "Accept": "application/jsonlines"}
    )
    assert response.headers["content-type"] == "application/jsonlines"
    assert response.text == '{"a": 1}\n"two"\n[3]'


def test_an_unsupported_content_type_or_accept_answers_500_as_the_toolkit(servers: Servers) -> None:
    # The toolkit's default decoder raises UnsupportedFormatError, which is not one of its
    # BaseInferenceToolkitError: 500, the message, then the traceback.
    response = servers.defaults.post("/invocations", b"\x00\x01", headers={"Content-Type": "application/x-npy"})
    assert response.status_code == 500
    assert "application/x-npy" in response.text and "Traceback (most recent call last):" in response.text
    response = servers.defaults.post(
        "/invocations", b"[1]", headers={"Content-Type": "application/json", "Accept": "image/png"}
    )
    assert response.status_code == 500
    assert "image/png" in response.text


def test_a_handler_that_raises_answers_500_and_the_next_request_succeeds(servers: Servers) -> None:
    failed = servers.defaults.post("/invocations", '"boom"', headers={"Content-Type": "application/json"})
    assert failed.status_code == 500  # the toolkit's answer: the message, then the traceback
    assert failed.text.startswith("boom requested by the test\nTraceback (most recent call last):\n")
    assert failed.text.endswith("ValueError: boom requested by the test\n")
    ok = servers.defaults.post("/invocations", "[1]", headers={"Content-Type": "application/json"})
    assert (ok.status_code, ok.json()) == (200, [1])
    assert "invocation failed: ValueError: boom requested by the test" in servers.defaults.logs()


def test_transform_fn_gets_raw_body_content_type_and_accept(servers: Servers) -> None:
    response = servers.transform.post(
        "/invocations", b"abc", headers={"Content-Type": "text/csv", "Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "str|ABC|text/csv|application/json"
    # No Accept at all (SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT unset): the toolkit's application/json.
    response = servers.transform.post("/invocations", b"x", headers={"Content-Type": "text/csv"})
    assert response.text == "str|X|text/csv|application/json"


def test_execution_parameters_200_where_declared_404_where_not(servers: Servers) -> None:
    declared = servers.transform.get("/execution-parameters")
    assert declared.status_code == 200
    assert declared.json() == {"MaxConcurrentTransforms": 8, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 2}
    assert servers.defaults.get("/execution-parameters").status_code == 404


def test_unknown_paths_and_methods_are_refused(servers: Servers) -> None:
    assert servers.defaults.get("/nothing-here").status_code == 404
    assert servers.defaults.get("/invocations").status_code == 405
