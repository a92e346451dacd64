"""CloudWatch Logs answers for ``/aws/sagemaker/TransformJobs``, read from the store.

What the SageMaker Python SDK's ``logs=True`` calls (``sagemaker/logs.py``):
DescribeLogStreams (logStreamNamePrefix ``<job>/``, orderBy LogStreamName) and
GetLogEvents (startFromHead, nextToken), plus FilterLogEvents for other tools. Tokens are
byte offsets into a stream's file (``f/<offset>`` forward, ``b/<offset>`` backward), so
following a long log reads only what is new.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from typing import Any

from emulator.api.wire import AwsError
from emulator.store.db import Store, StreamRecord

LOG_GROUP = "/aws/sagemaker/TransformJobs"
MAX_EVENTS = 10000
MAX_STREAMS = 50
TAIL_BYTES = 64 * 1024  # more than any one log line the recorder writes


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


class LogsApi:
    def __init__(self, store: Store, region: str, account: str) -> None:
        self.store, self.region, self.account = store, region, account
        self.operations = {
            "DescribeLogStreams": self.describe_log_streams,
            "GetLogEvents": self.get_log_events,
            "FilterLogEvents": self.filter_log_events,
            "DescribeLogGroups": self.describe_log_groups,
        }

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = self.operations.get(operation)
        if handler is None:
            raise AwsError(
                "NotImplemented",
                f"bte does not implement the CloudWatch Logs operation {operation}. It implements: "
                + ", ".join(sorted(self.operations)) + f", for the log group {LOG_GROUP}.",
                501,
            )
        return handler(params)

    def _group(self, params: dict[str, Any]) -> None:
        group = params.get("logGroupName") or params.get("logGroupIdentifier")
        if group != LOG_GROUP:
            raise AwsError("ResourceNotFoundException", "The specified log group does not exist.")

    def describe_log_groups(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("logGroupNamePrefix") or ""
        groups = []
        if LOG_GROUP.startswith(prefix):
            groups.append({"logGroupName": LOG_GROUP, "creationTime": 0, "storedBytes": 0,
                           "arn": f"arn:aws:logs:{self.region}:{self.account}:log-group:{LOG_GROUP}:*"})
        return {"logGroups": groups}

    def describe_log_streams(self, params: dict[str, Any]) -> dict[str, Any]:
        self._group(params)
        prefix = params.get("logStreamNamePrefix") or ""
        order = params.get("orderBy") or "LogStreamName"
        if prefix and order == "LastEventTime":
            raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        streams = [self._describe(stream) for stream in self.store.streams(prefix)]
        if order == "LastEventTime":
            streams.sort(key=lambda s: s.get("lastEventTimestamp", 0))
        if params.get("descending"):
            streams.reverse()
        start = int(params.get("nextToken") or 0)
        limit = int(params.get("limit") or MAX_STREAMS)
        page = streams[start:start + limit]
        out: dict[str, Any] = {"logStreams": page}
        # A first call that sets `limit` gets no nextToken: the SageMaker SDK asks for
        # min(InstanceCount, 50) streams and then, while a nextToken comes back, asks again
        # without passing it, for ever (docs/differences.md).
        paging = "nextToken" in params or "limit" not in params
        if paging and start + limit < len(streams):
            out["nextToken"] = str(start + limit)
        return out

    def _describe(self, stream: StreamRecord) -> dict[str, Any]:
        first, last = _first_last(stream.file)
        out: dict[str, Any] = {
            "logStreamName": stream.name,
            "creationTime": int(stream.creation_time * 1000),
            "arn": f"arn:aws:logs:{self.region}:{self.account}:log-group:{LOG_GROUP}:log-stream:{stream.name}",
            "storedBytes": 0,
        }
        if first is not None and last is not None:
            out.update(firstEventTimestamp=first, lastEventTimestamp=last, lastIngestionTime=last)
        return out

    def _stream(self, name: str) -> StreamRecord:
        for stream in self.store.streams(name):
            if stream.name == name:
                return stream
        raise AwsError("ResourceNotFoundException", "The specified log stream does not exist.")

    def get_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        self._group(params)
        stream = self._stream(params.get("logStreamName") or "")
        limit = min(int(params.get("limit") or MAX_EVENTS), MAX_EVENTS)
        start, end = params.get("startTime"), params.get("endTime")
        token = params.get("nextToken")
        from_head = bool(params.get("startFromHead"))
        if token:
            direction, _, offset = str(token).partition("/")
            if direction not in ("f", "b") or not offset.isdigit():
                raise invalid("The specified nextToken is invalid.")
            backward = direction == "b"
            position = int(offset)
        else:
            backward = not from_head
            position = -1 if backward else 0
        # The time window applies before the limit, so a page is never empty while later
        # events match (the SDK stops reading a stream at its first empty page).
        events_in_window = (
            (o, e) for o, e in _read(stream.file, 0 if backward else position) if _in_window(e["timestamp"], start, end)
        )
        if backward:  # the last `limit` events before the position
            chosen = [(o, e) for o, e in events_in_window if position < 0 or o < position][-limit:]
        else:  # read on from the position only: following a long log stays cheap
            chosen = list(itertools.islice(events_in_window, limit))
        after = chosen[-1][0] + 1 if chosen else max(position, 0)
        events = [{"timestamp": e["timestamp"], "message": e["message"], "ingestionTime": e["timestamp"]} for _, e in chosen]
        before = chosen[0][0] if chosen else max(position, 0)
        return {"events": events, "nextForwardToken": f"f/{after}", "nextBackwardToken": f"b/{before}"}

    def filter_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        self._group(params)
        names = params.get("logStreamNames")
        prefix = params.get("logStreamNamePrefix") or ""
        pattern = (params.get("filterPattern") or "").strip().strip('"')
        start, end = params.get("startTime"), params.get("endTime")
        found: list[dict[str, Any]] = []
        for stream in self.store.streams(prefix):
            if names and stream.name not in names:
                continue
            for offset, event in _read(stream.file):
                if _in_window(event["timestamp"], start, end) and (not pattern or pattern in event["message"]):
                    found.append({"logStreamName": stream.name, "timestamp": event["timestamp"],
                                  "message": event["message"], "ingestionTime": event["timestamp"],
                                  "eventId": f"{stream.run_id}-{offset}"})
        found.sort(key=lambda e: e["timestamp"])
        skip = int(params.get("nextToken") or 0)
        limit = min(int(params.get("limit") or MAX_EVENTS), MAX_EVENTS)
        out: dict[str, Any] = {"events": found[skip:skip + limit], "searchedLogStreams": []}
        if skip + limit < len(found):
            out["nextToken"] = str(skip + limit)
        return out


def _in_window(timestamp: int, start: int | None, end: int | None) -> bool:
    return (start is None or timestamp >= start) and (end is None or timestamp < end)


def _read(path: str, start: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
    """(byte offset, event) of each complete line of a stream's file from byte ``start``
    (or from the line that holds it: a forward token is one past a line's first byte)."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    with f:
        if start > 0:
            f.seek(start - 1)
            if f.read(1) != b"\n":  # inside a line already returned: skip to the next one
                start += len(f.readline())
        offset = start
        for raw in f:
            if not raw.endswith(b"\n"):
                break  # a line still being written
            yield offset, json.loads(raw)
            offset += len(raw)


def _first_last(path: str) -> tuple[int | None, int | None]:
    """The first and last event times of a stream, reading only its first and last lines."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return None, None
    with f:
        first_line = f.readline()
        if not first_line.endswith(b"\n"):
            return None, None
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - TAIL_BYTES))
        tail = f.read().split(b"\n")
    first = int(json.loads(first_line)["timestamp"])
    for line in reversed(tail[1:-1] if size > TAIL_BYTES else tail[:-1]):  # whole lines only
        try:
            return first, int(json.loads(line)["timestamp"])
        except (ValueError, KeyError, TypeError):
            continue
    last = first  # one line longer than the tail window: read the stream through
    for _, event in _read(path):
        last = event["timestamp"]
    return first, last
