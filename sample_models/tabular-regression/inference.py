"""tabular-regression: a linear model fitted by least squares when the model loads.

In (``text/csv``): headerless rows of 4 numeric features. Out (``text/csv``): one
prediction per input row, in order, one per line (no trailing newline), printed with
``repr``-like precision (``%.6g``). A row with the wrong number of cells or a cell that
is not a number answers 500 naming the row.

Training data: ``$SM_MODEL_DIR/train.csv`` when it exists, else ``data/train.csv`` beside
this file; rows are ``y,x1,x2,x3,x4`` (target first, no header).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

FEATURES = 4


def model_fn(model_dir: str) -> list[float]:
    path = Path(model_dir) / "train.csv"
    if not path.is_file():
        path = Path(__file__).parent / "data" / "train.csv"
    started = time.monotonic()
    with path.open() as f:
        rows = [[float(cell) for cell in row] for row in csv.reader(f) if row]
    weights = fit([row[1:] for row in rows], [row[0] for row in rows])
    print(f"tabular-regression: fitted {len(rows)} rows from {path} in {time.monotonic() - started:.3f} s, "
          f"weights {[round(w, 3) for w in weights]}", flush=True)
    return weights


def fit(xs: list[list[float]], ys: list[float]) -> list[float]:
    """Solve the normal equations (X'X) w = X'y, with an intercept column, by Gaussian elimination."""
    design = [[1.0, *x] for x in xs]
    k = len(design[0])
    xtx = [[sum(r[i] * r[j] for r in design) for j in range(k)] for i in range(k)]
    xty = [sum(r[i] * y for r, y in zip(design, ys)) for i in range(k)]
    return solve(xtx, xty)


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-12:
            raise ValueError("the training features are collinear; least squares has no unique solution")
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col:
                factor = m[r][col] / m[col][col]
                m[r] = [x - factor * y for x, y in zip(m[r], m[col])]
    return [m[i][n] / m[i][i] for i in range(n)]


def transform_fn(weights: list[float], body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
    if content_type.split(";", 1)[0].strip().lower() != "text/csv":
        raise ValueError(f"tabular-regression reads text/csv, not {content_type!r}")
    lines = []
    for n, row in enumerate(csv.reader(io.StringIO(body if isinstance(body, str) else body.decode("utf-8"))), 1):
        if not row:
            continue
        if len(row) != FEATURES:
            raise ValueError(f"row {n} has {len(row)} cells, expected {FEATURES} numeric features: {','.join(row)[:200]}")
        try:
            xs = [float(cell) for cell in row]
        except ValueError:
            raise ValueError(f"row {n} has a cell that is not a number: {','.join(row)[:200]}") from None
        lines.append(f"{weights[0] + sum(w * x for w, x in zip(weights[1:], xs)):.6g}")
    return "\n".join(lines).encode(), "text/csv"
