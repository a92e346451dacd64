"""The ``bte`` command: thin argument parsing over the Python API."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from emulator import __version__


def _job_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", help="CreateTransformJob request as a JSON file (the dict boto3 takes)")
    p.add_argument("--model", help="CreateModel request as a JSON file (Image, ModelDataUrl, Environment)")
    p.add_argument("--model-dir", help="a folder with inference.py: runs as a local process (no Docker needed)")
    p.add_argument("--image", help="a serving image to run with Docker (overrides the model's Image)")
    p.add_argument("--runtime", choices=["process", "docker"], help="where the model runs (default: from the model)")
    p.add_argument("--s3-endpoint-url", help="S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3 / AWS settings)")


def _executor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="where instances run: threads here (local, the default) or one Ray actor each (ray; "
                        "pip install 'bte[ray]'; docs/scale-out.md)")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="with --executor ray: the cluster's address (host:port of its head); default: a Ray of its own")
    p.add_argument("--ray-scale-to-fit", action="store_true",
                   help="with --executor ray: ask the largest node's CPUs/memory when no node has the InstanceType's")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bte", description="bte: run SageMaker Batch Transform jobs on your own machine."
    )
    parser.add_argument("--version", action="version", version=f"bte {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    run = verbs.add_parser("run", help="run a transform job to its end")
    _job_args(run)
    run.add_argument("--json", action="store_true", help="print the DescribeTransformJob-shaped result as JSON")
    run.add_argument("--ping-timeout", type=float, help="seconds to wait for /ping (default 300; the service: ~1800)")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress display or container logs")
    run.add_argument("--timings", action="store_true", help="print where the run's time went, phase by phase")
    run.add_argument("--strict-names", action="store_true",
                     help="refuse a TransformJobName that already ran (ResourceInUse), as the service does")
    run.add_argument("--report", nargs="?", const="", metavar="FILE",
                     help="write the run's HTML report at the end (default: report.html in its run folder)")
    _executor_args(run)

    plan = verbs.add_parser("plan", help="show what a job would do, without starting a container")
    _job_args(plan)
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.add_argument("--sample", type=int, metavar="N",
                      help="read only the first N mini-batches of each input (a quick look; counts are lower bounds)")
    plan.add_argument("--batches", action="store_true", help="with --json: list every mini-batch's byte range")
    plan.add_argument("--container-parameters", metavar="JSON",
                      help="what the container's /execution-parameters answers, to see the mini-batches under it too")
    plan.add_argument("--sample-answer", metavar="TEXT",
                      help="the model's answer for one record, to show DataProcessing's output line")
    plan.add_argument("--no-scan", action="store_true", help="do not read the inputs (list them only)")

    report = verbs.add_parser("report", help="draw a finished run as one offline HTML file, with a text summary")
    report.add_argument("run", metavar="JOB", help="a TransformJobName (its latest run) or a run id")
    report.add_argument("--out", metavar="FILE", help="where to write the HTML (default: report.html in the run folder)")
    report.add_argument("--state-dir", help="job store folder (default $BTE_STATE_DIR, else ~/.bte)")
    report.add_argument("--s3-endpoint-url", help="S3-compatible endpoint of the run's inputs, for byte ranges")
    report.add_argument("--compare", metavar="JOB_B", help="line this run's outputs up with another run's (bte diff)")

    runs = verbs.add_parser("runs", help="list the runs the job store keeps, newest first")
    runs.add_argument("job", nargs="?", metavar="JOB", help="only this TransformJobName's runs")
    runs.add_argument("--json", action="store_true", help="print the runs as JSON")
    runs.add_argument("--state-dir", help="job store folder (default $BTE_STATE_DIR, else ~/.bte)")

    diff = verbs.add_parser("diff", help="compare two finished runs' outputs record by record (exit 1 if they differ)")
    diff.add_argument("run_a", metavar="JOB_A", help="a TransformJobName (its latest run) or a run id")
    diff.add_argument("run_b", metavar="JOB_B", help="a TransformJobName (its latest run) or a run id")
    diff.add_argument("--json", action="store_true", help="print the comparison as JSON")
    diff.add_argument("--state-dir", help="job store folder (default $BTE_STATE_DIR, else ~/.bte)")
    diff.add_argument("--s3-endpoint-url", help="S3-compatible endpoint of the runs' outputs")

    split = verbs.add_parser("split", help="split a CSV file into parts that each start with its header row")
    split.add_argument("file")
    size = split.add_mutually_exclusive_group(required=True)
    size.add_argument("--parts", type=int, metavar="N", help="this many parts, of about equal size")
    size.add_argument("--max-mb", type=float, metavar="MB", help="parts of at most this many MB (2^20 bytes)")
    split.add_argument("--out", metavar="DIR", help="where to write the parts (default: FILE's stem + '-parts')")
    split.add_argument("--no-header", action="store_true", help="the file has no header row to repeat")

    serve = verbs.add_parser("serve", help="serve the SageMaker API, S3, STS and the jobs' logs on one local endpoint")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = a free one, printed)")
    serve.add_argument("--state-dir", help="job store folder (default $BTE_STATE_DIR, else ~/.bte)")
    serve.add_argument("--max-jobs", type=int, default=2, help="jobs running at once; more wait InProgress (default 2)")
    serve.add_argument("--s3-endpoint-url", help="jobs use this S3 instead of the server's own (moto, in memory)")
    serve.add_argument("--s3", choices=("memory", "local"), default="memory",
                       help="the server's own S3: memory (moto; objects lost when it stops, the default) or local "
                            "(SeaweedFS under the state directory, objects kept; pip install 'bte[s3]')")
    serve.add_argument("--allow-local", action="append", default=[], metavar="DIR",
                       help="let requests name local paths / file:// URIs under DIR (repeatable; default: none)")
    serve.add_argument("--credentials", metavar="KEY_ID:SECRET",
                       help="serve only requests SigV4-signed with this key pair (default: any signature)")
    _executor_args(serve)

    cleanup = verbs.add_parser(
        "cleanup", help="remove what a killed bte left behind: containers, model processes, temporaries, uploads"
    )
    cleanup.add_argument("--job", help="only this TransformJobName's leftovers (default: every job's)")
    cleanup.add_argument("--s3-endpoint-url", help="S3-compatible endpoint for runs that did not record one")

    image = verbs.add_parser("image", help="serving images")
    image_verbs = image.add_subparsers(dest="image_verb", metavar="ACTION")
    build = image_verbs.add_parser("build", help="build a serving image for a model folder with inference.py")
    build.add_argument("model_dir")
    build.add_argument("-t", "--tag", required=True)
    build.add_argument("--base", default="python:3.11-slim", help="base image (default python:3.11-slim)")
    build.add_argument("--wheels", help="offline wheelhouse: install fastapi/uvicorn from here, no index")

    from emulator.remote.commands import add_client_verbs

    add_client_verbs(verbs)
    return parser


class _Refused(Exception):
    pass


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # the real parser reports it, after the fork
        raise _Refused(message)


def _docker_job_starter(argv: Sequence[str]) -> Any:
    """For `bte run` of a job that may run on Docker, the forked starter
    (emulator/runtime/forked_start.py), begun before the parser and bte's imports; None
    for any other command or a job that surely runs as a local process."""
    if not argv or argv[0] != "run":
        return None
    early = _QuietParser(add_help=False)
    _job_args(early)
    _executor_args(early)
    try:
        args, _ = early.parse_known_args(list(argv[1:]))
    except _Refused:
        return None
    # Not where the job will surely run as a local process (a model folder and no image).
    process = args.runtime == "process" or (args.model_dir and not args.image and args.runtime != "docker")
    if args.executor != "local" or process:
        return None
    from emulator.runtime.forked_start import ForkedStarter

    return ForkedStarter.begin()


def main(argv: Sequence[str] | None = None) -> int:
    starter = _docker_job_starter(sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv, starter)
    finally:
        if starter is not None:
            starter.cancel()  # not taken (an error, or not a Docker job): the child exits


def _main(argv: Sequence[str] | None, starter: Any) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return 2
    from emulator.spec.errors import BteError

    try:
        if args.verb == "run":
            return _run_with(args, starter)
        if args.verb == "plan":
            return _plan(args)
        if args.verb == "split":
            return _split(args)
        if args.verb == "report":
            return _report(args)
        if args.verb == "diff":
            return _diff(args)
        if args.verb == "runs":
            return _runs(args)
        if args.verb == "image":
            return _image(args, parser)
        if args.verb == "cleanup":
            return _cleanup(args)
        if args.verb == "serve":
            return _serve(args)
        from emulator.remote.commands import VERBS, run_client_verb

        if args.verb in VERBS:
            return run_client_verb(args)
    except BteError as exc:
        print(f"bte: {exc.code}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before a job started (while validating or planning): nothing to stop
        print("bte: interrupted", file=sys.stderr)
        return 130
    parser.print_help()
    return 2


def _common(args: argparse.Namespace) -> dict[str, Any]:
    return dict(
        model=args.model, model_dir=args.model_dir, image=args.image,
        runtime=args.runtime, s3_endpoint_url=args.s3_endpoint_url,
    )


def _say_before_running(console: Any, prepared: Any, args: argparse.Namespace) -> None:
    """What the user must read before a run starts, even with --quiet: a model fetched again,
    a rerun of a name (or, with --strict-names, the service's refusal of it)."""
    from emulator.reruns import name_in_use, previous_run, rerun_notice

    for note in prepared.source.notes:
        console.print(f"[yellow]note[/yellow] {note}", highlight=False)
    previous = previous_run(prepared.spec.name)
    if previous is None:
        return
    if args.strict_names:  # a run of the name since the check before prepare
        raise name_in_use(prepared.spec.name)
    notice = rerun_notice(prepared.plan, previous, args.s3_endpoint_url)
    console.print(f"[yellow]warning[/yellow] {notice}", highlight=False)


def _refuse_a_used_name(args: argparse.Namespace) -> None:
    """--strict-names: the service's refusal of a used name, before any instance starts."""
    from emulator.reruns import name_in_use, previous_run
    from emulator.transform import load_request

    name = load_request(args.job).get("TransformJobName")
    if isinstance(name, str) and previous_run(name) is not None:
        raise name_in_use(name)


def _run_with(args: argparse.Namespace, starter: Any) -> int:
    from emulator.timings import Timings
    from emulator.transform import prepare

    kwargs = _common(args)
    timings = Timings()
    timings.mark("request read")
    if args.strict_names:
        _refuse_a_used_name(args)
    # Validates and plans before anything runs; the instances start as soon as the request,
    # the model and the input listing are known, while the rest is imported and planned.
    prepared = prepare(args.job, start_early=args.executor == "local", starter=starter, **kwargs)
    timings.mark("planned")
    try:
        return _run_prepared(args, prepared, timings)
    finally:
        if prepared.head_start is not None:
            prepared.head_start.discard()  # begun and never run (an error before the run)


def _run_prepared(args: argparse.Namespace, prepared: Any, timings: Any) -> int:
    from rich.console import Console

    from emulator.interrupts import StopOnSignals
    from emulator.progress import ProgressDisplay
    from emulator.store.recorder import record_run
    from emulator.transform import run_prepared

    # Off a terminal (a pipe, a CI log) lines are never wrapped: a data-log line keeps its
    # timestamp, and a grep finds it whole.
    console = Console(stderr=True, soft_wrap=not sys.stderr.isatty())
    _say_before_running(console, prepared, args)
    listeners: list[Any] = [timings]
    display = None
    if not args.quiet:
        for w in prepared.plan.warnings:
            console.print(f"[yellow]warning[/yellow] {w.source}: {w.message} Fix: {w.fix}", highlight=False)
        display = ProgressDisplay(console, len(prepared.plan.inputs), sum(o.size for o in prepared.plan.inputs))
        listeners.append(display)
    recorder, warning = record_run(prepared.spec.request, prepared.model.request if prepared.model else None)
    if warning and not args.quiet:
        console.print(f"[yellow]warning[/yellow] {warning}", highlight=False)
    if recorder:
        listeners.insert(0, recorder)
    # Ctrl-C and SIGTERM stop the job (a second one abandons the graceful stop): the job
    # always reaches its end state and this command always reports it (emulator/interrupts.py).
    try:
        with StopOnSignals(lambda line: console.print(f"[yellow]{line}[/yellow]", highlight=False)) as signals:
            run_kwargs = dict(s3_endpoint_url=args.s3_endpoint_url, ping_timeout_s=args.ping_timeout,
                              listeners=listeners, on_runner=lambda runner: signals.attach(runner.stop),
                              run_id=recorder.run_id if recorder else None, executor=args.executor,
                              ray_address=args.ray_address, ray_scale_to_fit=args.ray_scale_to_fit)
            if display:
                with display:
                    result = run_prepared(prepared, **run_kwargs)
            else:
                result = run_prepared(prepared, **run_kwargs)
    finally:
        if recorder:
            recorder.close()
            recorder.store.close()
    if args.json:
        described = result.describe()
        if result.failure_detail:
            described["BteFailureDetail"] = result.failure_detail  # bte's own field, beside the service's
        print(json.dumps(described, indent=2, default=_json_default))
    else:
        for source, output in result.outputs.items():
            print(f"{source} -> {output}")
    if args.report is not None and recorder is None:
        console.print("[yellow]warning[/yellow] no report: this run is not in the job store", highlight=False)
    elif args.report is not None and recorder:
        from emulator.report import write_report

        path, _ = write_report(recorder.run_id, out=args.report or None, s3_endpoint_url=args.s3_endpoint_url)
        console.print(f"report: {path}", highlight=False)
    if result.status == "Completed":
        console.print(f"Transform job {result.spec.name}: [green]Completed[/green]")
    else:
        console.print(f"Transform job {result.spec.name}: [red]{result.status}[/red]", highlight=False)
        if result.failure_reason:
            print(f"FailureReason: {result.failure_reason}", file=sys.stderr)
        if result.failure_detail:
            print(f"BteFailureDetail: {result.failure_detail}", file=sys.stderr)
    if args.timings:
        timings.mark("reported")
        print(f"Timings of {result.spec.name}:\n{timings.render()}", file=sys.stderr)
    return 0 if result.status == "Completed" else 1


def _plan(args: argparse.Namespace) -> int:
    from rich.console import Console

    from emulator.planning import plan_dict, plan_text, survey
    from emulator.planning.progress import ScanProgress
    from emulator.transform import prepare

    prepared = prepare(args.job, **_common(args))
    plan = prepared.plan
    found = None
    if not args.no_scan:
        answer = _json_arg(args.container_parameters, "--container-parameters")
        with ScanProgress(Console(stderr=True), plan.inputs) as progress:
            found = survey(plan, s3_endpoint_url=args.s3_endpoint_url, sample_batches=args.sample,
                           keep_spans=args.batches, container_answer=answer,
                           sample_answer=None if args.sample_answer is None else args.sample_answer.encode(),
                           progress=progress.update)
    if args.json:
        print(json.dumps(plan_dict(plan, found, runtime=prepared.runtime_name), indent=2))
    else:
        print(plan_text(plan, found, runtime=prepared.runtime_name, model=prepared.source.describe()))
    return 0


def _json_arg(text: str | None, flag: str) -> Any:
    if text is None:
        return None
    from emulator.spec.errors import ValidationException

    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationException(f"{flag} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValidationException(f"{flag} must be a JSON object, such as '{{\"MaxPayloadInMB\": 1}}'")
    from emulator.plan import parse_container_parameters

    answer, problems = parse_container_parameters(text)
    if problems:
        raise ValidationException(f"{flag}: {'; '.join(problems)}")
    return answer


def _report(args: argparse.Namespace) -> int:
    from emulator.report import write_report

    path, text = write_report(args.run, state=args.state_dir, out=args.out, s3_endpoint_url=args.s3_endpoint_url,
                              compare=args.compare)
    print(text)
    print(f"report: {path}")
    return 0


def _runs(args: argparse.Namespace) -> int:
    from emulator.report.runs import list_runs, runs_text

    found = list_runs(args.job, state=args.state_dir)
    print(json.dumps(found, indent=2) if args.json else runs_text(found))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from emulator.report.diff import diff_dict, diff_runs, diff_text

    found = diff_runs(args.run_a, args.run_b, state=args.state_dir, s3_endpoint_url=args.s3_endpoint_url)
    print(json.dumps(diff_dict(found), indent=2) if args.json else diff_text(found))
    return 1 if found.changed or found.only_in_a or found.only_in_b else 0


def _split(args: argparse.Namespace) -> int:
    from emulator.planning.split import split_file

    max_bytes = None if args.max_mb is None else int(args.max_mb * (1 << 20))
    written = split_file(args.file, parts=args.parts, max_bytes=max_bytes, out_dir=args.out,
                         header=not args.no_header)
    for path in written:
        print(path)
    print(f"{len(written)} part(s) written", file=sys.stderr)
    return 0


def _image(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.image_verb != "build":
        parser.parse_args(["image", "--help"])
        return 2
    from emulator.images import build_image

    image_id = build_image(args.model_dir, args.tag, base_image=args.base, wheelhouse=args.wheels)
    print(f"built {args.tag} ({image_id})")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from emulator.api import ServerSettings, serve

    from pathlib import Path

    if args.s3 == "local":
        from emulator.locals3.supervisor import check_installed
        from emulator.locals3.weed import WeedError

        if args.s3_endpoint_url:
            print("bte serve: --s3 local and --s3-endpoint-url each choose the S3 jobs use; give one of them",
                  file=sys.stderr)
            return 2
        try:
            check_installed()
        except WeedError as exc:
            print(f"bte serve --s3 local: {exc}", file=sys.stderr)
            return 2
    return serve(ServerSettings(host=args.host, port=args.port, state_dir=args.state_dir, max_jobs=args.max_jobs,
                                s3_endpoint_url=args.s3_endpoint_url, s3=args.s3, credentials=args.credentials,
                                allow_local_roots=tuple(Path(d) for d in args.allow_local), executor=args.executor,
                                ray_address=args.ray_address, ray_scale_to_fit=args.ray_scale_to_fit))


def _cleanup(args: argparse.Namespace) -> int:
    """Only runs whose bte process is gone are touched (emulator/leftovers.py)."""
    from emulator.leftovers import clean_up

    done = clean_up(args.job, s3_endpoint_url=args.s3_endpoint_url)
    for line in done.lines():
        print(line)
    print(f"{len(done.containers)} container(s) removed, {len(done.processes)} model process group(s) killed, "
          f"{len(done.files)} temporary file(s) or upload(s) removed, {len(done.runs)} abandoned run(s) closed")
    return 1 if done.problems else 0


def _json_default(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def entry() -> None:
    """The ``bte`` command: ``main``, then a quick exit.

    Tearing the interpreter down (freeing every module and object one by one) took about
    half a second after a job had ended, which is most of a small job's overhead. The exit
    handlers still run (they remove any container left running), and the output streams are
    flushed; only the teardown is skipped."""
    import atexit
    import os

    try:
        code = main()
    except SystemExit as exc:  # argparse's --help / errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except KeyboardInterrupt:  # while starting up, before main's own handling
        print("bte: interrupted", file=sys.stderr)
        code = 130
    atexit._run_exitfuncs()  # the same handlers a normal exit runs (CPython's own hook)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    entry()
