"""A live progress display (rich) that listens to the job's event stream."""

from __future__ import annotations

import threading
from collections import Counter

from rich.console import Console
from rich.text import Text
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from emulator.engine import events as ev


class ProgressDisplay:
    """Files and bytes done, mini-batches per instance, rate and ETA; log lines above it."""

    def __init__(self, console: Console, total_files: int, total_bytes: int, show_logs: bool = True) -> None:
        self.console = console
        self.show_logs = show_logs
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.files = self.progress.add_task("files", total=total_files or 1, detail="")
        self.bytes = self.progress.add_task("MB in", total=max(1, total_bytes) / 1e6, detail="")
        self.batches: Counter[str] = Counter()
        self.records = 0
        self.bytes_done = 0
        self._lock = threading.Lock()

    def __enter__(self) -> "ProgressDisplay":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            match event:
                case ev.MiniBatchDone():
                    self.batches[event.instance] += 1
                    self.bytes_done += event.bytes
                    if event.records is not None:
                        self.records += event.records
                    self.progress.advance(self.bytes, event.bytes / 1e6)
                    per = ", ".join(f"{k.rsplit('-', 1)[-1]}:{v}" for k, v in sorted(self.batches.items()))
                    done = f"{self.records} records" if self.records else f"{self.bytes_done / 1e6:.1f} MB"
                    self.progress.update(self.files, detail=f"{done}, mini-batches per instance {per}")
                case ev.FileDone():
                    self.progress.advance(self.files)
                    if not event.ok:
                        self.console.print(f"[red]file failed[/red] {event.reason}")
                case ev.InstanceLog() if self.show_logs:
                    self.console.print(Text.assemble((event.instance, "dim"), " | ", event.line), highlight=False)
                case ev.InstanceStarted():
                    self.console.print(f"[cyan]{event.instance}[/cyan] started ({event.runtime}) at {event.url}")
                case ev.PingOk():
                    self.console.print(f"[cyan]{event.instance}[/cyan] healthy after {event.waited_s:.1f} s")
                case ev.MiniBatchRetried():
                    self.console.print(
                        f"[yellow]retry[/yellow] {event.source} mini-batch {event.batch} attempt {event.attempt}: {event.reason}"
                    )
