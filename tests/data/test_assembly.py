"""AssembleWith (reference 6.4): input order whatever order responses arrive in, bounded
holding, and bte's Line choice for unknown 10.2."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.data import AssemblyError, OrderedAssembler
from tests.data.helpers import PROPERTY


@PROPERTY
@given(data=st.data(), responses=st.lists(st.binary(max_size=12), max_size=30),
       assemble_with=st.sampled_from(["None", "Line"]))
def test_assembly_restores_input_order(data: st.DataObject, responses: list[bytes], assemble_with: str) -> None:
    order = data.draw(st.permutations(range(len(responses))))
    asm = OrderedAssembler(assemble_with, max_pending=len(responses) + 1)
    out: list[bytes] = []
    for i in order:
        out += asm.add(i, responses[i])
    asm.finish(expected=len(responses))
    assert asm.pending == 0
    if assemble_with == "None":
        assert b"".join(out) == b"".join(responses)
    else:
        assert out == [r if r.endswith(b"\n") else r + b"\n" for r in responses]


@PROPERTY
@given(n=st.integers(1, 40), max_pending=st.integers(1, 5), rng=st.randoms(use_true_random=False))
def test_dispatch_window_keeps_pending_under_the_bound(n: int, max_pending: int, rng: random.Random) -> None:
    """A simulated engine: dispatch while may_dispatch() allows, complete any in-flight batch."""
    asm = OrderedAssembler("None", max_pending=max_pending)
    in_flight: list[int] = []
    sent = 0
    out: list[bytes] = []
    while sent < n or in_flight:
        while sent < n and asm.may_dispatch(sent):
            in_flight.append(sent)
            sent += 1
        done = in_flight.pop(rng.randrange(len(in_flight)))
        out += asm.add(done, b"%d," % done)
        assert asm.pending <= max_pending
    assert b"".join(out) == b"".join(b"%d," % i for i in range(n))


def test_6_4_assemble_none_concatenates_raw_bytes() -> None:
    """Row 6.4 AssembleWith None: results concatenated as raw bytes."""
    asm = OrderedAssembler("None")
    assert asm.add(1, b"\x00b") == []
    assert asm.pending == 1
    assert asm.add(0, b"a") == [b"a", b"\x00b"]


def test_10_2_assemble_line_adds_one_newline_unless_present() -> None:
    """Unknown 10.2 (bte's choice): one newline per mini-batch response, not per record,
    and none when the response already ends with one."""
    asm = OrderedAssembler("Line")
    assert asm.add(0, b"1\n2") == [b"1\n2\n"]
    assert asm.add(1, b"3\n4\n") == [b"3\n4\n"]
    assert asm.add(2, b"") == [b"\n"]


def test_finish_names_the_missing_minibatch() -> None:
    asm = OrderedAssembler("None", source="s3://b/x.csv")
    asm.add(0, b"a")
    asm.add(2, b"c")
    with pytest.raises(AssemblyError, match=r"s3://b/x.csv: .*mini-batch\(es\) 1"):
        asm.finish()
    asm2 = OrderedAssembler("None")
    asm2.add(0, b"a")
    with pytest.raises(AssemblyError, match="1 of 3"):
        asm2.finish(expected=3)


def test_duplicate_and_overflow_are_refused() -> None:
    asm = OrderedAssembler("None", max_pending=1)
    asm.add(0, b"a")
    with pytest.raises(AssemblyError, match="added twice"):
        asm.add(0, b"a")
    asm.add(2, b"c")
    assert not asm.may_dispatch(3)
    with pytest.raises(AssemblyError, match="may_dispatch"):
        asm.add(3, b"d")


def test_6_4_predictions_are_in_input_order_whatever_the_concurrency() -> None:
    """Row 6.4: predictions in an output file are in the order of the input records."""
    asm = OrderedAssembler("Line", max_pending=8)
    out: list[bytes] = []
    for i in (3, 1, 0, 2, 5, 4):
        out += asm.add(i, b"p%d" % i)
    assert b"".join(out) == b"p0\np1\np2\np3\np4\np5\n"
