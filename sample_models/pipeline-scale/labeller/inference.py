"""pipeline-scale / labeller: the postprocessing container of the sample inference pipeline.

In (``text/csv``): one prediction per line, as the tabular-regression predictor answers.
Out (``application/jsonlines``): ``{"prediction": 10.5, "band": "high"}`` per line, in
order, joined by ``\\n``; ``band`` is ``high`` when the prediction is at least
``LABELLER_THRESHOLD`` (environment, default 0), else ``low``. Another content type
answers 415, a line that is not a number answers 500 naming it.
"""

from __future__ import annotations

import json
import os


class UnsupportedFormatError(Exception):
    """Named as the shim expects, so a wrong content type answers 415."""


def model_fn(model_dir: str) -> float:
    threshold = float(os.environ.get("LABELLER_THRESHOLD") or 0)
    print(f"labeller: threshold {threshold}", flush=True)
    return threshold


def transform_fn(threshold: float, body: bytes | str, content_type: str, accept: str) -> tuple[bytes, str]:
    if content_type.split(";", 1)[0].strip().lower() != "text/csv":
        raise UnsupportedFormatError(f"the labeller reads text/csv predictions, not {content_type!r}")
    out = []
    text = body if isinstance(body, str) else body.decode("utf-8")  # the shim hands text/csv over as str
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = float(line)
        except ValueError:
            raise ValueError(f"line {n} is not a prediction: {line[:200]!r}") from None
        out.append(json.dumps({"prediction": value, "band": "high" if value >= threshold else "low"}))
    return "\n".join(out).encode(), "application/jsonlines"
