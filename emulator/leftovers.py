"""Clean up after runs whose bte process was killed, and only after those.

``bte cleanup`` runs it for every job; each run runs it for its own job before it starts.
What it removes, each time only where the owner (pid and process start time) is gone:

- containers labelled ``bte.owner`` with a dead owner,
- model-server process groups of the process runtime with a dead ``BTE_OWNER``,
- for each open run record (``<run dir>/run.json``) of a dead owner: the run's
  ``.bte-partial`` and ``.bte-replaced`` temporaries in its output location, and its
  incomplete multipart uploads (see emulator/storage/leftovers.py); the record is then
  closed as ``Abandoned``.

The run record is written before the run's first container starts and closed after its
last output is settled, so a run that is still going is always seen as live.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.spec.errors import BteError
from emulator.storage.leftovers import remove_run_leftovers
from emulator.store import run_record


@dataclass
class Cleaned:
    containers: list[str] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)  # "<job>/<run id>" of each abandoned run closed
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return ([f"removed container {c}" for c in self.containers] + [f"killed {p}" for p in self.processes]
                + [f"removed {f}" for f in self.files] + [f"closed abandoned run {r}" for r in self.runs]
                + [f"could not clean up: {p}" for p in self.problems])


def clean_up_runs(job: str | None = None, *, s3_endpoint_url: str | None = None) -> Cleaned:
    """Remove the temporaries and uploads of every run of ``job`` (or of all jobs) whose
    process is gone, and close their records. ``s3_endpoint_url`` is used for a record
    that did not note its own endpoint."""
    done = Cleaned()
    for record in run_record.abandoned(run_record.records(job)):
        try:
            done.files += remove_run_leftovers(
                record.output_path, record.run_id, uploads=run_record.uploads(record),
                s3_endpoint_url=record.s3_endpoint_url or s3_endpoint_url,
            )
        except BteError as exc:
            done.problems.append(f"{record.job} run {record.run_id}: {exc}")
            continue  # keep the record open: a later cleanup tries again
        run_record.end(record, run_record.ABANDONED)
        done.runs.append(f"{record.job}/{record.run_id}")
    return done


def clean_up_instances(job: str | None = None, *, docker: bool = True, docker_client: object | None = None,
                       processes: bool = True) -> Cleaned:
    """Remove containers and kill model servers whose bte owner is gone."""
    from emulator.runtime import cleanup_containers, docker_available
    from emulator.runtime.orphans import kill_orphan_model_servers

    done = Cleaned()
    if processes:
        done.processes = kill_orphan_model_servers(job)
    if docker and (docker_client is not None or docker_available()[0]):
        try:
            done.containers = cleanup_containers(job, docker_client, orphans_only=True)
        except BteError as exc:
            done.problems.append(str(exc))
    return done


def clean_up(job: str | None = None, *, s3_endpoint_url: str | None = None) -> Cleaned:
    """Everything ``bte cleanup`` does: instances first (they may still write), then files."""
    done = clean_up_instances(job)
    runs = clean_up_runs(job, s3_endpoint_url=s3_endpoint_url)
    done.files, done.runs, done.problems = runs.files, runs.runs, done.problems + runs.problems
    return done

