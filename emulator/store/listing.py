"""ListTransformJobs and ListModels: filter, then sort, then one page, all in SQL.

Pages are cut by key, not by offset: NextToken holds the sort value and the name of the
last row sent, so a job created between two pages neither repeats nor hides a row of the
pages still to come. Names break ties, so the order is total.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from emulator.store.db import Store

_JOB_SORT = {"Name": "j.name", "CreationTime": "j.creation_time", "Status": "j.status"}
_MODEL_SORT = {"Name": "m.name", "CreationTime": "m.creation_time"}


class InvalidToken(ValueError):
    """A NextToken this store did not write (or wrote for another sort)."""


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_token: str | None


def list_jobs(store: Store, params: dict[str, Any]) -> Page:
    """Latest runs, as ListTransformJobs filters and orders them (defaults: CreationTime, Descending, 10)."""
    where, args = _time_filters(params, "j.creation_time", "CreationTime")
    more, more_args = _time_filters(params, "j.last_modified", "LastModifiedTime")
    where += more
    args += more_args
    if params.get("NameContains"):
        where.append("instr(lower(j.name), lower(?)) > 0")
        args.append(params["NameContains"])
    if params.get("StatusEquals"):
        where.append("j.status = ?")
        args.append(params["StatusEquals"])
    sql = (
        "SELECT j.name, j.creation_time, j.status, j.last_modified, r.end_time, r.failure_reason"
        " FROM jobs j JOIN runs r ON r.run_id = j.run_id"
    )
    return _page(store, sql, where, args, params, _JOB_SORT, "j.name")


def list_models(store: Store, params: dict[str, Any]) -> Page:
    """Models, as ListModels filters and orders them (defaults: CreationTime, Descending, 10)."""
    where, args = _time_filters(params, "m.creation_time", "CreationTime")
    if params.get("NameContains"):
        where.append("instr(lower(m.name), lower(?)) > 0")
        args.append(params["NameContains"])
    return _page(store, "SELECT m.name, m.creation_time FROM models m", where, args, params, _MODEL_SORT, "m.name")


def _time_filters(params: dict[str, Any], column: str, member: str) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if params.get(f"{member}After") is not None:
        where.append(f"{column} > ?")
        args.append(params[f"{member}After"])
    if params.get(f"{member}Before") is not None:
        where.append(f"{column} < ?")
        args.append(params[f"{member}Before"])
    return where, args


def _page(
    store: Store, sql: str, where: list[str], args: list[Any], params: dict[str, Any],
    sorts: dict[str, str], name_column: str,
) -> Page:
    sort_by = params.get("SortBy") or "CreationTime"
    column = sorts[sort_by]
    descending = (params.get("SortOrder") or "Descending") == "Descending"
    limit = int(params.get("MaxResults") or 10)
    token = params.get("NextToken")
    if token:
        value, name = _read_token(token, sort_by)
        where.append(f"({column}, {name_column}) {'<' if descending else '>'} (?, ?)")
        args += [value, name]
    order = "DESC" if descending else "ASC"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {column} {order}, {name_column} {order} LIMIT ?"
    rows = [dict(row) for row in store.query(sql, [*args, limit + 1])]
    next_token = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        sort_key = column.split(".")[1]
        next_token = _write_token(sort_by, last[sort_key], last["name"])
    return Page(rows, next_token)


def _write_token(sort_by: str, value: Any, name: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_by, value, name]).encode()).decode()


def _read_token(token: str, sort_by: str) -> tuple[Any, str]:
    try:
        kind, value, name = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidToken("Invalid pagination token") from exc
    if kind != sort_by or not isinstance(name, str):
        raise InvalidToken("Invalid pagination token: it was issued for another SortBy")
    return value, name
