"""The service model's regular expressions, run the way the service runs them.

botocore's SageMaker model carries the patterns of the service's Java validators. Java
and Python agree on almost all of that syntax; this module bridges the rest so that every
pattern in the model compiles with the standard ``re`` module:

* ``\\p{L}``, ``\\p{M}``, ``\\p{N}``, ``\\p{P}``, ``\\p{S}``, ``\\p{Z}`` (Unicode general
  categories) become explicit code-point ranges built from :mod:`unicodedata`, once, on
  first use; ``\\p{Alnum}`` is POSIX ``[a-zA-Z0-9]`` as in Java;
* a surrogate pair written as two ``\\uXXXX`` escapes becomes the code point it encodes;
* ``$`` followed by a counted quantifier (``${1,128}``, legal in Java) is just ``$``.

Patterns are compiled with ``re.ASCII`` because Java's ``\\w``, ``\\d`` and ``\\s`` are
ASCII-only by default, and always applied as *full* matches (Java's ``matches()``): the
model's anchors were dropped from botocore in 2024, the service still anchors.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

_CATEGORY_RE = re.compile(r"\\([pP])\{([A-Za-z]+)\}")
_SURROGATE_PAIR_RE = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)
_COUNTED_DOLLAR_RE = re.compile(r"\$\{\d+(?:,\d*)?\}")
_POSIX_CLASSES = {"Alnum": "a-zA-Z0-9", "Alpha": "a-zA-Z", "Digit": "0-9"}


def display_pattern(pattern: str) -> str:
    """The pattern as the service prints it in messages: anchored at the start with ``^``."""
    return pattern if pattern.startswith("^") else "^" + pattern


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a service-model (Java) pattern into a Python regex; use ``fullmatch``."""
    return re.compile(translate(pattern), re.ASCII)


def full_match(pattern: str, value: str) -> bool:
    """True when the whole of ``value`` matches ``pattern``, as the service checks it."""
    return compile_pattern(pattern).fullmatch(value) is not None


def translate(pattern: str) -> str:
    """Rewrite the few Java-only constructs of ``pattern`` into Python ``re`` syntax."""
    text = _SURROGATE_PAIR_RE.sub(_join_surrogates, pattern)
    text = _COUNTED_DOLLAR_RE.sub("$", text)
    if "\\p" not in text and "\\P" not in text:
        return text
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            match = _CATEGORY_RE.match(text, i)
            if match is None:
                out.append(text[i : i + 2])
                i += 2
                continue
            out.append(_class_text(match.group(1) == "P", match.group(2), in_class, pattern))
            i = match.end()
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


def _join_surrogates(match: re.Match[str]) -> str:
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


def _class_text(negated: bool, name: str, in_class: bool, pattern: str) -> str:
    ranges = _POSIX_CLASSES.get(name)
    if ranges is None:
        ranges = _category_ranges(name)
    if in_class:
        if negated:
            # Python has no class subtraction; no pattern in the model needs this today.
            raise ValueError(f"cannot translate negated class \\P{{{name}}} inside [...] in {pattern!r}")
        return ranges
    return f"[{'^' if negated else ''}{ranges}]"


def _category_ranges(prefix: str) -> str:
    """Code-point ranges (as ``re`` class text) of the characters in major category ``prefix``."""
    ranges = _all_category_ranges().get(prefix)
    if ranges is None:
        raise ValueError(f"unsupported Unicode category \\p{{{prefix}}}")
    return ranges


@functools.cache
def _all_category_ranges() -> dict[str, str]:
    # One pass over every code point (about half a second), only when a \p pattern is first used.
    parts: dict[str, list[str]] = {}
    current, start = "", 0
    for code in range(sys.maxunicode + 2):
        major = unicodedata.category(chr(code))[0] if code <= sys.maxunicode else ""
        if major != current:
            if current:
                end = code - 1
                text = _escape(start) if start == end else f"{_escape(start)}-{_escape(end)}"
                parts.setdefault(current, []).append(text)
            current, start = major, code
    return {major: "".join(texts) for major, texts in parts.items()}


def _escape(code: int) -> str:
    return f"\\U{code:08X}"
