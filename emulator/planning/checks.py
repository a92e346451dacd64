"""Job-wide warnings the plan gives once it knows the inputs: pure, each with its fix.

- the DataProcessing settings cannot work at all (every file will fail);
- an Accept / AssembleWith pair that joins mini-batch answers in a surprising way;
- the output path lies under the input prefix (the next run reads these outputs as input);
- the output path already holds ``.out`` files this job will write (after a failed run,
  the old ones would sit beside the new ones, looking finished).
"""

from __future__ import annotations

from collections.abc import Sequence

from emulator import data
from emulator.data.lint import InputWarning
from emulator.data.processing import JSON
from emulator.spec import TransformJobSpec
from emulator.storage.uri import LocalLocation, Location, S3Location

BINARY_PREFIXES = ("application/x-recordio", "application/x-tfrecord", "application/octet-stream",
                   "application/x-npy", "image/", "audio/", "video/")
STALE_NAMES_SHOWN = 3


def data_processing(spec: TransformJobSpec) -> tuple[data.DataProcessing | None, list[InputWarning]]:
    """The job's DataProcessing, or the warning that it can never apply."""
    try:
        processing = data.DataProcessing(
            input_filter=spec.input_filter, output_filter=spec.output_filter, join_source=spec.join_source,
            content_type=spec.content_type, accept=spec.accept, split_type=spec.split_type)
    except data.DataError as err:
        return None, [InputWarning(
            "DataProcessingUnusable", spec.name, f"{err.message} Every file will fail.",
            "fix DataProcessing (InputFilter, JoinSource, OutputFilter) or ContentType/Accept as the message says.")]
    return processing, []


def assembly(spec: TransformJobSpec, most_batches: int) -> list[InputWarning]:
    """Surprises in how answers are joined into ``<input>.out``; ``most_batches`` is the
    largest number of mini-batches any one input makes (one answer joins nothing)."""
    mime = (spec.accept or spec.content_type or "").split(";", 1)[0].strip().lower()
    fmt = data.data_format(mime)
    out: list[InputWarning] = []
    if spec.assemble_with == "Line" and mime.startswith(BINARY_PREFIXES):
        out.append(InputWarning(
            "AssembleLineBinary", spec.name,
            f"AssembleWith Line adds a newline after every answer that does not end with one; "
            f"with Accept {mime} the answers are binary, so those newlines corrupt the output.",
            'set TransformOutput.AssembleWith to "None" for binary answers.'))
    if most_batches < 2 or spec.split_type == "None":
        return out
    if fmt == JSON:
        joined = "one per line (JSON Lines)" if spec.assemble_with == "Line" else "back to back, with nothing between"
        out.append(InputWarning(
            "AssembleJson", spec.name,
            f"Accept is application/json and an input makes {most_batches} mini-batches: each answer is a "
            f"JSON document, and the .out holds them {joined}, not one JSON document.",
            "read the .out as JSON Lines with AssembleWith Line, or use Accept application/jsonlines."))
    elif fmt is not None and spec.assemble_with == "None":
        out.append(InputWarning(
            "AssembleNoneText", spec.name,
            f"AssembleWith is None, so the answers of an input's {most_batches} mini-batches are written back "
            f"to back: an answer that does not end with a newline runs into the next one's first record.",
            'set TransformOutput.AssembleWith to "Line".'))
    return out


def output_under_input(spec: TransformJobSpec, input_at: Location, output_at: Location) -> list[InputWarning]:
    """Outputs written where the input prefix selects them: S3 prefixes are raw strings,
    so input ``s3://b/data`` selects ``s3://b/data-out/a.csv.out`` too."""
    if spec.data_type != "S3Prefix":
        return []
    if isinstance(input_at, S3Location) and isinstance(output_at, S3Location):
        if input_at.bucket != output_at.bucket:
            return []
        inside = (output_at.key.rstrip("/") + "/").startswith(input_at.key)
    elif isinstance(input_at, LocalLocation) and isinstance(output_at, LocalLocation):
        inside = (output_at.path.rstrip("/") + "/").startswith(input_at.path)
    else:
        return []
    if not inside:
        return []
    return [InputWarning(
        "OutputUnderInput", spec.output_path,
        f"the output path {spec.output_path} lies under the input prefix {spec.input_uri}: the next run of "
        f"this job reads this run's .out files as input (an S3 prefix matches any key that starts with it).",
        "write outputs outside the input prefix, e.g. a sibling folder whose name does not start with "
        "the input prefix.")]


def stale_outputs(spec: TransformJobSpec, existing: Sequence[str]) -> list[InputWarning]:
    """``existing``: the .out files this job will write that are already there."""
    if not existing:
        return []
    shown = ", ".join(existing[:STALE_NAMES_SHOWN]) + (", ..." if len(existing) > STALE_NAMES_SHOWN else "")
    return [InputWarning(
        "StaleOutputs", spec.output_path,
        f"{len(existing)} .out file(s) this job will write already exist ({shown}); a run replaces each "
        f"one only when its input succeeds, so after a failed run the old outputs sit beside the new ones "
        f"looking finished.",
        "write to a new output path for each run, or empty this one first.")]
