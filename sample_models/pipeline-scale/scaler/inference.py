"""pipeline-scale / scaler: the preprocessing container of the sample inference pipeline.

In (``text/csv``, read by the serving shim's default input_fn): headerless rows of 4
numeric features in the units the data arrives in. Out (``text/csv``): the same rows
with each feature converted to the units the predictor was trained on,
``x * scale + offset`` per column, ``%.6g`` per cell, rows joined by ``\\n`` (no trailing
newline). The conversion comes from ``scaler.json`` in the model directory
(``SM_MODEL_DIR``), else beside this file. A row with the wrong number of cells or a cell
that is not a number answers 500 naming the row; another content type answers 415.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FEATURES = 4


def model_fn(model_dir: str) -> dict[str, list[float]]:
    path = Path(model_dir) / "scaler.json"
    if not path.is_file():
        path = Path(__file__).parent / "scaler.json"
    conversion: dict[str, Any] = json.loads(path.read_text())
    scale, offset = [float(v) for v in conversion["scale"]], [float(v) for v in conversion["offset"]]
    print(f"scaler: scale {scale}, offset {offset} from {path}", flush=True)
    return {"scale": scale, "offset": offset}


def predict_fn(rows: list[list[float | str]], model: dict[str, list[float]]) -> list[list[float]]:
    for n, row in enumerate(rows, 1):
        if len(row) != FEATURES or not all(isinstance(cell, float) for cell in row):
            shown = ",".join(str(cell) for cell in row)[:200]
            raise ValueError(f"row {n} is not {FEATURES} numeric features: {shown}")
    return [[float(x) * s + o for x, s, o in zip(row, model["scale"], model["offset"])] for row in rows]


def output_fn(rows: list[list[float]], accept: str) -> tuple[bytes, str]:
    # Always CSV, whatever the job's Accept asks of the pipeline's last container.
    return "\n".join(",".join(f"{x:.6g}" for x in row) for row in rows).encode(), "text/csv"
