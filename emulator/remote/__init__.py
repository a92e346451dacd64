"""Client verbs: ``bte jobs``, ``bte describe``, ``bte stop`` and ``bte logs`` talk to a
running ``bte serve`` (or any SageMaker-compatible endpoint) through boto3, exactly as a
user's own code does."""

from emulator.remote.connection import Connection, RemoteError, resolve_endpoint

__all__ = ["Connection", "RemoteError", "resolve_endpoint"]
