"""Loading a model's ``inference.py`` and calling its handlers the way the SageMaker toolkits do.

A program module may define (all optional but one of ``transform_fn`` / ``predict_fn``):

- ``model_fn(model_dir) -> model``; absent: the model is ``None``.
- ``input_fn(body: bytes, content_type: str) -> data``; absent: ``codecs.default_input_fn``.
- ``predict_fn(data, model) -> prediction``.
- ``output_fn(prediction, accept: str) -> bytes | str | (body, content_type)``; absent:
  ``codecs.default_output_fn``.
- ``transform_fn(model, body: bytes, content_type: str, accept: str)`` -> like ``output_fn``;
  when present it replaces the input/predict/output chain.
- ``execution_parameters() -> dict`` or a constant ``EXECUTION_PARAMETERS = {...}``: served
  at ``GET /execution-parameters``.
- bte-only extensions: ``ping_fn(model) -> bool`` (False makes /ping answer 503) and
  ``extra_routes(app)`` (adds routes to the FastAPI app, e.g. a test model's /stats).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from emulator.serving import codecs


class ProgramError(Exception):
    """The program module cannot be found, imported, or lacks a handler; the text says which."""


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
        self._predict_fn: Callable[..., Any] | None = _fn(module, "predict_fn")
        if self._transform_fn is None and self._predict_fn is None:
            raise ProgramError(
                f"{getattr(module, '__file__', module.__name__)} defines neither transform_fn nor predict_fn; "
                "define predict_fn(data, model) (and optionally model_fn, input_fn, output_fn)"
            )
        self._input_fn: Callable[[bytes, str], Any] = _fn(module, "input_fn") or codecs.default_input_fn
        self._output_fn: Callable[[Any, str], Any] = _fn(module, "output_fn") or codecs.default_output_fn
        self._ping_fn: Callable[[Any], Any] | None = _fn(module, "ping_fn")

    def load_model(self, model_dir: Path) -> Any:
        model_fn = _fn(self.module, "model_fn")
        return None if model_fn is None else model_fn(str(model_dir))

    def healthy(self, model: Any) -> bool:
        return True if self._ping_fn is None else bool(self._ping_fn(model))

    def invoke(self, model: Any, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        """Run the chain on one request; returns the body and the Content-Type to answer with."""
        if self._transform_fn is not None:
            result = self._transform_fn(model, body, content_type, accept)
        else:
            assert self._predict_fn is not None
            data = self._input_fn(body, content_type)
            prediction = self._predict_fn(data, model)
            result = self._output_fn(prediction, accept)
        return _as_response(result, accept)

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


def _fn(module: ModuleType, name: str) -> Callable[..., Any] | None:
    value = getattr(module, name, None)
    return value if callable(value) else None


def _as_response(result: Any, accept: str) -> tuple[bytes, str]:
    content_type = accept
    if isinstance(result, tuple) and len(result) == 2:
        result, content_type = result
    if isinstance(result, str):
        result = result.encode("utf-8")
    elif isinstance(result, (bytearray, memoryview)):
        result = bytes(result)
    if not isinstance(result, bytes):
        raise TypeError(
            f"the handler returned {type(result).__name__}; output_fn/transform_fn must return "
            "bytes, str, or a (body, content_type) tuple"
        )
    return result, str(content_type)
