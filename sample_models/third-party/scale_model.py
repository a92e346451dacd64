"""An inference-server plugin: a linear score per CSV row, weights from /opt/ml/model/params.json.

inference-server calls these hooks (pluggy, entry-point group ``inference_server``):
model_fn -> input_fn -> predict_fn -> output_fn, plus the Batch Transform hooks it serves at
GET /execution-parameters.
"""

from __future__ import annotations

import csv
import io
import json
import pathlib
from typing import Any

import inference_server


@inference_server.plugin_hook()
def model_fn(model_dir: str) -> dict[str, Any]:
    params = json.loads(pathlib.Path(model_dir, "params.json").read_text())
    print(f"scale_model: loaded weights {params['weights']} bias {params['bias']} from {model_dir}", flush=True)
    return params


@inference_server.plugin_hook()
def input_fn(input_data: bytes, content_type: str) -> list[list[float]]:
    if content_type.split(";")[0].strip().lower() != "text/csv":
        raise ValueError(f"scale_model reads text/csv, not {content_type!r}")
    return [[float(cell) for cell in row] for row in csv.reader(io.StringIO(input_data.decode())) if row]


@inference_server.plugin_hook()
def predict_fn(data: list[list[float]], model: dict[str, Any]) -> list[float]:
    weights, bias = model["weights"], model["bias"]
    for n, row in enumerate(data, 1):
        if len(row) != len(weights):
            raise ValueError(f"row {n} has {len(row)} values, the model takes {len(weights)}")
    return [bias + sum(w * x for w, x in zip(weights, row)) for row in data]


@inference_server.plugin_hook()
def output_fn(prediction: list[float], accept: Any) -> tuple[bytes, str]:
    return "\n".join(f"{p:g}" for p in prediction).encode(), "text/csv"


@inference_server.plugin_hook()
def max_concurrent_transforms() -> int:
    return 2


@inference_server.plugin_hook()
def max_payload_in_mb() -> int:
    return 1
