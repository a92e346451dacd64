"""The same inference.py in bte's process runtime and in the SageMaker inference toolkit.

Each test sends the same requests to ``python -m emulator.serving serve`` (as bte's process
runtime starts it) and to ``bte-sample/toolkit-mms`` (sagemaker-inference from the package
index, serving through Multi Model Server, with the toolkit's own DefaultInferenceHandler),
both given the same model folder (``code/inference.py``), and asserts the same status, the
same body bytes and the same Content-Type. Where the two cannot be byte-identical, the test
says why: a traceback lists each server's own frames (the message before it and the
exception line after it are compared), and MMS adds headers of its own (x-request-id,
Cache-Control) and puts an error's message in the status line's reason phrase.

Docker-only: the toolkit's image needs a Docker engine (scripts/test builds it).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.serving.servers import Server, local_server

TOOLKIT = "toolkit-mms"
TRACEBACK = "Traceback (most recent call last):\n"

# Every hook and the context argument; the answer says what the handlers were given.
MAIN = """
import json

try:
    from sagemaker_inference.errors import GenericInferenceToolkitError
except ImportError:  # bte's process runtime without the toolkit installed: the same name and shape
    class BaseInferenceToolkitError(Exception):
        def __init__(self, status_code, message, phrase):
            super().__init__(status_code, message, phrase)
            self.status_code, self.message, self.phrase = status_code, message, phrase

    class GenericInferenceToolkitError(BaseInferenceToolkitError):
        def __init__(self, status_code, message=None, phrase=None):
            super().__init__(status_code, message or "Invalid Request", phrase or message)

CALLS = []

def pre_model_fn(model_dir):
    CALLS.append("pre_model_fn")

def model_fn(model_dir, context):
    CALLS.append("model_fn")
    return {"context_is_model_dir": context.system_properties.get("model_dir") == model_dir}

def model_warmup_fn(model_dir, model):
    CALLS.append("model_warmup_fn")

def input_fn(body, content_type):
    text = body if isinstance(body, str) else bytes(body).decode("latin-1")
    return {"type": type(body).__name__, "body": text, "content_type": content_type}

def predict_fn(data, model, context):
    if data["body"] == "fail":
        raise ValueError("the model refused this")
    if data["body"] == "teapot":
        raise GenericInferenceToolkitError(418, "short and stout")
    if data["body"] == "shaped":  # status_code and message, but not a BaseInferenceToolkitError
        error = RuntimeError("shaped like one")
        error.status_code, error.message = 418, "not honoured"
        raise error
    return {**data, "calls": CALLS, **model, "predict_fn_context": "model_dir" in context.system_properties}

def output_fn(prediction, accept):
    kind = prediction["body"]
    if kind == "dict":
        return {"a": [1, 2], "accept": accept}
    if kind == "set":
        return {1}
    if kind == "one":
        return (b"x",)
    if kind == "none":
        return None
    if kind == "bytes":
        return b"\\x00raw", "application/octet-stream"
    return json.dumps({**prediction, "accept": accept}), accept
"""

TRANSFORM = """
def model_fn(model_dir):
    return "model"

def transform_fn(model, body, content_type, accept):
    return "|".join([model, type(body).__name__, str(body[:5]), str(content_type), accept]), "text/plain"
"""

TRANSFORM_BESIDE_INPUT_FN = """
def model_fn(model_dir):
    return "model"

def transform_fn(model, body, content_type, accept):
    return body

def input_fn(body, content_type):
    return body
"""

MODEL_FN_FAILS = """
def model_fn(model_dir):
    raise RuntimeError("weights file model.bin is missing")

def predict_fn(data, model):
    return data
"""

NO_MODEL_FN = """
def predict_fn(data, model):
    return data
"""

NO_PREDICT_FN = """
def model_fn(model_dir):
    return "model"
"""

# The default input_fn and output_fn: the toolkit's decode to numpy, bte's to lists.
DEFAULTS = """
def model_fn(model_dir):
    return "model"

def predict_fn(data, model):
    return data.tolist() if hasattr(data, "tolist") else data
"""


def _folder(root: Path, name: str, source: str) -> Path:
    code = root / name / "code"
    code.mkdir(parents=True)
    (code / "inference.py").write_text(textwrap.dedent(source))
    return root / name


@contextmanager
def toolkit_server(docker_client: Any, image: str, model_dir: Path, env: dict[str, str]) -> Iterator[Server]:
    """The toolkit's container with ``model_dir`` at /opt/ml/model. MMS listens on 0.0.0.0
    (the toolkit writes that address), so the container keeps Docker's own network and its
    port is published on 127.0.0.1 only."""
    container = docker_client.containers.run(
        image, command=["serve"], detach=True, environment=env,
        volumes={str(model_dir): {"bind": "/opt/ml/model", "mode": "ro"}},
        ports={"8080/tcp": ("127.0.0.1", None)},
    )
    try:
        container.reload()
        port = container.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
        yield Server(f"http://127.0.0.1:{port}", lambda: container.logs().decode(errors="replace"))
    finally:
        container.remove(force=True)


class Pair:
    """One model folder served twice: by the toolkit and by bte."""

    def __init__(self, toolkit: Server, bte: Server) -> None:
        self.toolkit, self.bte = toolkit, bte

    def ask(self, body: bytes, content_type: str | None = None, accept: str | None = None
            ) -> tuple[requests.Response, requests.Response]:
        headers = {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if accept is not None:
            headers["Accept"] = accept
        return tuple(server.post("/invocations", body, headers=headers) for server in (self.toolkit, self.bte))

    def same(self, body: bytes, content_type: str | None = None, accept: str | None = None) -> requests.Response:
        """Both answers alike in status, bytes and Content-Type; returns bte's."""
        toolkit, bte = self.ask(body, content_type, accept)
        assert (bte.status_code, bte.content, bte.headers.get("content-type")) == (
            toolkit.status_code, toolkit.content, toolkit.headers.get("content-type")
        ), f"bte answered differently from the toolkit for {body!r} ({content_type}, Accept {accept})"
        return bte

    def same_error(self, body: bytes, content_type: str | None = None, accept: str | None = None) -> requests.Response:
        """Both failed alike: status, no Content-Type, the message before the traceback and
        the exception line(s) after its last frame (the frames are each server's own)."""
        toolkit, bte = self.ask(body, content_type, accept)
        assert bte.status_code == toolkit.status_code, (bte.status_code, toolkit.status_code, toolkit.text)
        assert bte.headers.get("content-type") == toolkit.headers.get("content-type")
        assert _error_parts(bte.text) == _error_parts(toolkit.text), f"bte:\n{bte.text}\ntoolkit:\n{toolkit.text}"
        return bte


def _error_parts(text: str) -> tuple[str, str]:
    message, found, trace = text.partition(TRACEBACK)
    assert found, f"no traceback in {text!r}"
    lines = trace.splitlines()
    last_frame = max(i for i, line in enumerate(lines) if line.startswith("  "))
    return message, "\n".join(lines[last_frame + 1:])


@pytest.fixture(scope="module")
def servers(docker_client: Any, sample_image: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Pair]]:
    """Every program below, served by both; all start at once (MMS takes a few seconds)."""
    image = sample_image(TOOLKIT)
    root = tmp_path_factory.mktemp("parity")
    one_worker = {"SAGEMAKER_MODEL_SERVER_WORKERS": "1"}  # MMS's default is one per CPU; bte's is 1
    programs = {
        "main": (MAIN, {}),
        "csv-default": (MAIN, {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}),
        "transform": (TRANSFORM, {}),
        "both": (TRANSFORM_BESIDE_INPUT_FN, {}),
        "model-fn-fails": (MODEL_FN_FAILS, {}),
        "defaults": (DEFAULTS, {}),
        "no-model-fn": (NO_MODEL_FN, {}),
        "no-predict-fn": (NO_PREDICT_FN, {}),
    }
    with ExitStack() as stack:
        pairs = {}
        for name, (source, env) in programs.items():
            folder = _folder(root, name, source)
            toolkit = stack.enter_context(toolkit_server(docker_client, image, folder, {**one_worker, **env}))
            pairs[name] = Pair(toolkit, stack.enter_context(local_server(folder, env, submit_dir=folder / "code")))
        for pair in pairs.values():
            for server in (pair.toolkit, pair.bte):
                server.wait_healthy(timeout=120)
        yield pairs


def _answer(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return json.loads(response.content)


def test_text_csv_and_application_json_arrive_as_str_anything_else_as_bytearray(servers: dict[str, Pair]) -> None:
    main = servers["main"]
    assert _answer(main.same(b"1,2", "text/csv", "application/json"))["type"] == "str"
    assert _answer(main.same(b"[1]", "application/json", "application/json"))["type"] == "str"
    for content_type in ("text/csv; charset=utf-8", "application/x-npy", "application/jsonlines",
                         "application/octet-stream", "TEXT/CSV"):
        assert _answer(main.same(b"1,2", content_type, "application/json"))["type"] == "bytearray"
    # No Content-Type at all: the handlers get None and a bytearray.
    answer = _answer(main.same(b"1,2", None, "application/json"))
    assert (answer["type"], answer["content_type"]) == ("bytearray", None)


def test_no_accept_or_any_asks_output_fn_for_the_default_accept(servers: dict[str, Pair]) -> None:
    for accept in (None, "*/*"):
        response = servers["main"].same(b"1,2", "text/csv", accept)
        assert response.headers["content-type"] == _answer(response)["accept"] == "application/json"
        chosen = servers["csv-default"].same(b"1,2", "text/csv", accept)
        assert json.loads(chosen.content)["accept"] == "text/csv"  # SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT
    # An Accept given is passed as it is, parameters and lists included.
    assert _answer(servers["main"].same(b"1", "text/csv", "text/csv;q=0.9, application/json"))["accept"] == (
        "text/csv;q=0.9, application/json")


def test_hooks_run_once_in_order_and_a_handler_with_one_more_parameter_gets_the_context(
        servers: dict[str, Pair]) -> None:
    answer = _answer(servers["main"].same(b"1", "text/csv", "application/json"))
    assert answer["calls"] == ["pre_model_fn", "model_fn", "model_warmup_fn"]
    assert answer["context_is_model_dir"] is True  # context.system_properties["model_dir"]
    assert answer["predict_fn_context"] is True


def test_a_handlers_exception_answers_500_with_its_message_then_the_traceback(servers: dict[str, Pair]) -> None:
    failed = servers["main"].same_error(b"fail", "text/csv")
    assert failed.status_code == 500
    assert failed.text.startswith("the model refused this\n" + TRACEBACK)
    assert failed.text.endswith("ValueError: the model refused this\n")
    # status_code and message are honoured only on the toolkit's BaseInferenceToolkitError
    assert servers["main"].same_error(b"shaped", "text/csv").text.startswith("shaped like one\n")
    teapot = servers["main"].ask(b"teapot", "text/csv")
    assert [r.status_code for r in teapot] == [418, 418]
    assert [r.text.partition(TRACEBACK)[0] for r in teapot] == ["short and stout\n"] * 2
    assert servers["main"].same(b"1", "text/csv").status_code == 200  # and the server goes on


def test_results_bytes_str_tuples_and_anything_else_as_mms_sends_them(servers: dict[str, Pair]) -> None:
    main = servers["main"]
    assert main.same(b"bytes", "text/csv").content == b"\x00raw"
    assert main.same(b"dict", "text/csv", "text/csv").content == b'{\n  "a": [\n    1,\n    2\n  ],\n  "accept": "text/csv"\n}'
    assert main.same(b"none", "text/csv").content == b"null"
    unsupported = main.same(b"set", "text/csv")  # neither bytes, str nor JSON: MMS's own 503
    assert unsupported.status_code == 503 and b"Unsupported model output data type." in unsupported.content
    assert main.same_error(b"one", "text/csv").text.endswith("IndexError: tuple index out of range\n")


def test_transform_fn_gets_the_same_arguments(servers: dict[str, Pair]) -> None:
    transform = servers["transform"]
    assert transform.same(b"1,2,3", "text/csv", "text/csv").content == b"model|str|1,2,3|text/csv|text/csv"
    assert transform.same(b"abcdefg", "application/x-image").content == (
        b"model|bytearray|bytearray(b'abcde')|application/x-image|application/json")


def test_transform_fn_beside_input_fn_answers_every_request_with_the_toolkits_error(
        servers: dict[str, Pair]) -> None:
    both = servers["both"]
    assert [server.status() for server in (both.toolkit, both.bte)] == [200, 200]
    refused = both.same_error(b"1", "text/csv")
    assert refused.status_code == 500
    assert refused.text.startswith("Cannot use transform_fn implementation in conjunction with input_fn, "
                                   "predict_fn, and/or output_fn implementation\n" + TRACEBACK)


def test_a_model_fn_that_fails_is_tried_again_by_each_request(servers: dict[str, Pair]) -> None:
    broken = servers["model-fn-fails"]
    assert [server.status() for server in (broken.toolkit, broken.bte)] == [200, 200]
    for _ in range(2):
        failed = broken.same_error(b"1", "text/csv")
        assert failed.text.endswith("RuntimeError: weights file model.bin is missing\n")
    assert broken.bte.logs().count("model failed to load") >= 3  # at start, then once per request


def test_without_model_fn_or_predict_fn_each_request_answers_the_toolkits_text(servers: dict[str, Pair]) -> None:
    no_model_fn = servers["no-model-fn"].same_error(b"[1]", "application/json")
    assert no_model_fn.text.startswith("\nPlease provide a model_fn implementation.\nSee documentation for "
                                       "model_fn at https://sagemaker.readthedocs.io/en/stable/\n\n" + TRACEBACK)
    no_predict_fn = servers["no-predict-fn"].same_error(b"[1]", "application/json")
    assert no_predict_fn.text.startswith("\nPlease provide a predict_fn implementation.")
    # the default input_fn runs first, and fails first (with texts of its own: see the defaults below)
    assert [r.status_code for r in servers["no-predict-fn"].ask(b"x", "text/plain")] == [500, 500]


def test_the_default_handlers_agree_on_json(servers: dict[str, Pair]) -> None:
    defaults = servers["defaults"]
    assert defaults.same(b"[[1, 2], [3, 4]]", "application/json").content == b"[[1, 2], [3, 4]]"
    assert defaults.same(b'{"a": [1.5, "x"]}', "application/json", "*/*").content == b'{"a": [1.5, "x"]}'


def test_the_default_handlers_differ_where_docs_serving_md_says(servers: dict[str, Pair]) -> None:
    """bte's defaults are its own (no numpy): these are the toolkit's answers that bte does
    not give, kept here so that docs/serving.md and docs/differences.md stay true."""
    defaults = servers["defaults"]
    toolkit, bte = defaults.ask(b"[[1, 2], [3, 4]]", "application/json", "text/csv")
    assert (toolkit.content, bte.content) == (b"1,2\n3,4\n", b"1,2\n3,4")  # np.savetxt ends each row with \n
    toolkit, bte = defaults.ask(b"1,2\n3,4\n", "text/csv", "application/json")
    assert (toolkit.content, bte.content) == (b"[[1, 2], [3, 4]]", b"[[1.0, 2.0], [3.0, 4.0]]")  # genfromtxt: ints
    toolkit, bte = defaults.ask(b"1,2", "text/csv", "application/json")
    assert (toolkit.content, bte.content) == (b"[1, 2]", b"[[1.0, 2.0]]")  # one CSV row: 1-D in numpy
    toolkit, bte = defaults.ask(b'{"a": 1}', "application/jsonlines", "application/jsonlines")
    assert (toolkit.status_code, bte.status_code) == (500, 200)  # bte decodes and encodes JSON Lines
    toolkit, bte = defaults.ask(b"x", "text/plain")
    assert (toolkit.status_code, bte.status_code) == (500, 500)
    assert toolkit.text.startswith("Content type text/plain is not supported by this framework.")
