"""Every pattern of the service model runs under Python's re, with Java's meaning."""

from __future__ import annotations

import pytest

from emulator.spec.model import service_model
from emulator.spec.patterns import compile_pattern, display_pattern, full_match

TAG_PATTERN = "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"


def test_every_pattern_in_the_model_compiles() -> None:
    model = service_model()
    patterns = {model.shape_for(name).metadata.get("pattern") for name in model.shape_names} - {None}
    assert len(patterns) > 200
    for pattern in patterns:
        compile_pattern(pattern)


@pytest.mark.parametrize("value", ["team", "équipe 1", "日本語", "a_b.c:d/e=f+g-h@i"])
def test_unicode_categories_match_letters_numbers_spaces(value: str) -> None:
    assert full_match(TAG_PATTERN, value)


@pytest.mark.parametrize("value", ["a#b", "semi;colon", "tab\there"])
def test_unicode_categories_reject_others(value: str) -> None:
    assert not full_match(TAG_PATTERN, value)


def test_surrogate_pairs_mean_supplementary_characters() -> None:
    pattern = "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*"
    assert full_match(pattern, "ok \t \U0001F600")
    assert not full_match(pattern, "bell\x07")


def test_posix_alnum_and_counted_dollar() -> None:
    assert full_match("arn:[\\p{Alnum}\\-]+:lambda:.*", "arn:aws-cn:lambda:f")
    assert not full_match("arn:[\\p{Alnum}\\-]+:lambda:.*", "arn:a_b:lambda:f")
    assert full_match("([\\p{L}]*)${1,128}", "abc")


def test_backslash_classes_are_ascii_as_in_java() -> None:
    assert not full_match("\\w+", "é")


def test_display_pattern_is_anchored_once() -> None:
    assert display_pattern("[a-z]+") == "^[a-z]+"
    assert display_pattern("^[a-z]+") == "^[a-z]+"
