"""Runs one transform job through the SageMaker Python SDK's local mode (v2 or v3).

Run by benchmarks/peers.py with the python of an SDK venv (build/venvs/sdk2 or sdk3), as a
user would run it: a new process, the model created through the local session, then
``Transformer(...).transform(..., wait=True)``. Everything is on local files (file://),
so no AWS account and no network are needed.

    python peers_sdk.py CASE.json      # {"image", "model_tar", "input", "output", "job": {...}}
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    case = json.loads(open(sys.argv[1]).read())
    job = case["job"]
    try:  # v3: sagemaker-core
        from sagemaker.core.local.local_session import LocalSession
        from sagemaker.core.transformer import Transformer
    except ImportError:  # v2
        from sagemaker.local import LocalSession  # type: ignore[no-redef]
        from sagemaker.transformer import Transformer  # type: ignore[no-redef]

    session = LocalSession()
    session.config = {"local": {"local_code": True}}
    name = f"peers-{int(time.time() * 1000)}"
    session.sagemaker_client.create_model(
        ModelName=name,
        PrimaryContainer={"Image": case["image"], "ModelDataUrl": case["model_tar"], "Environment": job.get("Environment", {})},
        ExecutionRoleArn="arn:aws:iam::123456789012:role/bte-peers",
    )
    transformer = Transformer(
        model_name=name,
        instance_count=1,
        instance_type="local",
        strategy=job.get("BatchStrategy"),
        assemble_with="Line",
        output_path=case["output"],
        max_concurrent_transforms=job.get("MaxConcurrentTransforms"),
        max_payload=job.get("MaxPayloadInMB"),
        sagemaker_session=session,
    )
    # A job name given: v3 would otherwise look the model up over AWS to name the job.
    transformer.transform(case["input"], content_type="text/csv", split_type="Line", job_name=name, wait=True, logs=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
