"""SageMaker Python SDK v3, unmodified, against whatever AWS_ENDPOINT_URL names.

Run with the v3 venv's python (build/venvs/sdk3):  python sdk3_job.py IMAGE INPUT_FILE JOB_NAME
Uploads INPUT_FILE, creates the model with the resource class (Model.create), then runs two
jobs: JOB_NAME-t through sagemaker.core.transformer.Transformer(...).transform(wait=True,
logs=True), and JOB_NAME-r through TransformJob.create(...) then .wait(logs=True). Prints
each job's .out, read back through the SDK's S3Downloader, between OUTPUT-BEGIN NAME and
OUTPUT-END lines.
"""

import os
import sys

from sagemaker.core.helper.session_helper import Session
from sagemaker.core.resources import Model, TransformJob
from sagemaker.core.s3 import S3Downloader
from sagemaker.core.shapes import (
    ContainerDefinition,
    TransformDataSource,
    TransformInput,
    TransformOutput,
    TransformResources,
    TransformS3DataSource,
)
from sagemaker.core.transformer import Transformer

ROLE = "arn:aws:iam::123456789012:role/bte-sdk-test"


def show_output(session: Session, label: str, uri: str) -> None:
    print(f"OUTPUT-BEGIN {label}")
    sys.stdout.write(S3Downloader.read_file(uri, sagemaker_session=session))
    print("OUTPUT-END")


def main(image: str, input_file: str, job_name: str) -> None:
    session = Session()
    bucket = session.default_bucket()
    prefix = f"sdk3/{job_name}"
    input_uri = session.upload_data(input_file, bucket=bucket, key_prefix=f"{prefix}/input")
    name = os.path.basename(input_file)
    model = Model.create(
        model_name=f"{job_name}-model",
        primary_container=ContainerDefinition(image=image),
        execution_role_arn=ROLE,
        session=session.boto_session,
    )

    transformer = Transformer(
        model_name=model.model_name, instance_count=1, instance_type="ml.m5.large",
        strategy="MultiRecord", assemble_with="Line", accept="text/csv",
        output_path=f"s3://{bucket}/{prefix}/output-t", sagemaker_session=session,
    )
    transformer.transform(input_uri, content_type="text/csv", split_type="Line", job_name=f"{job_name}-t",
                          wait=True, logs=True)
    show_output(session, "transformer", f"s3://{bucket}/{prefix}/output-t/{name}.out")

    job = TransformJob.create(
        transform_job_name=f"{job_name}-r",
        model_name=model.model_name,
        transform_input=TransformInput(
            data_source=TransformDataSource(
                s3_data_source=TransformS3DataSource(s3_data_type="S3Prefix", s3_uri=input_uri)
            ),
            content_type="text/csv",
            split_type="Line",
        ),
        transform_output=TransformOutput(s3_output_path=f"s3://{bucket}/{prefix}/output-r", assemble_with="Line"),
        transform_resources=TransformResources(instance_type="ml.m5.large", instance_count=1),
        batch_strategy="MultiRecord",
        session=session.boto_session,
    )
    job.wait(poll=1, logs=True)
    print(f"TransformJobStatus {job.transform_job_status}")
    show_output(session, "resource", f"s3://{bucket}/{prefix}/output-r/{name}.out")


if __name__ == "__main__":
    main(*sys.argv[1:4])
