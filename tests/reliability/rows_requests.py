"""Bad requests: each validation rule names its field, and nothing starts (the refusal
comes from validation, before the inputs are listed or any instance is started)."""

from __future__ import annotations

from typing import Any

from tests.reliability.harness import Case, Fault, Outcome

SERVICE = "ValidationException, naming the field, before the job exists"
BTE = "the same refusal, before any instance starts"

# (row id, the field as the service names it, the request's bad part)
RULES: list[tuple[str, str, dict[str, Any]]] = [
    ("name-pattern", "transformJobName", {"TransformJobName": "bad_name"}),
    ("split-type", "transformInput.splitType", {"TransformInput": {"SplitType": "Lines"}}),
    ("compression-type", "transformInput.compressionType", {"TransformInput": {"CompressionType": "Zip"}}),
    ("data-type", "transformInput.dataSource.s3DataSource.s3DataType",
     {"TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "AugmentedManifestFile"}}}}),
    ("input-uri", "transformInput.dataSource.s3DataSource.s3Uri",
     {"TransformInput": {"DataSource": {"S3DataSource": {"S3Uri": "ftp://x/y"}}}}),
    ("payload-over-100", "maxPayloadInMB", {"MaxPayloadInMB": 101}),
    ("payload-product", "maxConcurrentTransforms * maxPayloadInMB", {"MaxPayloadInMB": 50, "MaxConcurrentTransforms": 4}),
    ("batch-strategy", "batchStrategy", {"BatchStrategy": "Multi"}),
    ("retries-over-3", "modelClientConfig.invocationsMaxRetries", {"ModelClientConfig": {"InvocationsMaxRetries": 4}}),
    ("timeout-over-3600", "modelClientConfig.invocationsTimeoutInSeconds",
     {"ModelClientConfig": {"InvocationsTimeoutInSeconds": 3601}}),
    ("instance-type", "transformResources.instanceType", {"TransformResources": {"InstanceType": "local"}}),
    ("instance-count", "transformResources.instanceCount", {"TransformResources": {"InstanceCount": 0}}),
    ("environment-size", "environment", {"Environment": {f"K{i}": "v" for i in range(17)}}),
    ("assemble-with", "transformOutput.assembleWith", {"TransformOutput": {"AssembleWith": "Lines"}}),
    ("join-source", "dataProcessing.joinSource", {"DataProcessing": {"JoinSource": "Output"}}),
    ("output-missing", "transformOutput", {"TransformOutput": None}),
]


def _refused(bad: dict[str, Any]) -> Any:
    def run(case: Case) -> Outcome:
        # No input folder at all: a refusal that came after listing the inputs would say so.
        return case.run(case.request("req", **bad))

    return run


ROWS = [
    Fault(f"request-{rid}", "bad request", f"`{field}` invalid", SERVICE, BTE, f"at '{field}'", "refused",
          _refused(bad), outputs=())
    for rid, field, bad in RULES
]
