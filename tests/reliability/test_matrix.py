"""The fault matrix: each row a real fault against real parts, asserted the same way:
its end state, its message, the outputs left, and never a partial or temporary file,
object or upload. The rows are in rows_*.py; docs/reliability.md shows them as a table."""

from __future__ import annotations

import pytest

from tests.reliability import table
from tests.reliability.harness import Case, Fault
from tests.reliability.rows import ROWS

TEMPORARY = (".bte-partial", ".bte-replaced")


def _param(fault: Fault) -> object:
    marks = [pytest.mark.docker] if fault.docker else []
    return pytest.param(fault, id=fault.id, marks=marks)


@pytest.mark.parametrize("fault", [_param(f) for f in ROWS if f.elsewhere is None])
def test_fault(fault: Fault, tmp_path, request) -> None:
    case = Case(tmp_path)
    if fault.docker:
        case.docker_image = request.getfixturevalue("sample_image")("echo")
    if fault.s3:  # moto's server: the matrix is about bte, the S3 servers have tests of their own
        case.s3 = request.getfixturevalue("moto_s3_server")
        case.bucket = case.s3.new_bucket()
        request.addfinalizer(lambda: case.s3.remove_bucket(case.bucket))
    assert fault.run is not None
    outcome = fault.run(case)
    assert outcome.status == fault.status, outcome.everything_said
    assert fault.message in outcome.everything_said
    if outcome.out is not None and outcome.out.exists():
        names = sorted(p.relative_to(outcome.out).as_posix() for p in outcome.out.rglob("*") if p.is_file())
        assert not [n for n in names if n.endswith(TEMPORARY)], names
        if fault.outputs is not None:
            assert names == sorted(fault.outputs)
    elif fault.outputs:
        pytest.fail(f"no output folder; expected {fault.outputs}")
    if case.s3 is not None:
        s3 = case.s3.client()
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=case.bucket).get("Contents", [])]
        assert not [k for k in keys if k.endswith(TEMPORARY)], keys
        assert s3.list_multipart_uploads(Bucket=case.bucket).get("Uploads", []) == []
    if fault.check is not None:
        fault.check(case, outcome)


@pytest.mark.parametrize("fault", [pytest.param(f, id=f.id) for f in ROWS if f.elsewhere], )
def test_a_row_covered_elsewhere_names_a_test_that_exists(fault: Fault) -> None:
    path, _, name = (fault.elsewhere or "").partition("::")
    source = (table.DOC.parents[1] / path).read_text()
    assert f"def {name.split('[')[0]}(" in source, fault.elsewhere


def test_the_table_in_the_docs_is_the_rows() -> None:
    assert table.current() == table.render(), "run: .venv/bin/python -m tests.reliability.table"


def test_every_row_has_its_own_id() -> None:
    ids = [f.id for f in ROWS]
    assert len(ids) == len(set(ids))
