"""SageMaker Python SDK v2, unmodified, against whatever AWS_ENDPOINT_URL names.

Run with the v2 venv's python (build/venvs/sdk2):  python sdk2_job.py IMAGE INPUT_FILE JOB_NAME
Uploads INPUT_FILE to the SDK's default bucket, builds a Model(image_uri, model_data, role),
runs transformer(...).transform(..., wait=True, logs=True), then prints the .out that the
SDK reads back from S3 between OUTPUT-BEGIN / OUTPUT-END lines.
"""

import io
import os
import sys
import tarfile
import tempfile

import sagemaker
from sagemaker.model import Model
from sagemaker.s3 import S3Downloader, S3Uploader

ROLE = "arn:aws:iam::123456789012:role/bte-sdk-test"


def model_tarball(folder: str) -> str:
    path = os.path.join(folder, "model.tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        data = b"sdk v2 model artifacts\n"
        info = tarfile.TarInfo("README.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def main(image: str, input_file: str, job_name: str) -> None:
    session = sagemaker.Session()
    bucket = session.default_bucket()
    prefix = f"sdk2/{job_name}"
    input_uri = session.upload_data(input_file, bucket=bucket, key_prefix=f"{prefix}/input")
    with tempfile.TemporaryDirectory() as folder:
        model_data = S3Uploader.upload(model_tarball(folder), f"s3://{bucket}/{prefix}/model", sagemaker_session=session)
    model = Model(image_uri=image, model_data=model_data, role=ROLE, sagemaker_session=session,
                  name=f"{job_name}-model")
    transformer = model.transformer(
        instance_count=1, instance_type="ml.m5.large", strategy="MultiRecord", assemble_with="Line",
        output_path=f"s3://{bucket}/{prefix}/output", accept="text/csv",
    )
    transformer.transform(input_uri, content_type="text/csv", split_type="Line", job_name=job_name,
                          wait=True, logs=True)
    name = os.path.basename(input_file)
    output = S3Downloader.read_file(f"{transformer.output_path}/{name}.out", sagemaker_session=session)
    print("OUTPUT-BEGIN")
    sys.stdout.write(output)
    print("OUTPUT-END")


if __name__ == "__main__":
    main(*sys.argv[1:4])
