"""bte: a local SageMaker Batch Transform.

The same CreateTransformJob request that boto3 takes runs on your own machine,
against the same model container, and leaves the same ``.out`` files.

    from emulator import run_transform_job, plan_transform_job
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "plan_transform_job", "run_transform_job"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that `python -m emulator.serving` inside an image needs none of
    # the engine's dependencies (boto3, docker, rich).
    if name in ("run_transform_job", "plan_transform_job"):
        from emulator import transform

        return getattr(transform, name)
    raise AttributeError(name)
