"""Pin the public surface of emulator.spec (httpx does the same in test_exported_members.py)."""

from __future__ import annotations

import importlib

import emulator.spec


def test_public_surface() -> None:
    assert sorted(emulator.spec.__all__) == sorted([
        "INSTANCE_TYPES",
        "ContainerSpec",
        "ModelSpec",
        "RequestValidationError",
        "TransformJobSpec",
        "ValidationException",
        "check_model_for_batch",
        "describe_model",
        "describe_transform_job",
        "find_violations",
        "is_local_uri",
        "model_arn",
        "parse_model",
        "parse_transform_job",
        "transform_job_arn",
        "validate",
    ])
    importlib.import_module("emulator.spec.validation")  # a submodule's import must not hide a name

    for name in emulator.spec.__all__:
        value = getattr(emulator.spec, name)
        assert value is not None and not isinstance(value, type(emulator.spec)), name
    assert callable(emulator.spec.validate)


def test_instance_types_come_from_the_model() -> None:
    assert "ml.m5.large" in emulator.spec.INSTANCE_TYPES
    assert "local" not in emulator.spec.INSTANCE_TYPES
    assert all(name.startswith("ml.") for name in emulator.spec.INSTANCE_TYPES)
