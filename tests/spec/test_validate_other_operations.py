"""validate() is generic over the service model: any operation, any shape."""

from __future__ import annotations

import datetime as dt

import pytest

from emulator.spec import RequestValidationError, validate
from emulator.spec.errors import UnknownOperation


def test_describe_and_stop_need_a_valid_name() -> None:
    validate("DescribeTransformJob", {"TransformJobName": "job-1"})
    with pytest.raises(RequestValidationError) as info:
        validate("StopTransformJob", {})
    assert str(info.value) == (
        "1 validation error detected: Value null at 'transformJobName' failed to satisfy constraint: Member must not be null"
    )


def test_list_transform_jobs_ranges_enums_and_timestamps() -> None:
    validate("ListTransformJobs", {})
    validate(
        "ListTransformJobs",
        {"CreationTimeAfter": dt.datetime(2026, 1, 1), "CreationTimeBefore": "2026-01-02T00:00:00Z", "MaxResults": 100},
    )
    with pytest.raises(RequestValidationError) as info:
        validate("ListTransformJobs", {"MaxResults": 101, "StatusEquals": "Running", "LastModifiedTimeAfter": "yesterday"})
    assert info.value.violations == (
        "Value 'yesterday' at 'lastModifiedTimeAfter' failed to satisfy constraint: "
        "Member must be of type timestamp (a datetime, epoch seconds or ISO 8601 text), not string",
        "Value 'Running' at 'statusEquals' failed to satisfy constraint: "
        "Member must satisfy enum value set: [InProgress, Completed, Failed, Stopping, Stopped]",
        "Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
    )


def test_sensitive_members_do_not_echo_their_value() -> None:
    request = {
        "WorkforceName": "wf",
        "OidcConfig": {
            "ClientId": "id",
            "ClientSecret": "s" * 1025,
            "Issuer": "https://issuer",
            "AuthorizationEndpoint": "https://a",
            "TokenEndpoint": "https://t",
            "UserInfoEndpoint": "https://u",
            "LogoutEndpoint": "https://l",
            "JwksUri": "https://j",
        },
    }
    with pytest.raises(RequestValidationError) as info:
        validate("CreateWorkforce", request)
    assert "Value at 'oidcConfig.clientSecret' failed to satisfy constraint: Member must have length" in str(info.value)
    assert "sss" not in str(info.value)


def test_unknown_operation() -> None:
    with pytest.raises(UnknownOperation) as info:
        validate("CreateTransformJobs", {})
    assert info.value.code == "UnknownOperationException"
    assert str(info.value) == "Operation CreateTransformJobs is not supported by the SageMaker service model."
