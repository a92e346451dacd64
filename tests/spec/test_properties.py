"""Property tests: the name pattern, checked through the whole validation path."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.spec import RequestValidationError, validate
from tests.spec.builders import transform_job_request

ALNUM = string.ascii_letters + string.digits
alnum_char = st.sampled_from(ALNUM)


@st.composite
def valid_names(draw: st.DrawFn) -> str:
    # [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}, and at most 63 characters in all
    first = draw(alnum_char)
    groups = draw(st.lists(st.tuples(st.integers(0, 2), alnum_char), max_size=62))
    name = first + "".join("-" * dashes + char for dashes, char in groups)
    return name[:63].rstrip("-")


@settings(max_examples=200, deadline=None)
@given(valid_names())
def test_any_name_matching_the_pattern_validates(name: str) -> None:
    validate("CreateTransformJob", transform_job_request(TransformJobName=name))


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=ALNUM + "-", max_size=30),
    st.characters(blacklist_characters=ALNUM + "-"),
    st.text(alphabet=ALNUM + "-", max_size=30),
)
def test_any_name_with_a_character_outside_the_alphabet_fails(before: str, bad: str, after: str) -> None:
    name = before + bad + after
    with pytest.raises(RequestValidationError) as info:
        validate("CreateTransformJob", transform_job_request(TransformJobName=name))
    assert "at 'transformJobName' failed to satisfy constraint: Member must satisfy regular expression pattern" in str(info.value)
