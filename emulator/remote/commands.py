"""The client verbs' arguments and what each prints; ``emulator/cli.py`` only hooks them in."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from emulator.remote.connection import DEFAULT_ENDPOINT, Connection, RemoteError

VERBS = ("jobs", "describe", "stop", "logs")
_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")


def add_client_verbs(verbs: Any) -> None:
    """Add ``jobs``, ``describe``, ``stop`` and ``logs`` to the ``bte`` parser's subcommands."""
    endpoint_help = (f"the server (default: AWS_ENDPOINT_URL_SAGEMAKER, AWS_ENDPOINT_URL, else {DEFAULT_ENDPOINT})")

    jobs = verbs.add_parser("jobs", help="list a running server's transform jobs, newest first")
    jobs.add_argument("--status", choices=_STATUSES, help="only jobs in this status")
    jobs.add_argument("--name-contains", help="only jobs whose name contains this text")
    jobs.add_argument("--max", type=int, default=100, help="at most this many (default 100)")
    jobs.add_argument("--json", action="store_true", help="print the TransformJobSummaries as JSON")

    describe = verbs.add_parser("describe", help="print a job's DescribeTransformJob answer")
    describe.add_argument("job", help="TransformJobName")

    stop = verbs.add_parser("stop", help="stop a running job (StopTransformJob)")
    stop.add_argument("job", help="TransformJobName")
    stop.add_argument("--wait", action="store_true", help="return when the job is Stopped (or ended otherwise)")

    logs = verbs.add_parser("logs", help="print a job's container log and data log")
    logs.add_argument("job", help="TransformJobName")
    logs.add_argument("--follow", "-f", action="store_true",
                      help="keep printing while the job runs; return when it ends (exit 0 only if Completed)")
    logs.add_argument("--poll", type=float, default=1.0, help="seconds between reads with --follow (default 1)")

    for parser in (jobs, describe, stop, logs):
        parser.add_argument("--endpoint-url", help=endpoint_help)


def run_client_verb(args: argparse.Namespace) -> int:
    conn = Connection.from_args(args.endpoint_url)
    try:
        return _dispatch(conn, args)
    except RemoteError as exc:
        print(f"bte {args.verb}: {exc}", file=sys.stderr)
        return 2


def _dispatch(conn: Connection, args: argparse.Namespace) -> int:
    from emulator.remote import jobs, logs

    if args.verb == "jobs":
        summaries = list(jobs.list_jobs(conn, status=args.status, name_contains=args.name_contains, limit=args.max))
        print(jobs.as_json(summaries) if args.json else jobs.jobs_table(summaries))
        return 0
    if args.verb == "describe":
        print(jobs.as_json(jobs.describe(conn, args.job)))
        return 0
    if args.verb == "stop":
        status = jobs.stop(conn, args.job, wait=args.wait)
        print(f"Transform job {args.job}: {status}")
        return 0
    status = logs.print_logs(conn, args.job, lambda line: print(line, flush=True), follow=args.follow,
                             poll_s=args.poll)
    if args.follow:
        print(f"Transform job {args.job}: {status}", file=sys.stderr)
        return 0 if status == "Completed" else 1
    return 0
