"""Which endpoint the client verbs talk to, and boto3 clients for it.

The endpoint: ``--endpoint-url``, else ``AWS_ENDPOINT_URL_SAGEMAKER``, else
``AWS_ENDPOINT_URL``, else ``DEFAULT_ENDPOINT`` (``bte serve``'s default address).
Credentials and region come from the usual AWS settings; where none are set, dummy ones
(a server without ``--credentials`` accepts any), so ``bte jobs`` works with no set-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


DEFAULT_ENDPOINT = "http://127.0.0.1:8765"  # bte serve's default --port
DEFAULT_REGION = "us-east-1"
DUMMY_KEY = "bte"


class RemoteError(Exception):
    """A failed call, in words for the terminal (the service's code and message, or why no answer)."""


def resolve_endpoint(explicit: str | None = None) -> str:
    return (explicit or os.environ.get("AWS_ENDPOINT_URL_SAGEMAKER") or os.environ.get("AWS_ENDPOINT_URL")
            or DEFAULT_ENDPOINT)


@dataclass
class Connection:
    """boto3 clients (sagemaker, logs) for one endpoint, made on first use."""

    endpoint_url: str
    _session: Any = field(default=None, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_args(cls, endpoint_url: str | None) -> "Connection":
        return cls(resolve_endpoint(endpoint_url))

    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config  # botocore only when a verb calls (`bte run` never does)

            session = self._boto_session()
            self._clients[service] = session.client(
                service, endpoint_url=self.endpoint_url,
                config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30),
            )
        return self._clients[service]

    def call(self, service: str, operation: str, **params: Any) -> Any:
        """One API call; failures come back as :class:`RemoteError` naming the endpoint."""
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

        try:
            return getattr(self.client(service), operation)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise RemoteError(f"{error.get('Code', 'Error')}: {error.get('Message', '')}") from exc
        except EndpointConnectionError as exc:
            raise RemoteError(
                f"cannot reach {self.endpoint_url}: is `bte serve` running there? "
                f"(start one with `bte serve`, or pass --endpoint-url / set AWS_ENDPOINT_URL)"
            ) from exc
        except BotoCoreError as exc:
            raise RemoteError(f"{self.endpoint_url}: {exc}") from exc

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3

            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            if _credentials_configured():
                self._session = boto3.session.Session()
                if self._session.region_name is None:
                    self._session = boto3.session.Session(region_name=DEFAULT_REGION)
            else:
                self._session = boto3.session.Session(aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY,
                                                      region_name=region or DEFAULT_REGION)
        return self._session


def _credentials_configured() -> bool:
    """Credentials in the environment or the shared files, looked for without asking any
    network source (boto3's chain would go on to the instance metadata service)."""
    if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
        return True
    shared = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.expanduser("~/.aws/credentials")
    return os.path.isfile(shared)
