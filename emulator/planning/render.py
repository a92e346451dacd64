"""The plan for people (``plan_text``) and for programs (``plan_dict``, ``bte plan --json``)."""

from __future__ import annotations

from typing import Any

from emulator.data.lint import InputWarning
from emulator.plan import Plan
from emulator.planning.scan import ObjectScan
from emulator.planning.steps import steps_dict, steps_text
from emulator.planning.survey import Scenario, Survey

SHOWN_BYTES = 100
SHOWN_INPUTS = 50  # inputs listed one by one in the text plan


def plan_dict(plan: Plan, survey: Survey | None, *, runtime: str) -> dict[str, Any]:
    p = plan.parameters
    out: dict[str, Any] = {
        "TransformJobName": plan.spec.name,
        "Runtime": runtime,
        "Instances": {k: [f.uri for f in v] for k, v in plan.assignments.items()},
        "Environment": {k: {"Value": v.value, "Source": v.source} for k, v in plan.environment.items()},
        "ExecutionParameters": {
            "MaxConcurrentTransforms": p.max_concurrent_transforms,
            "BatchStrategy": p.batch_strategy,
            "MaxPayloadInMB": p.max_payload_in_mb,
            "Sources": dict(p.sources),
        },
    }
    if plan.steps:
        out["Containers"] = steps_dict(plan.steps)
    warnings: list[InputWarning] = list(survey.warnings) if survey else [
        InputWarning(w.code, w.source, w.message, w.fix) for w in plan.warnings]
    if survey:
        out["ContainerMayChange"] = survey.may_change
        out["SampleMiniBatches"] = survey.sample_batches
        out["Scenarios"] = [_scenario_dict(plan, survey, s) for s in survey.scenarios]
        if survey.preview:
            pv = survey.preview
            out["DataProcessing"] = {"FirstRecord": _text(pv.record), "AfterInputFilter": _text(pv.filtered),
                                     "SampleAnswer": _text(pv.answer), "Output": _text(pv.output),
                                     "Problem": pv.problem}
    out["Warnings"] = [{"Code": w.code, "Source": w.source, "Message": w.message, "Fix": w.fix} for w in warnings]
    return out


def _scenario_dict(plan: Plan, survey: Survey, scenario: Scenario) -> dict[str, Any]:
    p = scenario.parameters
    inputs = []
    for obj in plan.inputs:
        scan = scenario.scans[obj.uri]
        item: dict[str, Any] = {
            "Uri": obj.uri, "Source": obj.display_name, "Instance": survey.instance_of[obj.uri],
            "StoredBytes": obj.size, "Bytes": scan.size, "Records": scan.records, "MiniBatches": scan.batches,
            "SmallestBytes": scan.min_bytes, "LargestBytes": scan.max_bytes,
            "FewestRecords": scan.min_records, "MostRecords": scan.max_records,
            "FirstBytes": _text(scan.first_bytes), "Complete": scan.complete, "Streamed": scan.streamed,
            "Failure": scan.failure,
        }
        if scan.spans is not None:
            item["Batches"] = [{"Index": b.index, "Start": b.start, "End": b.end, "Records": b.records,
                                "SentBytes": b.sent_bytes} for b in scan.spans]
        inputs.append(item)
    return {"Label": scenario.label, "BatchStrategy": p.batch_strategy, "MaxPayloadInMB": p.max_payload_in_mb,
            "Inputs": inputs}


def plan_text(plan: Plan, survey: Survey | None, *, runtime: str, model: str) -> str:
    lines = [f"Transform job {plan.spec.name}: {len(plan.inputs)} input file(s), runtime {runtime}, model {model}"]
    lines.append("Instances (whole files, dealt round-robin in key order):")
    for instance, files in plan.assignments.items():
        lines.append(f"  {instance}: {', '.join(f.display_name for f in files) or '(idle)'}")
    if plan.steps:
        lines += steps_text(plan.steps, runtime)
    else:
        lines.append("Environment (job over model; platform last):")
        lines += [f"  {name}={var.value}  [{var.source}]" for name, var in plan.environment.items()]
    p = plan.parameters
    lines.append("Execution parameters (request > container's /execution-parameters > default):")
    for name, value in (("MaxConcurrentTransforms", p.max_concurrent_transforms),
                        ("BatchStrategy", p.batch_strategy), ("MaxPayloadInMB", p.max_payload_in_mb)):
        src = p.sources[name]
        note = " (the container may still set it at run time)" if src == "default" else ""
        lines.append(f"  {name}={value}  [{src}]{note}")
    if survey:
        lines += _survey_lines(plan, survey)
        warnings = survey.warnings
    else:
        warnings = [InputWarning(w.code, w.source, w.message, w.fix) for w in plan.warnings]
    lines += [f"warning: {w.source}: {w.message} Fix: {w.fix}" for w in warnings]
    return "\n".join(lines)


def _survey_lines(plan: Plan, survey: Survey) -> list[str]:
    lines = []
    if survey.may_change:
        them = "them" if len(survey.may_change) > 1 else "it"
        lines.append(f"note: {' and '.join(survey.may_change)} not set by the request: the container's "
                     f"/execution-parameters may change {them} at run time. The mini-batches below use the "
                     "defaults; --container-parameters JSON shows them under the container's answer too.")
    if survey.sample_batches is not None:
        lines.append(f"note: --sample {survey.sample_batches}: only the first {survey.sample_batches} "
                     "mini-batch(es) of each input are read; counts marked '>=' are lower bounds.")
    for scenario in survey.scenarios:
        p = scenario.parameters
        limit = "no limit" if p.max_payload_in_mb == 0 else f"MaxPayloadInMB={p.max_payload_in_mb}"
        lines.append(f"Mini-batches ({scenario.label}: {p.batch_strategy}, {limit}):")
        for obj in plan.inputs[:SHOWN_INPUTS]:
            scan = scenario.scans[obj.uri]
            if plan.spec.split_type == "None" and not scan.streamed and scan.complete:
                lines.append(f"  {obj.display_name} -> {survey.instance_of[obj.uri]}: one request (SplitType None) "
                             f"of {size(scan.size)}, within the {size(p.max_payload_in_mb << 20)} MaxPayloadInMB allows")
                continue
            lines += _object_lines(obj.display_name, survey.instance_of[obj.uri], obj.size, scan)
        if len(plan.inputs) > SHOWN_INPUTS:
            lines.append(f"  ... and {len(plan.inputs) - SHOWN_INPUTS} more input(s) (--json lists every one)")
        lines += _instance_totals(plan, survey, scenario)
    if survey.preview:
        pv = survey.preview
        lines.append("DataProcessing, on the first record:")
        lines.append(f"  record:             {_show(pv.record)}")
        lines.append(f"  after InputFilter:  {_show(pv.filtered)}")
        lines.append(f"  sample answer:      {_show(pv.answer)}")
        lines.append(f"  written to .out:    {_show(pv.output)}")
        if pv.problem:
            lines.append(f"  problem: {pv.problem}")
    return lines


def _instance_totals(plan: Plan, survey: Survey, scenario: Scenario) -> list[str]:
    """Each instance's share: files are whole, so one large file can keep one instance busy."""
    lines = ["  per instance:"]
    for instance, objs in plan.assignments.items():
        scans = [scenario.scans[o.uri] for o in objs]
        ge = "" if all(s.complete for s in scans) else ">="
        lines.append(f"    {instance}: {len(objs)} file(s), {ge}{size(sum(s.size for s in scans))}, "
                     f"{ge}{sum(s.records for s in scans)} record(s), {ge}{sum(s.batches for s in scans)} "
                     "mini-batch(es)")
    return lines


def _object_lines(name: str, instance: str, stored: int, scan: ObjectScan) -> list[str]:
    ge = "" if scan.complete else ">="
    if scan.streamed:
        head = f"  {name} -> {instance}: {size(stored)}, one request, streamed (MaxPayloadInMB 0)"
        return [head]
    if scan.failure and not scan.batches:
        return [f"  {name} -> {instance}: {size(stored)} stored; the run will fail this file: {scan.failure}"]
    lines = [f"  {name} -> {instance}: {ge}{size(scan.size)}, {ge}{scan.records} record(s), "
             f"{ge}{scan.batches} mini-batch(es)"]
    if scan.batches:
        lines.append(f"      smallest {size(scan.min_bytes)}, largest {size(scan.max_bytes)}; "
                     f"{scan.min_records}..{scan.max_records} record(s) a mini-batch")
        lines.append(f"      first mini-batch starts: {_show(scan.first_bytes)}")
    if scan.failure:
        lines.append(f"      the run will fail this file: {scan.failure}")
    return lines


def size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit} ({n} bytes)"
    return f"{n} bytes"


def _show(data: bytes | None) -> str:
    if data is None:
        return "(fails)"
    shown = repr(data[:SHOWN_BYTES])[1:]
    return shown + (" ..." if len(data) > SHOWN_BYTES else "")


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="backslashreplace")
