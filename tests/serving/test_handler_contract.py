"""The handler contract of the SageMaker inference toolkit (sagemaker-inference 1.10,
``transformer.py``, ``content_types.py``, ``environment.py``), point by point, over real
HTTP against bte's shim as the process runtime starts it. These run without Docker;
tests/serving/test_toolkit_parity.py sends the same requests to the toolkit itself
(bte-sample/toolkit-mms) and compares the bytes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.serving.servers import local_server

PROGRAM = """
import json

CALLS = []

def pre_model_fn(model_dir):
    CALLS.append("pre_model_fn")

def model_fn(model_dir, context):
    CALLS.append("model_fn")
    return {"dir": model_dir, "context_dir": context.system_properties["model_dir"]}

def model_warmup_fn(model_dir, model):
    CALLS.append("model_warmup_fn")

def input_fn(body, content_type):
    return {"type": type(body).__name__, "text": str(body[:20]) if body else ""}

def predict_fn(data, model, context):
    return {**data, "calls": CALLS, "model": model, "context": context.system_properties["model_dir"]}

def output_fn(prediction, accept):
    if prediction["text"] == "fail":
        raise ValueError("the model refused this")
    if prediction["text"] == "teapot":
        raise Teapot()
    return json.dumps({**prediction, "accept": accept}), accept

class BaseInferenceToolkitError(Exception):
    # The toolkit's class, by name and shape (the toolkit is not installed here): the
    # status and message of such an exception are answered.
    def __init__(self, status_code, message, phrase):
        super().__init__(status_code, message, phrase)
        self.status_code, self.message, self.phrase = status_code, message, phrase

class Teapot(BaseInferenceToolkitError):
    def __init__(self):
        super().__init__(418, "short and stout", "I'm a teapot")
"""

BOTH = """
def transform_fn(model, body, content_type, accept):
    return body

def input_fn(body, content_type):
    return body
"""


def program(tmp_path: Path, source: str) -> Path:
    folder = tmp_path / "program"
    folder.mkdir(exist_ok=True)
    (folder / "inference.py").write_text(textwrap.dedent(source))
    return folder


def ask(server, body: bytes, content_type: str, accept: str | None = None) -> dict:
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept is not None else {})}
    response = server.post("/invocations", body, headers=headers)
    assert response.status_code == 200, response.text
    return json.loads(response.text)


def test_the_toolkits_handler_contract_point_by_point(tmp_path):
    folder = program(tmp_path, PROGRAM)
    with local_server(folder) as server:
        server.wait_healthy()
        # 1. text/csv and application/json (exactly) arrive decoded, as str; anything else as bytearray
        assert ask(server, b"1,2", "text/csv")["type"] == "str"
        assert ask(server, b"[1]", "application/json")["type"] == "str"
        assert ask(server, b"1,2", "text/csv; charset=utf-8")["type"] == "bytearray"
        assert ask(server, b"\x93NUMPY", "application/x-npy")["type"] == "bytearray"
        assert ask(server, b'{"a": 1}\n', "application/jsonlines")["type"] == "bytearray"
        # 2. no Accept, or */*: SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (below), unset application/json
        assert ask(server, b"1", "text/csv")["accept"] == "application/json"
        assert ask(server, b"1", "text/csv", "*/*")["accept"] == "application/json"
        assert ask(server, b"[1]", "application/json", "text/csv")["accept"] == "text/csv"
        # 3. a handler with one more parameter gets the context; 4. pre_model_fn and model_warmup_fn run
        answer = ask(server, b"1", "text/csv")
        assert answer["calls"] == ["pre_model_fn", "model_fn", "model_warmup_fn"]
        assert answer["context"] == answer["model"]["context_dir"] == answer["model"]["dir"] == str(folder)
        # 6. an exception: 500 with its message and the traceback; one shaped as the toolkit's
        #    BaseInferenceToolkitError: its own status and message
        failed = server.post("/invocations", b"fail", headers={"Content-Type": "text/csv"})
        assert failed.status_code == 500
        assert failed.text.startswith("the model refused this\nTraceback (most recent call last):\n")
        assert failed.text.endswith("ValueError: the model refused this\n")
        teapot = server.post("/invocations", b"teapot", headers={"Content-Type": "text/csv"})
        assert teapot.status_code == 418 and teapot.text.startswith("short and stout\nTraceback")
    with local_server(folder, {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}) as server:
        server.wait_healthy()
        assert ask(server, b"1", "text/csv")["accept"] == "text/csv"  # another default, chosen
        assert ask(server, b"1", "text/csv", "*/*")["accept"] == "text/csv"


def test_transform_fn_beside_input_fn_is_refused_with_the_toolkits_text(tmp_path):
    # As the toolkit: /ping answers 200 and each invocation answers the refusal.
    with local_server(program(tmp_path, BOTH)) as server:
        server.wait_until(lambda: "failed to load" in server.logs(), "the server logging its failed load")
        assert server.status() == 200
        answer = server.post("/invocations", b"1", headers={"Content-Type": "text/csv"})
        assert answer.status_code == 500 and "content-type" not in answer.headers
        assert answer.text.startswith("Cannot use transform_fn implementation in conjunction with input_fn, "
                                      "predict_fn, and/or output_fn implementation\nTraceback (most recent call last):")
        assert answer.text.endswith("ValueError: Cannot use transform_fn implementation in conjunction with "
                                    "input_fn, predict_fn, and/or output_fn implementation\n")
