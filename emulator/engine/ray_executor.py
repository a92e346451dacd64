"""The Ray executor: one actor per SageMaker instance on a Ray cluster (``bte[ray]``).

Each actor (engine/ray_actor.py) is placed on a node by its InstanceType's CPUs and
memory, starts its own model server there and runs the plan's files for its instance
with the same InstanceWork as the local executor. A thread here per actor empties the
actor's outbox as events happen, renumbers the events into this process's stream and
hands the stimuli to the runner: progress, logs, the job record and the report see a
Ray job as a local one.

A lost actor (its node died, or the actor itself) does not end the job while another
instance lives: the files it had not finished move whole to a surviving instance
(``InstanceLost`` -> ``MoveFiles`` in the lifecycle), what it had written of them is
removed, and its model server (a container or process group whose owner is gone) is
cleaned up from here, which on one machine shares the nodes' Docker engine.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from emulator.engine import events as ev
from emulator.engine import lifecycle as lc
from emulator.engine.errors import INTERNAL_ERROR, Failure
from emulator.engine.instance_host import HostSink
from emulator.engine.log_streams import InstanceStreams
from emulator.engine.lost_instances import remove_instances_of
from emulator.engine.ray_actor import InstanceActor, RuntimeRecipe
from emulator.engine.ray_cluster import InstanceRequest, ray_module
from emulator.plan import Plan
from emulator.runtime import Runtime
from emulator.storage import InputObject
from emulator.storage.leftovers import remove_run_leftovers

DRAIN_WAIT_S = 0.25  # how long one drain call waits for the actor's first message
STOP_TIMEOUT_S = 120.0
ACTOR_CONCURRENCY = 8  # start, two runs of files, drain, cancel, stop, settle/undo at once


def aws_environment() -> dict[str, str]:
    """This process's AWS settings (credentials, region, profile, endpoints), for the actors:
    they read and write S3 themselves, on nodes whose environment is the raylet's, not this
    process's (`bte serve` sets its own S3's credentials here; a user may have exported
    theirs). Ray keeps a runtime_env in the cluster's GCS: docs/scale-out.md says so."""
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}


class RayExecutor:
    name = "ray"

    def __init__(self, plan: Plan, runtime: Runtime | None, sink: HostSink, *, recipe: RuntimeRecipe,
                 request: InstanceRequest, placement_timeout_s: float, run_id: str,
                 **host_args: Any) -> None:
        self.ray = ray_module()
        self.plan, self.sink = plan, sink
        self.job = plan.spec.name
        self.recipe, self.request = recipe, request
        self.placement_timeout_s = placement_timeout_s
        self.run_id = run_id
        self._host_args = dict(host_args, run_id=run_id)
        self._actors: dict[str, Any] = {}
        self._pollers: dict[str, threading.Thread] = {}
        self._assigned: dict[str, list[InputObject]] = {}
        self._done: dict[str, set[str]] = {}
        self._uploads: dict[str, list[tuple[str, str]]] = {}
        self._nodes: dict[str, str] = {}
        self._owners: dict[str, str] = {}  # the actor's process, as its instance's owner label
        self._lost: list[str] = []  # "<instance> on node <ip>", in the order they were lost
        self._closing = threading.Event()
        self._stopping = False
        self._lock = threading.Lock()

    # -- Executor ---------------------------------------------------------------------
    def start(self, instances: dict[str, InstanceStreams]) -> None:
        remote = self.ray.remote(InstanceActor)
        credentials = aws_environment()
        for name, streams in instances.items():
            actor = remote.options(
                num_cpus=self.request.cpus, memory=self.request.memory_bytes or None,
                max_restarts=0, max_concurrency=ACTOR_CONCURRENCY, scheduling_strategy="SPREAD",
                name=f"bte-{self.job}-{self.run_id}-{name}",
                runtime_env={"env_vars": credentials} if credentials else None,
            ).remote(name, self.plan, self.recipe, streams,
                     dict(self._host_args, writer_run_id=f"{self.run_id}.{name}"))
            with self._lock:
                self._actors[name] = actor
                self._assigned[name], self._done[name], self._uploads[name] = [], set(), []
            poller = threading.Thread(target=self._poll, args=(name, actor), name=f"ray-{name}", daemon=True)
            self._pollers[name] = poller
            poller.start()

    def run_files(self, instance: str, files: tuple[InputObject, ...], started_at: float) -> None:
        with self._lock:
            self._assigned[instance].extend(files)
            actor = self._actors[instance]
        actor.run_files.remote(files, started_at)

    def cancel(self) -> None:
        for actor in list(self._actors.values()):
            actor.cancel.remote()

    def stop_all(self) -> None:
        threading.Thread(target=self._stop_everything, name="ray-stop", daemon=True).start()

    # -- per actor (own thread) ----------------------------------------------------------
    def _poll(self, name: str, actor: Any) -> None:
        ray = self.ray
        if not self._place(name, actor):
            return
        actor.start.remote()
        causes: dict[int, int] = {}  # the actor's event ids -> this stream's
        while True:
            closing = self._closing.is_set()
            try:
                messages = ray.get(actor.drain.remote(DRAIN_WAIT_S))
            except ray.exceptions.RayActorError as exc:
                self._lose(name, exc)
                return
            for message in messages:
                self._deliver(name, actor, message, causes)
            if closing and not messages:
                return

    def _place(self, name: str, actor: Any) -> bool:
        """Wait for the actor to be placed; InstancePlaced, or InstanceFailed saying why not."""
        ray = self.ray
        try:
            node, node_id, owner = ray.get(actor.where.remote(), timeout=self.placement_timeout_s)
        except ray.exceptions.GetTimeoutError:
            why = (f"{name}: no node of the Ray cluster took the instance ({self.request.words()}) within "
                   f"{self.placement_timeout_s:g} s; the cluster's free resources are {ray.available_resources()} "
                   "(add nodes, or run fewer instances at once)")
        except Exception as exc:  # the actor could not be created there (its code, its arguments)
            why = f"{name}: the Ray actor for the instance could not start: {exc.__class__.__name__}: {exc}"
        else:
            self._nodes[name], self._owners[name] = node, owner
            self.sink.emit(ev.InstancePlaced(job=self.job, instance=name, node=node, node_id=node_id))
            return True
        self.sink.report(lc.InstanceFailed(name, Failure(INTERNAL_ERROR, why)))
        return False

    def _deliver(self, name: str, actor: Any, message: tuple[Any, ...], causes: dict[int, int]) -> None:
        kind = message[0]
        if kind == "event":
            self.sink.emit(ev.renumbered(message[1], causes))
        elif kind == "stimulus":
            self.sink.report(message[1])
        elif kind == "started":
            self.sink.started(name)
        elif kind == "parameters":
            self.sink.parameters(name, message[1])
        elif kind == "upload":
            self._uploads[name].append((message[1], message[2]))
            self.sink.upload(message[1], message[2])
        elif kind == "file_done":
            _, obj, outcome, key = message
            with self._lock:
                self._done[name].add(obj.display_name)
            if key:
                outcome.committed = RemoteCommit(self.ray, actor, key, obj.display_name)
            self.sink.file_done(name, obj, outcome)

    def _lose(self, name: str, exc: BaseException) -> None:
        """The actor is gone: clean up what it left, and hand its unfinished files on."""
        if self._closing.is_set():
            return
        node = self._nodes.get(name, "an unknown node")
        with self._lock:
            unfinished = tuple(dict.fromkeys(o.display_name for o in self._assigned[name]
                                             if o.display_name not in self._done[name]))
            self._lost.append(f"{name} on node {node}")
        cause = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else exc.__class__.__name__
        self._log(f"instance {name} was lost with its Ray actor on node {node} ({cause}); "
                  + (f"its unfinished file(s) {', '.join(unfinished)} run again, whole, on another instance"
                     if unfinished else "it had no unfinished file"), name)
        self._clean_up_after(name)
        failure = Failure(INTERNAL_ERROR, (
            f"every instance of the job was lost with its Ray node ({'; '.join(self._lost)}); "
            f"file(s) {', '.join(unfinished) or '(none)'} were left unfinished and no instance is left to run them "
            "(see the Ray nodes' logs; run more nodes or fewer instances per node)"))
        self.sink.report(lc.InstanceLost(name, failure, unfinished))

    def _clean_up_after(self, name: str) -> None:
        """The lost instance's partial outputs, its model server and its open uploads."""
        try:
            # First what it ran (its process, if it lingers here; its container or model
            # server, by the owner they carry), so nothing writes while its partials go.
            cleaned = remove_instances_of(self.job, self._owners[name], docker=self.recipe.name == "docker"
                                          or bool(self.recipe.steps)) if name in self._owners else []
            removed = remove_run_leftovers(self.plan.spec.output_path, f"{self.run_id}.{name}",
                                           uploads=self._uploads[name],
                                           s3_endpoint_url=self._host_args.get("s3_endpoint_url"))
        except Exception as exc:  # a cleanup that fails is said, and the job goes on
            self._log(f"cleanup after the lost instance {name} failed: {exc.__class__.__name__}: {exc}", name)
            return
        for line in cleaned + [f"removed {path}" for path in removed]:
            self._log(f"lost instance {name}: {line}", name)

    def _log(self, line: str, name: str) -> None:
        self.sink.emit(ev.InstanceLog(job=self.job, instance="bte", line=line))

    def _stop_everything(self) -> None:
        ray = self.ray
        stoppers = {name: actor.stop.remote() for name, actor in self._actors.items()
                    if name not in {lost.split(" ")[0] for lost in self._lost}}
        for name, ref in stoppers.items():
            try:
                ray.get(ref, timeout=STOP_TIMEOUT_S)
            except Exception as exc:  # a lost actor, a stop that hung: clean up after it from here
                self._log(f"stop of instance {name} on Ray failed ({exc.__class__.__name__}); cleaning up after it", name)
        self._closing.set()
        deadline = time.time() + STOP_TIMEOUT_S
        for poller in self._pollers.values():  # the last words of each instance reach the stream first
            poller.join(timeout=max(0.0, deadline - time.time()))
        self.sink.report(lc.InstancesStopped())

    def close(self) -> None:
        # Only now: the runner settled or undid the outputs the actors committed.
        for actor in self._actors.values():
            self.ray.kill(actor, no_restart=True)


class RemoteCommit:
    """A committed output that lives on the actor's node: settle or undo it there. An actor
    that is gone can do neither; its commit stays as it was (docs/scale-out.md)."""

    def __init__(self, ray: Any, actor: Any, key: int, source: str) -> None:
        self.ray, self.actor, self.key, self.source = ray, actor, key, source

    def settle(self) -> None:
        self._call("settle")

    def undo(self) -> None:
        self._call("undo")

    def _call(self, what: str) -> None:
        try:
            self.ray.get(getattr(self.actor, what).remote(self.key), timeout=STOP_TIMEOUT_S)
        except self.ray.exceptions.RayActorError:
            return
