"""Ctrl-C and SIGTERM during ``bte run``: stop the job, and never leave it half-stopped.

The first signal asks the job to stop, as StopTransformJob does: the job goes through
Stopping to Stopped, its instances are removed and its outputs discarded. A second one
abandons the graceful part: every instance is killed at once instead of being given
time to shut down, and the job still ends Stopped, with the same clean-up (no
traceback, no output left behind). Later signals only say that the stop is under way.

A signal handler runs on the main thread between two bytecodes, possibly while that
thread holds a lock the stop needs (the runner's queue, the console). So the handler only
counts the signal and wakes a watcher thread, which does the work.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Callable

from emulator.runtime import kill_all_instances

STOPPING = "stopping the job (instances are being removed); press Ctrl-C again to abandon the graceful stop"
ABANDONING = "abandoning the graceful stop: killing every instance now; the job still ends Stopped"
STILL_STOPPING = "still stopping: waiting for the instances to go and the outputs to be discarded"


class StopOnSignals:
    """Turns SIGINT and SIGTERM into a stop, then an abandon, of one job.

    ``stop`` is called once, on the first signal (from the watcher thread); ``say``
    prints a line for the user. ``attach(stop)`` may come after a signal: the stop then
    happens at once.
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._stop: Callable[[], None] | None = None
        self._signals = 0
        self._handled = 0
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._done = False
        self._installed: list[int] = []
        self._watcher = threading.Thread(target=self._watch, name="bte-signals", daemon=True)

    @property
    def signalled(self) -> bool:
        return self._signals > 0

    def __enter__(self) -> StopOnSignals:
        self._watcher.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handler)
            self._installed.append(sig)
        return self

    def __exit__(self, *exc: object) -> None:
        # The job has reached its end state; what is left is to report it, which a late
        # signal must not cut short (the command exits right after).
        for sig in self._installed:
            signal.signal(sig, signal.SIG_IGN)
        self._done = True
        self._wake.set()
        self._watcher.join(5.0)

    def attach(self, stop: Callable[[], None]) -> None:
        with self._lock:
            self._stop = stop
        self._wake.set()

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1  # only this: no lock, no I/O (see the module docstring)
        self._wake.set()

    def _watch(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._done:
                return
            with self._lock:
                stop = self._stop
            while self._handled < self._signals:
                if self._handled == 0 and stop is None:
                    break  # no job to stop yet: act when attach() brings one
                self._handled += 1
                if self._handled == 1:
                    self._say(STOPPING)
                    if stop is not None:
                        stop()
                elif self._handled == 2:
                    self._say(ABANDONING)
                    kill_all_instances()
                else:
                    self._say(STILL_STOPPING)
