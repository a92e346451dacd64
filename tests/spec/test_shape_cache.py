"""The run path's shapes kept without botocore (emulator/spec/shape_cache.py) validate exactly
as botocore's model does, and a process that finds them never imports botocore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.spec import model, shape_cache
from emulator.spec.validation import find_violations
from tests.spec.builders import model_request, transform_job_request

OPERATIONS = shape_cache.CACHED_OPERATIONS


@pytest.fixture
def fresh_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty state directory, and the model's per-process memory forgotten around the test."""
    monkeypatch.setenv("BTE_STATE_DIR", str(tmp_path))
    model.service_model.cache_clear()
    model._cached.cache_clear()
    yield tmp_path
    model.service_model.cache_clear()
    model._cached.cache_clear()


def botocore_shape(operation: str) -> Any:
    return model.service_model().operation_model(operation).input_shape


def values(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for ``shape``: mostly of its type, near its limits, sometimes of another."""
    wrong = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3), st.just([]), st.just({}))
    kind = shape.type_name
    if kind == "structure":
        if depth > 5:
            return st.just({})
        members = list(shape.members.items())
        fields = st.fixed_dictionaries({}, optional={name: values(sub, depth + 1) for name, sub in members})
        extra = st.dictionaries(st.sampled_from(["Bogus", "imageName"]), st.integers(), max_size=1)
        typed = st.builds(lambda f, e: {**f, **e}, fields, extra)
    elif kind == "list":
        typed = st.lists(values(shape.member, depth + 1), max_size=3)
    elif kind == "map":
        typed = st.dictionaries(st.sampled_from(["A_1", "a-b", "", "PATH"]), values(shape.value, depth + 1), max_size=3)
    elif kind == "string":
        choices: list[st.SearchStrategy[Any]] = [st.text(max_size=12), st.text(alphabet="ab-_1/:", max_size=20)]
        edges = [n for n in (shape.metadata.get("min"), shape.metadata.get("max")) if n is not None and n < 5000]
        if edges:  # lengths on each side of the limits
            choices.append(st.sampled_from(edges).flatmap(lambda n: st.integers(max(n - 1, 0), n + 1)).map(lambda n: "a" * n))
        if shape.enum:
            choices.insert(0, st.sampled_from(list(shape.enum) + ["bogus"]))
        typed = st.one_of(*choices)
    elif kind in ("integer", "long"):
        edges = [n for n in (shape.metadata.get("min"), shape.metadata.get("max")) if n is not None]
        typed = st.one_of(st.integers(-2, 200), st.integers(-(2**64), 2**64),
                          *([st.sampled_from(edges).flatmap(lambda n: st.integers(n - 1, n + 1))] if edges else []))
    elif kind in ("float", "double"):
        typed = st.floats(-10, 10, allow_nan=False)
    elif kind == "boolean":
        typed = st.booleans()
    else:
        typed = st.text(max_size=5)
    return st.one_of(typed, typed, typed, wrong)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_cached_shapes_give_the_service_models_answers(fresh_model: Path, operation: str) -> None:
    reference = botocore_shape(operation)  # loads botocore's model, which writes the cache
    assert list((fresh_model / "cache").glob("sagemaker-shapes-*.json")), "botocore's model did not write the cache"
    model._cached.cache_clear()
    cached = model.input_shape(operation)
    assert isinstance(cached, shape_cache.CachedShape)
    builder = transform_job_request if operation == "CreateTransformJob" else model_request
    examples = [builder()]

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(request=values(reference), base=st.sampled_from(examples))
    def same_answers(request: Any, base: dict[str, Any]) -> None:
        for candidate in (request, {**base, **request} if isinstance(request, dict) else request):
            for allow in (False, True):
                by_cache = find_violations(operation, candidate, allow_local_uris=allow)
                by_botocore = _with_botocore(operation, candidate, allow)
                assert by_cache == by_botocore, candidate

    same_answers()


def _with_botocore(operation: str, request: Any, allow: bool) -> list[str]:
    """find_violations as it runs where no cache was written."""
    saved = model._cached
    model._cached = lambda: None  # type: ignore[assignment]
    try:
        return find_violations(operation, request, allow_local_uris=allow)
    finally:
        model._cached = saved  # type: ignore[assignment]


def test_a_member_trait_is_laid_over_its_shape_as_botocore_does(fresh_model: Path) -> None:
    data = {"operations": {"Op": "In"}, "metadata_attrs": ["min", "max", "required"],
            "shapes": {"In": {"type": "structure", "members": {"N": {"shape": "Int", "max": 5}, "M": {"shape": "Int"}},
                              "required": ["N"]},
                       "Int": {"type": "integer", "min": 1, "max": 10}}}
    shapes = shape_cache.ShapeCache(data)
    members = shapes.shape("In").members
    assert members["N"].metadata == {"min": 1, "max": 5}
    assert members["M"].metadata == {"min": 1, "max": 10}
    assert shapes.shape("In").required_members == ["N"]


def test_a_process_that_finds_the_cache_validates_without_botocore(fresh_model: Path) -> None:
    env = {**os.environ, "BTE_STATE_DIR": str(fresh_model)}
    script = (
        "import json, sys\n"
        "from emulator.spec import validate, RequestValidationError\n"
        "try:\n"
        "    validate('CreateTransformJob', json.loads(sys.argv[1]))\n"
        "    print('valid')\n"
        "except RequestValidationError as err:\n"
        "    print(err)\n"
        "print('botocore' in sys.modules)\n"
    )
    bad = transform_job_request(TransformJobName="x_y", TransformResources={"InstanceType": "ml.m5.tiny", "InstanceCount": 1})
    first = subprocess.run([sys.executable, "-c", script, json.dumps(bad)], capture_output=True, text=True, env=env, check=True)
    second = subprocess.run([sys.executable, "-c", script, json.dumps(bad)], capture_output=True, text=True, env=env, check=True)
    answer, loaded = first.stdout.rsplit("\n", 2)[:2]
    assert loaded == "True"  # the first process reads botocore's model and writes the cache
    assert second.stdout == f"{answer}\nFalse\n"  # the second answers the same without botocore
    assert answer.startswith("2 validation errors detected: Value 'x_y' at 'transformJobName'")


def test_botocore_models_of_the_users_own_turn_the_cache_off(fresh_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    botocore_shape("CreateTransformJob")
    monkeypatch.setenv("AWS_DATA_PATH", str(fresh_model / "models"))
    assert shape_cache.model_file() is None
    assert shape_cache.load() is None
