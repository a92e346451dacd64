"""Writes data/train.csv: 200 headerless rows ``y,x1,x2,x3,x4`` (target first, as SageMaker's
built-in algorithms expect) from y = 4 + 3*x1 - 2*x2 + 0.5*x3 + 1.5*x4 + noise(sd 0.1).
Deterministic (seed 7); rerun ``python make_data.py`` to regenerate."""

from __future__ import annotations

import random
from pathlib import Path

TRUE_WEIGHTS = (4.0, 3.0, -2.0, 0.5, 1.5)  # intercept, x1..x4


def main() -> None:
    rng = random.Random(7)
    out = Path(__file__).parent / "data" / "train.csv"
    with out.open("w") as f:
        for _ in range(200):
            xs = [round(rng.uniform(-10, 10), 3) for _ in range(4)]
            y = TRUE_WEIGHTS[0] + sum(w * x for w, x in zip(TRUE_WEIGHTS[1:], xs)) + rng.gauss(0, 0.1)
            f.write(",".join([f"{y:.4f}", *(f"{x:g}" for x in xs)]) + "\n")


if __name__ == "__main__":
    main()
