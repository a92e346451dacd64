"""Batch data capture (DataCaptureConfig): the manifests the service writes, and the
inference ids it adds to outputs (data/inference_ids.py).

At the end of a job that ran (Completed or Failed; a stopped job stores nothing), two
manifests go under DestinationS3Uri, in the manifest format of a ManifestFile input, in
folders named for the hour the job started (UTC), as the developer guide's "Capture data
from batch transform job" describes:

    <DestinationS3Uri>/input/yyyy/mm/dd/hh/<TransformJobName>.manifest
        [{"prefix": "s3://<input prefix>/"}, "a.csv", "b.csv"]
    <DestinationS3Uri>/output/yyyy/mm/dd/hh/<TransformJobName>.manifest
        [{"prefix": "s3://<S3OutputPath>/"}, "a.csv.out", "b.csv.out"]

The manifests name the objects; nothing is copied. The file name is bte's choice (the
guide does not give one): a rerun of a name in the same hour replaces its manifests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from emulator import storage
from emulator.data.inference_ids import InferenceIds
from emulator.spec import TransformJobSpec
from emulator.storage import InputObject


def capture_config(spec: TransformJobSpec) -> dict[str, Any] | None:
    config = spec.request.get("DataCaptureConfig")
    return dict(config) if config else None


def inference_ids(spec: TransformJobSpec, started: float) -> InferenceIds | None:
    """The job's InferenceIds, where DataCaptureConfig asks for them (GenerateInferenceId)."""
    config = capture_config(spec)
    if not config or not config.get("GenerateInferenceId"):
        return None
    return InferenceIds.for_output(spec.accept, spec.content_type, spec.assemble_with, started)


def write_manifests(spec: TransformJobSpec, inputs: list[InputObject], outputs: list[InputObject], started: float,
                    *, s3_endpoint_url: str | None = None, run_id: str | None = None) -> list[str]:
    """Write the input and output manifests; returns their URIs (none without DataCaptureConfig)."""
    config = capture_config(spec)
    if not config:
        return []
    hour = dt.datetime.fromtimestamp(started, dt.timezone.utc).strftime("%Y/%m/%d/%H")
    destination = str(config["DestinationS3Uri"]).rstrip("/")
    output_prefix = spec.output_path.rstrip("/") + "/"
    manifests = {
        "input": _manifest(_input_prefix(spec, inputs), [obj.uri for obj in inputs]),
        "output": _manifest(output_prefix, [storage.output_uri(spec.output_path, obj) for obj in outputs]),
    }
    written = []
    for kind, body in manifests.items():
        uri = f"{destination}/{kind}/{hour}/{spec.name}.manifest"
        with storage.open_output(uri, kms_key_id=config.get("KmsKeyId"), s3_endpoint_url=s3_endpoint_url,
                                 run_id=run_id) as out:
            out.write(body)
        written.append(uri)
    return written


def _input_prefix(spec: TransformJobSpec, inputs: list[InputObject]) -> str:
    """The folder part of S3Uri for an S3Prefix input; else (a manifest, a local path given
    without file://) the inputs' common folder."""
    uris = [obj.uri for obj in inputs]
    folder = spec.input_uri[: spec.input_uri.rfind("/") + 1]
    if spec.data_type == "S3Prefix" and all(uri.startswith(folder) for uri in uris):
        return folder
    common = os.path.commonprefix(uris)
    return common[: common.rfind("/") + 1]


def _manifest(prefix: str, uris: list[str]) -> bytes:
    entries = [uri[len(prefix):] if uri.startswith(prefix) else uri for uri in uris]
    return (json.dumps([{"prefix": prefix}, *entries]) + "\n").encode()
