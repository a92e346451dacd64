"""docs/reference.md names every verb the `bte` parser has and every CreateTransformJob
field botocore's service model has, each field with how far bte honours it."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import botocore.session

from emulator.cli import build_parser

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference.md"


def verbs(parser: argparse.ArgumentParser, prefix: str = "bte") -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix} {name}"
                yield from verbs(sub, f"{prefix} {name}")


def fields(shape, prefix: str = "") -> Iterator[str]:
    for name, member in shape.members.items():
        path = prefix + name
        yield path
        if member.type_name == "structure":
            yield from fields(member, path + ".")
        elif member.type_name == "list" and member.member.type_name == "structure":
            yield from fields(member.member, path + "[].")


def test_every_cli_verb_is_in_the_reference():
    text = REFERENCE.read_text()
    found = list(verbs(build_parser()))
    assert {"bte run", "bte plan", "bte split", "bte image build"} <= set(found)
    missing = [v for v in found if f"| `{v}` |" not in text]
    assert not missing, f"add a row to docs/reference.md for: {missing}"


def test_every_request_field_is_in_the_reference_with_how_far_bte_honours_it():
    text = REFERENCE.read_text()
    shape = botocore.session.get_session().get_service_model("sagemaker") \
        .operation_model("CreateTransformJob").input_shape
    rows = dict(re.findall(r"^\| `([A-Za-z0-9.\[\]]+)` \| (fully|partly|not) \|", text, re.M))
    found = list(fields(shape))
    assert "TransformInput.DataSource.S3DataSource.S3Uri" in found and "Tags[].Key" in found
    missing = [f for f in found if f not in rows]
    assert not missing, f"add a row (fully / partly / not) to docs/reference.md for: {missing}"
