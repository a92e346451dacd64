"""The data plane's public surface, as the engine and plan import it (pinned, as httpx does)."""

from __future__ import annotations

import dataclasses
import inspect

import emulator.data as data
from emulator.spec.errors import BteError


def test_public_names() -> None:
    for name in ("MiniBatch", "iter_minibatches", "iter_records", "Record", "OrderedAssembler",
                 "DataProcessing", "gunzip", "lint_input", "lint_job", "InputWarning", "DataError",
                 "RecordTooLarge", "BadRecordFraming", "UnsupportedJsonPath", "JsonPathIndexOutOfRange",
                 "RecordCountMismatch"):
        assert name in data.__all__ and hasattr(data, name)
    assert sorted(data.__all__) == sorted(set(data.__all__))


def test_minibatch_fields_and_signatures() -> None:
    assert [f.name for f in dataclasses.fields(data.MiniBatch)] == [
        "index", "body", "first_record", "record_count", "start_offset", "end_offset"]
    params = inspect.signature(data.iter_minibatches).parameters
    assert list(params) == ["chunks", "split_type", "batch_strategy", "max_payload_bytes", "source",
                            "count_records"]
    assert [f.name for f in dataclasses.fields(data.InputWarning)] == ["code", "source", "message", "fix"]


def test_errors_are_bte_errors() -> None:
    for name in ("DataError", "RecordTooLarge", "BadRecordFraming", "UnsupportedJsonPath",
                 "JsonPathIndexOutOfRange", "RecordCountMismatch", "BadCompression", "AssemblyError"):
        assert issubclass(getattr(data, name), BteError)


def test_the_data_plane_imports_only_spec_and_does_no_io() -> None:
    """Design rule: emulator/data may import emulator.spec only, and touches no network or disk."""
    import ast
    from pathlib import Path

    forbidden = {"socket", "requests", "boto3", "botocore", "docker", "httpx", "urllib", "os", "pathlib",
                 "shutil", "tempfile", "subprocess", "threading"}
    for path in Path(data.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top not in forbidden, f"{path.name} imports {name}"
                if name.startswith("emulator."):
                    assert name.startswith(("emulator.data", "emulator.spec")), f"{path.name} imports {name}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "open":
                raise AssertionError(f"{path.name} opens a file")
