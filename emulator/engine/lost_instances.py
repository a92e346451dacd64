"""What a lost Ray actor's instance left running: its container or its model-server
process group, found by the owner they carry (the actor's process, ``pid@start time``:
``bte.owner`` on a container, ``BTE_OWNER`` in a process's environment).

Ray has declared the actor dead, so what it owns goes, whether or not its process has
noticed yet (a worker whose node was killed can linger for seconds). This reaches the
Docker engine and the processes of the machine it runs on: on one machine, the nodes'
(docs/scale-out.md says what that means on a real cluster).
"""

from __future__ import annotations

import os
import signal

from emulator.processes import ProcessIdentity, is_running
from emulator.runtime import JOB_LABEL, docker_available
from emulator.runtime.docker_engine import OWNER_LABEL, connect
from emulator.runtime.orphans import kill_group, model_server_groups
from emulator.runtime.process_runtime import JOB_ENV, OWNER_ENV


def remove_instances_of(job: str, owner: str, docker: bool) -> list[str]:
    """Kill the actor's process if it lingers on this machine (else it would go on writing
    the files that now run elsewhere), then remove ``job``'s containers and kill its
    model-server process groups owned by it; one line for each thing removed."""
    done: list[str] = []
    identity = ProcessIdentity.from_label(owner)
    # The start time names the machine's boot too: a pid of another machine never matches.
    if identity is not None and is_running(identity):
        try:
            os.kill(identity.pid, signal.SIGKILL)
            done.append(f"killed the lost actor's process {identity.pid}")
        except (ProcessLookupError, PermissionError):
            pass
    if docker and docker_available()[0]:
        engine = connect(timeout=30)
        try:
            for container in engine.containers.list(
                    all=True, filters={"label": [f"{JOB_LABEL}={job}", f"{OWNER_LABEL}={owner}"]}):
                container.remove(force=True)
                done.append(f"removed container {container.name}")
        finally:
            engine.close()
    for pgid, env in model_server_groups():
        if env.get(OWNER_ENV) == owner and env.get(JOB_ENV) == job and kill_group(pgid):
            done.append(f"killed model server process group {pgid}")
    return done
