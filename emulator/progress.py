"""A live progress display (rich) that listens to the job's event stream."""

from __future__ import annotations

import threading
from collections import Counter

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from emulator.engine import events as ev


class ProgressDisplay:
    """Bytes done with rate and ETA; files, records and mini-batches per instance beside it;
    instance log lines and failures printed above the bar."""

    def __init__(self, console: Console, total_files: int, total_bytes: int, show_logs: bool = True) -> None:
        self.console = console
        self.show_logs = show_logs
        self.total_files = total_files
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console,
        )
        self.task = self.progress.add_task("transform", total=max(1, total_bytes), detail="")
        self.files_done = 0
        self.batches: Counter[str] = Counter()
        self.records = 0
        self._lock = threading.Lock()

    def __enter__(self) -> "ProgressDisplay":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _detail(self) -> str:
        per = " ".join(f"#{k.rsplit('-', 1)[-1]}:{v}" for k, v in sorted(self.batches.items()))
        records = f", {self.records} records" if self.records else ""
        return f"{self.files_done}/{self.total_files} files{records}, mini-batches {per}"

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            match event:
                case ev.MiniBatchDone():
                    self.batches[event.instance] += 1
                    if event.records is not None:
                        self.records += event.records
                    self.progress.update(self.task, advance=event.bytes, detail=self._detail())
                case ev.FileDone():
                    self.files_done += 1
                    self.progress.update(self.task, detail=self._detail())
                    if not event.ok:
                        self.console.print(Text.assemble(("file failed ", "red"), event.detail or event.reason or ""))
                case ev.InstanceLog() if self.show_logs:
                    where = f"{event.instance} data-log" if event.is_data_log else event.instance
                    self.console.print(Text.assemble((where, "dim"), " | ", event.line), highlight=False)
                case ev.InstancePlaced():
                    self.console.print(f"[cyan]{event.instance}[/cyan] placed on Ray node {event.node}")
                case ev.FileMoved():
                    self.console.print(Text.assemble(
                        ("moved ", "yellow"), f"{event.source}: {event.lost_instance} was lost; "
                        f"it runs again, whole, on {event.instance}"), highlight=False)
                case ev.InstanceStarted():
                    self.console.print(f"[cyan]{event.instance}[/cyan] started ({event.runtime}) at {event.url}")
                case ev.PingOk():
                    self.console.print(f"[cyan]{event.instance}[/cyan] healthy after {event.waited_s:.1f} s")
                case ev.PingWaiting():
                    answered = f"/ping answered {event.status}" if event.status else "nothing answers /ping"
                    lines = " | ".join(line.strip() for line in event.last_lines if line.strip()) or "(none yet)"
                    self.console.print(
                        Text.assemble((event.instance, "cyan"), f" not healthy after {event.waited_s:.0f} s "
                                      f"({answered}); its latest log lines: {lines}"), highlight=False)
                case ev.MiniBatchRetried():
                    self.console.print(
                        Text.assemble(("retry ", "yellow"), f"{event.source} mini-batch {event.batch} "
                                      f"attempt {event.attempt}: {event.reason}")
                    )
