"""Loading a model's ``inference.py`` and calling its handlers as the SageMaker inference
toolkit does (``sagemaker_inference/transformer.py``, read point by point: docs/serving.md).

A program module may define (each absent one is the toolkit's DefaultInferenceHandler's):

- ``pre_model_fn(model_dir)``, then ``model_fn(model_dir) -> model`` (absent: the load fails
  with the toolkit's NotImplementedError), then ``model_warmup_fn(model_dir, model)``, once,
  at load.
- ``input_fn(body, content_type) -> data``; absent: ``codecs.default_input_fn``. ``body`` is
  a ``str`` (UTF-8 decoded) when Content-Type is exactly ``text/csv`` or
  ``application/json``, else a ``bytearray``, as the toolkit gives it.
- ``predict_fn(data, model) -> prediction``; absent (and no ``transform_fn``): each
  request fails with the toolkit's NotImplementedError.
- ``output_fn(prediction, accept: str) -> bytes | str | (body, content_type)``; absent:
  ``codecs.default_output_fn``. Any other value is sent as ``json.dumps(value, indent=2)``,
  as Multi Model Server sends it.
- ``transform_fn(model, body, content_type: str, accept: str)`` -> like ``output_fn``;
  it replaces the input/predict/output chain, and a module that defines it beside any of
  them is refused (the toolkit's ValueError).
- Any handler may take one more argument, ``context`` (the toolkit passes Multi Model
  Server's; bte a ``HandlerContext`` with ``system_properties["model_dir"]``).
- ``execution_parameters() -> dict`` or a constant ``EXECUTION_PARAMETERS = {...}``: served
  at ``GET /execution-parameters``.
- bte-only extensions: ``ping_fn(model) -> bool`` (False makes /ping answer 503) and
  ``extra_routes(app)`` (adds routes to the FastAPI app, e.g. a test model's /stats).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from emulator.serving import codecs


UTF8_TYPES = ("application/json", "text/csv")  # the toolkit decodes these (exact match) to str
TRANSFORM_WITH_CHAIN = (  # the toolkit's text (transformer.py)
    "Cannot use transform_fn implementation in conjunction with input_fn, predict_fn, and/or output_fn implementation"
)


class ProgramError(Exception):
    """The program module cannot be found, imported, or lacks a handler; the text says which."""


class HandlerContext:
    """What a handler that takes a ``context`` argument gets: the part of Multi Model
    Server's Context that model code reads (``system_properties["model_dir"]``)."""

    def __init__(self, model_dir: str) -> None:
        self.model_dir = model_dir
        self.system_properties: dict[str, Any] = {"model_dir": model_dir, "gpu_id": None}


def load_program(submit_dir: Path, program: str) -> ModuleType:
    """Import ``program`` (``inference.py`` or ``inference``) from ``submit_dir``, with that directory on sys.path."""
    if "://" in str(submit_dir) or not submit_dir.is_dir():
        raise ProgramError(
            f"SAGEMAKER_SUBMIT_DIRECTORY={submit_dir} is not a local directory; "
            "point it (or SM_MODEL_DIR) at the directory that holds your inference.py"
        )
    filename = program if program.endswith(".py") else f"{program}.py"
    path = submit_dir / filename
    if not path.is_file():
        raise ProgramError(
            f"{path} does not exist; set SAGEMAKER_PROGRAM to your handler file's name "
            f"(found: {', '.join(sorted(p.name for p in submit_dir.glob('*.py'))) or 'no .py files'})"
        )
    # Siblings of inference.py must be importable, as in the framework containers.
    if str(submit_dir) not in sys.path:
        sys.path.insert(0, str(submit_dir))
    name = filename[: -len(".py")]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ProgramError(f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Handlers:
    """The resolved handler chain of one program module."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self._transform_fn: Callable[..., Any] | None = _fn(module, "transform_fn")
        self._predict_fn: Callable[..., Any] = _fn(module, "predict_fn") or default_predict_fn
        if self._transform_fn and any(_fn(module, name) for name in ("input_fn", "predict_fn", "output_fn")):
            raise ValueError(TRANSFORM_WITH_CHAIN)
        self._input_fn: Callable[..., Any] = _fn(module, "input_fn") or codecs.default_input_fn
        self._output_fn: Callable[..., Any] = _fn(module, "output_fn") or codecs.default_output_fn
        self._ping_fn: Callable[[Any], Any] | None = _fn(module, "ping_fn")
        self.context = HandlerContext("")

    def load_model(self, model_dir: Path) -> Any:
        self.context = HandlerContext(str(model_dir))
        pre_model_fn, model_fn = _fn(self.module, "pre_model_fn"), _fn(self.module, "model_fn")
        warmup_fn = _fn(self.module, "model_warmup_fn")
        if pre_model_fn is not None:
            self._call(pre_model_fn, str(model_dir))
        model = self._call(model_fn or default_model_fn, str(model_dir))
        if warmup_fn is not None:
            self._call(warmup_fn, str(model_dir), model)
        return model

    def healthy(self, model: Any) -> bool:
        return True if self._ping_fn is None else bool(self._ping_fn(model))

    def invoke(self, model: Any, body: bytes, content_type: str | None, accept: str) -> tuple[bytes, str | None]:
        """Run the chain on one request; returns the body and the Content-Type to answer with.
        ``content_type`` is None when the request had none (the toolkit passes None too)."""
        given: str | bytearray = body.decode("utf-8") if content_type in UTF8_TYPES else bytearray(body)
        if self._transform_fn is not None:
            result = self._call(self._transform_fn, model, given, content_type, accept)
        else:
            data = self._call(self._input_fn, given, content_type)
            prediction = self._call(self._predict_fn, data, model)
            result = self._call(self._output_fn, prediction, accept)
        return _as_response(result, accept)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """As the toolkit's ``_run_handler_function``: one parameter more than given takes the context."""
        count = len(inspect.signature(fn).parameters)
        if count == len(args):
            return fn(*args)
        if count == len(args) + 1:
            return fn(*args, self.context)
        raise TypeError(f"{fn.__name__} takes {count} arguments but {len(args)} were given.")

    def execution_parameters(self) -> dict[str, Any] | None:
        fn = _fn(self.module, "execution_parameters")
        value = fn() if fn is not None else getattr(self.module, "EXECUTION_PARAMETERS", None)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ProgramError(f"execution parameters must be a dict, got {type(value).__name__}")
        return value

    def add_extra_routes(self, app: Any) -> None:
        hook = _fn(self.module, "extra_routes")
        if hook is not None:
            hook(app)


def default_model_fn(model_dir: str) -> Any:
    """The toolkit's DefaultInferenceHandler has no model loader: it raises, with this text."""
    raise NotImplementedError(_PLEASE_PROVIDE.format(name="model_fn"))


def default_predict_fn(data: Any, model: Any) -> Any:
    """As the toolkit's: a module without predict_fn (or transform_fn) loads, and each request fails."""
    raise NotImplementedError(_PLEASE_PROVIDE.format(name="predict_fn"))


_PLEASE_PROVIDE = (  # the toolkit's text (default_inference_handler.py)
    "\nPlease provide a {name} implementation.\n"
    "See documentation for {name} at https://sagemaker.readthedocs.io/en/stable/\n"
)


def _fn(module: ModuleType, name: str) -> Callable[..., Any] | None:
    value = getattr(module, name, None)
    return value if callable(value) else None


class UnsupportedOutput(Exception):
    """The handler's result is neither bytes, str, nor anything ``json.dumps`` takes: Multi
    Model Server answers 503 with its own JSON body (``MMS_UNSUPPORTED_OUTPUT``)."""


#: What Multi Model Server answers (503, application/json) for a result it cannot serialise.
MMS_UNSUPPORTED_OUTPUT = (
    b'{\n  "code": 503,\n  "type": "InternalServerException",\n  "message": "Unsupported model output data type."\n}\n'
)


def _as_response(result: Any, accept: str) -> tuple[bytes, str | None]:
    """As the toolkit's Transformer and Multi Model Server's worker: a tuple is (body,
    content_type) (any tuple: a shorter one fails as the toolkit's does, IndexError); bytes
    go as they are, a str as UTF-8, anything else as ``json.dumps(value, indent=2)``."""
    content_type: Any = accept
    if isinstance(result, tuple):
        result, content_type = result[0], result[1]
    if isinstance(result, str):
        result = result.encode("utf-8")
    elif isinstance(result, (bytearray, memoryview)):
        result = bytes(result)
    elif not isinstance(result, bytes):
        try:
            result = json.dumps(result, indent=2).encode("utf-8")
        except TypeError as exc:
            raise UnsupportedOutput(
                f"the handler returned {type(result).__name__}, which is not bytes, str, or JSON-serialisable; "
                "return bytes, str, or (body, content_type) from output_fn/transform_fn"
            ) from exc
    return result, None if content_type is None else str(content_type)
