"""SageMaker ARNs as the service writes them.

The service lower-cases the name part of its ARNs: a job named
``Batch-Transform-2022-04-18-00-26-41`` has the ARN
``arn:aws:sagemaker:us-east-1:<account>:transform-job/batch-transform-2022-04-18-00-26-41``
(reference 2.2, observed). The name inside Describe responses keeps its case.
"""

from __future__ import annotations

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"


def sagemaker_arn(resource_type: str, name: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    """``arn:aws:sagemaker:<region>:<account>:<resource_type>/<name lower-cased>``."""
    return f"arn:aws:sagemaker:{region}:{account}:{resource_type}/{name.lower()}"


def transform_job_arn(name: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    """The ARN of a transform job."""
    return sagemaker_arn("transform-job", name, region, account)


def model_arn(name: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    """The ARN of a model."""
    return sagemaker_arn("model", name, region, account)
