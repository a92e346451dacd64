"""The report as one self-contained HTML file: Plotly's JavaScript is inlined once, so the
file opens offline and fetches nothing. Charts: the mini-batches of every worker lane
(hover a bar for its file, mini-batch, byte range, size and status), bytes answered per
second, latency percentiles and where each instance's time went; tables: the run, its
instances, and each file as planned beside what happened."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go

from emulator.report.diff import RunDiff
from emulator.report.ranges import Ranges
from emulator.report.timeline import PERCENTILES, Timeline, throughput

COLOURS = {"ok": "#4C78A8", "retried": "#F58518", "failed": "#E45756"}


def report_html(timeline: Timeline, ranges: Ranges, *, title: str, diff: RunDiff | None = None) -> str:
    figures = [("timeline", _gantt(timeline, ranges)), ("throughput", _throughput(timeline)),
               ("latency", _latency(timeline)), ("breakdown", _breakdown(timeline))]
    charts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=name,
                          config={"displaylogo": False})
              for i, (name, fig) in enumerate(figures)]
    body = [f"<h1>{_e(title)}</h1>", _run_table(timeline), charts[0], _instance_table(timeline), *charts[1:],
            "<h2>Files: planned beside what happened</h2>", _file_table(timeline, ranges)]
    if diff is not None:
        body += [f"<h2>Outputs compared with run {_e(diff.run_a)}</h2>", _diff_table(diff)]
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + _e(title) + "</title><style>"
            "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:1em 0}"
            "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}"
            "td.l{text-align:left}</style></head><body>" + "\n".join(body) + "</body></html>")


def _gantt(t: Timeline, ranges: Ranges) -> go.Figure:
    fig = go.Figure()
    for status in ("ok", "retried", "failed"):
        bars = [b for b in t.bars if b.status == status]
        if not bars:
            continue
        fig.add_trace(go.Bar(
            orientation="h", name=status, marker_color=COLOURS[status], y=[b.lane for b in bars],
            base=[b.start for b in bars], x=[max(b.end - b.start, 0.001) for b in bars],
            hovertext=[_hover(b.source, b.batch, ranges.get((b.source, b.batch)), b.bytes, b.status, b.retries,
                              b.end - b.start, b.reason) for b in bars],
            hoverinfo="text"))
    fig.update_layout(title="Mini-batches per instance and worker (seconds from the start)", barmode="overlay",
                      height=160 + 28 * len(t.lanes), xaxis_title="seconds",
                      yaxis={"categoryorder": "category descending", "type": "category"})
    return fig


def _hover(source: str, batch: int, span: tuple[int, int] | None, size: int, status: str, retries: int,
           seconds: float, reason: str | None) -> str:
    where = f"bytes {span[0]}..{span[1]}" if span else "byte range unknown"
    text = (f"{source}<br>mini-batch {batch}, {where}<br>{size} bytes sent, {seconds:.3f} s<br>{status}"
            + (f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""))
    return text + (f"<br>{html.escape(reason[:200])}" if reason else "")


def _throughput(t: Timeline) -> go.Figure:
    times, series = throughput(t)
    fig = go.Figure([go.Scatter(x=times, y=values, name=name, mode="lines", line_shape="hv")
                     for name, values in series.items()])
    fig.update_layout(title="Bytes answered per second", xaxis_title="seconds", yaxis_title="bytes/s", height=320)
    return fig


def _latency(t: Timeline) -> go.Figure:
    names = sorted(t.instances)
    fig = go.Figure([go.Bar(name=f"p{p}", x=names, y=[t.instances[n].latency.get(p, 0.0) for n in names])
                     for p in PERCENTILES])
    fig.update_layout(title="Mini-batch latency per instance", yaxis_title="seconds", barmode="group", height=320)
    return fig


def _breakdown(t: Timeline) -> go.Figure:
    names = sorted(t.instances)
    parts = breakdown(t)
    fig = go.Figure([go.Bar(name=part, y=names, x=[parts[n][part] for n in names], orientation="h")
                     for part in BREAKDOWN])
    fig.update_layout(title="Where each instance's time went (seconds)", barmode="stack", height=200 + 30 * len(names))
    return fig


BREAKDOWN = ("container start", "ping", "inference", "writing outputs", "waiting")


def breakdown(t: Timeline) -> dict[str, dict[str, float]]:
    """Per instance: start, ping, time in /invocations (per worker), writing, the rest."""
    out = {}
    for name, s in t.instances.items():
        workers = max(1, int(s.parameters.get("MaxConcurrentTransforms", 1)))
        inference = s.busy_s / workers
        out[name] = {"container start": s.start_s or 0.0, "ping": s.ping_s or 0.0, "inference": inference,
                     "writing outputs": s.writing_s, "waiting": max(0.0, s.work_s - inference - s.writing_s)}
    return out


def _run_table(t: Timeline) -> str:
    rows = [("TransformJobName", t.job), ("status", t.status), ("duration", f"{t.duration_s:.2f} s"),
            ("instances", len(t.instances)), ("worker lanes", len(t.lanes)), ("files", len(t.files)),
            ("mini-batches", len(t.bars)), ("bytes sent", sum(b.bytes for b in t.bars))]
    if t.failure_reason:
        rows.append(("FailureReason", t.failure_reason))
    if t.failure_detail:
        rows.append(("BteFailureDetail", t.failure_detail))
    return _table(["", ""], [[k, v] for k, v in rows])


def _instance_table(t: Timeline) -> str:
    head = ["instance", "parameters", "files", "mini-batches", "bytes in", "bytes out", "retries", "failures",
            *(f"p{p} s" for p in PERCENTILES)]
    rows: list[list[Any]] = []
    for name in sorted(t.instances):
        s = t.instances[name]
        p = s.parameters
        params = f"{p.get('BatchStrategy')}, {p.get('MaxPayloadInMB')} MB, {p.get('MaxConcurrentTransforms')} workers"
        where = f"{name} (node {s.node})" if s.node else name
        rows.append([where, params, s.files, s.batches, s.bytes_in, s.bytes_out, s.retries, s.failures,
                     *(f"{s.latency.get(q, 0.0):.3f}" for q in PERCENTILES)])
    return _table(head, rows)


def _file_table(t: Timeline, ranges: Ranges) -> str:
    planned: dict[str, int] = {}
    for source, _ in ranges:
        planned[source] = planned.get(source, 0) + 1
    moved = {m["source"]: m["lost_instance"] for m in t.moves}
    rows = [[source, f"{info.get('instance')}" + (f" (moved from the lost {moved[source]})" if source in moved else ""),
             planned.get(source, "-"), info.get("batches"),
             "ok" if info.get("ok") else (info.get("reason") or "not finished"), info.get("output") or ""]
            for source, info in sorted(t.files.items())]
    return _table(["file", "instance", "mini-batches planned", "mini-batches sent", "outcome", "output"], rows)


def _diff_table(d: RunDiff) -> str:
    rows: list[list[Any]] = []
    for f in d.files:
        largest = "" if f.largest_change is None else f"{f.largest_change:g} (record {f.largest_at})"
        rows.append([f.source, f.records_b, f.changed, largest, ""])
        rows += [["", "", f"record {i}", left if left is not None else "(none)", right if right is not None else "(none)"]
                 for i, left, right in f.first]
    rows += [[name, "", f"only in {d.run_a}", "", ""] for name in d.only_in_a]
    rows += [[name, "", f"only in {d.run_b}", "", ""] for name in d.only_in_b]
    return _table(["file", "records", "records that differ", f"largest change / {d.run_a}", d.run_b], rows)


def _table(head: list[str], rows: list[list[Any]]) -> str:
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td class='{'l' if isinstance(v, str) else ''}'>{_e(v)}</td>" for v in row)
                   + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def _e(value: Any) -> str:
    return html.escape(str(value))
