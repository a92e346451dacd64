"""The scan's progress bar (rich, on stderr, only on a terminal): bytes read over all inputs."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from emulator.storage import InputObject


class ScanProgress:
    def __init__(self, console: Console, inputs: Sequence[InputObject]) -> None:
        self.progress = Progress(
            TextColumn("[bold]scanning"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), TextColumn("{task.description}"),
            console=console, transient=True, disable=not console.is_terminal,
        )
        self._task = self.progress.add_task("", total=max(1, sum(o.size for o in inputs)))
        self._base: dict[str, int] = {}  # input URI -> bytes of the inputs scanned before it
        self._done = 0
        self._current = ""

    def update(self, obj: InputObject, offset: int) -> None:
        """``offset``: stored bytes of ``obj`` read so far (called again per scenario)."""
        if obj.uri != self._current:
            self._current = obj.uri
            self._base[obj.uri] = self._done
            self.progress.update(self._task, description=obj.display_name)
        self._done = self._base[obj.uri] + min(offset, obj.size)
        self.progress.update(self._task, completed=self._done)

    def __enter__(self) -> ScanProgress:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()
