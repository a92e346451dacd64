"""The storage interface: what every backend (local folders, S3) provides.

A backend answers four questions about URIs of its own scheme: which objects sit under a
raw string prefix (sorted as S3 lists keys), how big one object is, what its bytes are
(streamed), and how to write a new object so that it appears whole or not at all.
Everything about the service's data sources and naming is built on top of this, once,
in ``sources.py`` and ``naming.py``; backends know nothing about SageMaker.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType

from emulator.storage.errors import StorageError


@dataclass(frozen=True)
class InputObject:
    """One input object of a transform job, as the engine needs it."""

    uri: str  # full URI: "s3://bucket/key" or "file:///abs/path"
    relative_name: str  # the path relative to the S3Uri prefix; the output is <this>.out
    size: int
    display_name: str  # the service's data-log name: "bucket/key" for S3, the path for local


@dataclass(frozen=True)
class StoredObject:
    """An object as a backend lists it; ``key`` is the string prefixes are matched against
    (the S3 key, or the absolute path of a local file)."""

    uri: str
    key: str
    size: int
    display_name: str
    version: str = ""  # what changes when the object does: S3's ETag, a file's mtime (``stat`` only)


class OutputWriter(ABC):
    """An output object being written. Nothing is visible at ``uri`` until ``commit()``;
    ``abort()`` (or an exception inside ``with``) leaves nothing behind.

    A commit that replaces an existing object first keeps a copy of it (named with
    ``run_id``), so that a run that is stopped later can ``undo()`` its commits: each
    replaced object is put back, each new one removed, and an object that another run has
    written since is left alone. A run that ends Completed or Failed calls ``settle()``,
    which drops the kept copy. States: open -> committed -> undone | settled, or open -> aborted.

    ``with open_output(uri) as out: out.write(b"...")`` commits on a clean exit and aborts
    when the block raises (KeyboardInterrupt included)."""

    def __init__(self, uri: str, run_id: str | None = None) -> None:
        self.uri = uri
        self.run_id = run_id or os.urandom(4).hex()  # not secrets: 9 ms of imports before the start
        # Told the id of each multipart upload as it begins (S3), so that the run's record
        # can name it and a cleanup after a killed run can abort it (emulator/leftovers.py).
        self.on_upload: Callable[[str, str], None] | None = None
        self.bytes_written = 0
        self.state = "open"  # "open" -> "committed" -> "undone" | "settled"; "open" -> "aborted"

    def write(self, data: bytes) -> None:
        if self.state != "open":
            raise StorageError(f"cannot write to {self.uri}: the output is already {self.state}", uri=self.uri)
        if data:
            self._write(data)
            self.bytes_written += len(data)

    def commit(self) -> None:
        """Make the object appear whole at ``uri``; on failure nothing is left and the error is raised."""
        if self.state != "open":
            raise StorageError(f"cannot commit {self.uri}: the output is already {self.state}", uri=self.uri)
        try:
            self._commit()
        except BaseException:
            self.abort()
            raise
        self.state = "committed"

    def abort(self) -> None:
        """Throw away what was written; idempotent, and a no-op after a commit."""
        if self.state != "open":
            return
        self.state = "aborted"
        self._abort()

    def undo(self) -> None:
        """Take a commit back: put back what it replaced, or remove what it created, but only
        while the object at ``uri`` is still this commit's. A no-op unless committed."""
        if self.state != "committed":
            return
        self.state = "undone"
        self._undo()

    def settle(self) -> None:
        """Keep the commit for good: drop the copy of what it replaced. A no-op unless committed."""
        if self.state != "committed":
            return
        self.state = "settled"
        self._settle()

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            if self.state == "open":
                self.commit()
        else:
            self.abort()

    @abstractmethod
    def _write(self, data: bytes) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _abort(self) -> None: ...

    @abstractmethod
    def _undo(self) -> None: ...

    @abstractmethod
    def _settle(self) -> None: ...


class Storage(ABC):
    """One backend. URIs passed in are already known to be of this backend's scheme."""

    @abstractmethod
    def prefix_key(self, uri: str) -> str:
        """The string that keys are matched against for ``uri`` (S3 key or absolute path)."""

    @abstractmethod
    def list_prefix(self, uri: str) -> list[StoredObject]:
        """Every object whose key starts with the raw string prefix of ``uri``, sorted by key,
        folder markers (keys ending in "/") skipped. Raises NoObjectsFound when there is none."""

    @abstractmethod
    def stat(self, uri: str) -> StoredObject | None:
        """The object at ``uri``, or None when there is none."""

    @abstractmethod
    def read_small(self, uri: str, limit: int) -> bytes:
        """The whole object (a manifest); a ManifestError when it is bigger than ``limit``."""

    @abstractmethod
    def open_read(self, uri: str, chunk_size: int) -> Iterator[bytes]:
        """Stream the object's raw bytes. Opening errors are raised here, before iteration."""

    @abstractmethod
    def open_write(self, uri: str, kms_key_id: str | None, run_id: str | None = None) -> OutputWriter:
        """Start writing an object; see OutputWriter."""

    @abstractmethod
    def delete(self, uri: str) -> None:
        """Remove the object at ``uri``; no error when there is none."""

    @abstractmethod
    def check_output(self, uri: str) -> None:
        """Fail early when outputs cannot be written under ``uri``."""
