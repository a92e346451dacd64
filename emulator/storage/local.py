"""Local folders, with the same rules as S3.

A local path (or file:// URI) is a raw string prefix over absolute file paths, exactly as
an S3Uri is over keys: ``/d/in`` matches ``/d/in/a.csv`` and also ``/d/in_more/b.csv`` and
``/d/in.csv``; ``/d/in/`` matches only what is inside the folder. Listing is recursive and
sorted like S3 keys (by code point, which is UTF-8 byte order).

Outputs are written to a hidden temporary file in the destination folder and renamed into
place on commit, so a reader sees the whole file or none; abort deletes the temporary.
A commit over an existing file first hard-links it to a hidden kept copy, which ``undo()``
renames back and ``settle()`` removes (see ``OutputWriter``). Both hidden names carry the
run id: ``.<name>.<run id>.<random>.bte-partial`` and ``.<name>.<run id>.bte-replaced``.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import stat as stat_module
import tempfile
from collections.abc import Iterator

from emulator.storage.base import OutputWriter, Storage, StoredObject
from emulator.storage.errors import (
    AccessDenied,
    ManifestError,
    NoObjectsFound,
    ObjectMissing,
    OutputWriteFailed,
)
from emulator.storage.naming import REPLACED_SUFFIX
from emulator.storage.uri import file_uri, local_path

PARTIAL_SUFFIX = ".bte-partial"  # temporaries of unfinished outputs; never listed as inputs


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class LocalStorage(Storage):
    def prefix_key(self, uri: str) -> str:
        return local_path(uri)

    def _object(self, path: str, size: int) -> StoredObject:
        return StoredObject(uri=file_uri(path), key=path, size=size, display_name=path)

    def list_prefix(self, uri: str) -> list[StoredObject]:
        prefix = local_path(uri)
        folder, _, start = prefix.rpartition("/")
        folder = folder or "/"
        found: list[StoredObject] = []
        try:
            for entry in os.scandir(folder):
                if entry.name.startswith(start):
                    self._collect(entry, found)
        except (FileNotFoundError, NotADirectoryError):
            pass  # nothing there: reported as NoObjectsFound below
        except PermissionError as exc:
            raise AccessDenied(
                f'Cannot list local input path "{prefix}": permission denied on {exc.filename}. '
                "Give the user running bte read access to that folder.",
                uri=uri,
            ) from exc
        if not found:
            raise NoObjectsFound(
                f'No files found under local path "{prefix}" given in input data source. '
                "The path is a raw string prefix, as an S3Uri is: every file whose absolute path "
                "starts with it is an input. Please ensure that the folder exists and holds files.",
                uri=uri,
            )
        found.sort(key=lambda o: o.key)
        return found

    def _collect(self, entry: os.DirEntry[str], found: list[StoredObject]) -> None:
        if entry.is_dir():  # follows a symlink at this level; os.walk below does not loop
            for root, dirs, files in os.walk(entry.path, onerror=_raise):
                for name in files:
                    self._add(os.path.join(root, name), found)
        else:
            self._add(entry.path, found)

    def _add(self, path: str, found: list[StoredObject]) -> None:
        if path.endswith((PARTIAL_SUFFIX, REPLACED_SUFFIX)):
            return
        try:
            st = os.stat(path)
        except FileNotFoundError:  # a dangling symlink, or removed while listing
            return
        if stat_module.S_ISREG(st.st_mode):
            found.append(self._object(path, st.st_size))

    def stat(self, uri: str) -> StoredObject | None:
        path = local_path(uri)
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat_module.S_ISREG(st.st_mode):
            return None
        return dataclasses.replace(self._object(path, st.st_size), version=str(st.st_mtime_ns))

    def read_small(self, uri: str, limit: int) -> bytes:
        path = local_path(uri)
        try:
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise ManifestError(f'Cannot read manifest file "{path}": {exc.strerror}.', uri=uri) from exc
        if len(data) > limit:
            raise ManifestError(f'Manifest file "{path}" is larger than {limit} bytes.', uri=uri)
        return data

    def open_read(self, uri: str, chunk_size: int) -> Iterator[bytes]:
        path = local_path(uri)
        try:
            fh = open(path, "rb")
        except FileNotFoundError as exc:
            raise ObjectMissing(f'Input file "{path}" does not exist (was it removed after listing?).', uri=uri) from exc
        except OSError as exc:
            raise AccessDenied(f'Cannot read input file "{path}": {exc.strerror}.', uri=uri) from exc
        if not stat_module.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return _read_stream(fh, chunk_size)  # a pipe or device: no size, no offsets
        return LocalReader(fh, chunk_size)

    def open_write(self, uri: str, kms_key_id: str | None, run_id: str | None = None) -> OutputWriter:
        # KmsKeyId has no meaning on a local disk; it is accepted and ignored (documented).
        return LocalOutputWriter(uri, run_id)

    def delete(self, uri: str) -> None:
        path = local_path(uri)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise AccessDenied(f'Cannot remove "{path}": {exc.strerror}.', uri=uri) from exc

    def check_output(self, uri: str) -> None:
        path = local_path(uri)
        try:
            os.makedirs(path, exist_ok=True)
        except FileExistsError as exc:
            raise OutputWriteFailed(f'Output path "{path}" exists and is not a folder.', uri=uri) from exc
        except OSError as exc:
            raise AccessDenied(f'Cannot create output folder "{path}": {exc.strerror}.', uri=uri) from exc
        if not os.access(path, os.W_OK | os.X_OK):
            raise AccessDenied(
                f'Output folder "{path}" is not writable by the user running bte.', uri=uri
            )


def _raise(exc: OSError) -> None:
    raise exc


def _read_stream(fh: io.BufferedReader, chunk_size: int) -> Iterator[bytes]:
    with fh:
        while chunk := fh.read(chunk_size):
            yield chunk


class LocalReader:
    """An open input file, read either as an iterator of ``chunk_size`` chunks or at any
    offset (``size`` and ``read_at``: the data plane then reads each mini-batch body in
    one call). The file is closed once iterated to its end, on ``close()``, or when the
    reader is dropped."""

    def __init__(self, fh: io.BufferedReader, chunk_size: int) -> None:
        self._fh = fh
        self._chunk_size = chunk_size
        self.size = os.fstat(fh.fileno()).st_size

    def __iter__(self) -> LocalReader:
        return self

    def __next__(self) -> bytes:
        chunk = b"" if self._fh.closed else self._fh.read(self._chunk_size)
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def read_at(self, offset: int, n: int) -> bytes:
        if self._fh.closed:
            return b""
        data = os.pread(self._fh.fileno(), n, offset)
        while 0 < len(data) < n:  # a short read that is not the end: read on
            more = os.pread(self._fh.fileno(), n - len(data), offset + len(data))
            if not more:
                break
            data += more
        return data

    def close(self) -> None:
        self._fh.close()

    def __del__(self) -> None:
        self.close()


# The rename is what keeps a half-written output from ever looking finished, whatever
# happens to bte. An fsync before it only adds safety against the machine itself
# crashing, and costs about as much as writing the data again on slow disks, so it is
# opt-in for a local development tool (docs/storage.md).
FSYNC_OUTPUTS = os.environ.get("BTE_FSYNC_OUTPUTS", "") not in ("", "0", "false")


class LocalOutputWriter(OutputWriter):
    def __init__(self, uri: str, run_id: str | None = None) -> None:
        super().__init__(uri, run_id)
        self.path = local_path(uri)
        folder, name = os.path.split(self.path)
        self._kept_path = os.path.join(folder, f".{name}.{self.run_id}{REPLACED_SUFFIX}")
        self._kept = False
        self._identity: tuple[int, int] | None = None
        try:
            os.makedirs(folder, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.{self.run_id}.", suffix=PARTIAL_SUFFIX)
        except OSError as exc:
            raise OutputWriteFailed(f'Cannot create output "{self.path}": {exc.strerror}.', uri=uri) from exc
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get normal permissions
        self._fh = os.fdopen(fd, "wb")

    def _write(self, data: bytes) -> None:
        try:
            self._fh.write(data)
        except OSError as exc:
            raise OutputWriteFailed(f'Cannot write output "{self.path}": {exc.strerror}.', uri=self.uri) from exc

    def _commit(self) -> None:
        try:
            self._fh.flush()
            if FSYNC_OUTPUTS:
                os.fsync(self._fh.fileno())
            st = os.fstat(self._fh.fileno())
            self._identity = (st.st_dev, st.st_ino)
            self._fh.close()
            self._keep_existing()
            os.replace(self._tmp, self.path)
        except OSError as exc:
            self._drop_kept()
            raise OutputWriteFailed(f'Cannot store output "{self.path}": {exc.strerror}.', uri=self.uri) from exc

    def _keep_existing(self) -> None:
        # A hard link keeps the old file whole at no cost; the rename then only moves the name.
        try:
            os.link(self.path, self._kept_path)
        except FileNotFoundError:
            return
        except FileExistsError:
            os.replace(self.path, self._kept_path)  # only a leftover of this same run can be there
        except OSError:  # a file system without hard links
            shutil.copy2(self.path, self._kept_path)
        self._kept = True

    def _drop_kept(self) -> None:
        if self._kept:
            self._kept = False
            try:
                os.unlink(self._kept_path)
            except FileNotFoundError:
                pass

    def _still_ours(self) -> bool:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        return (st.st_dev, st.st_ino) == self._identity

    def _undo(self) -> None:
        try:
            if self._still_ours():
                if self._kept:
                    os.replace(self._kept_path, self.path)
                    self._kept = False
                else:
                    os.unlink(self.path)
            self._drop_kept()  # another run wrote the path since: its file stays
        except OSError as exc:
            raise OutputWriteFailed(
                f'Cannot take back output "{self.path}" of a stopped run: {exc.strerror}.', uri=self.uri
            ) from exc

    def _settle(self) -> None:
        self._drop_kept()

    def _abort(self) -> None:
        self._fh.close()
        try:
            os.unlink(self._tmp)
        except FileNotFoundError:
            pass

