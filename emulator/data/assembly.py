"""Output assembly (AssembleWith, reference section 6.4): responses in, output pieces out,
in input order whatever order the responses arrive in.

- AssembleWith ``None``: each mini-batch's response bytes, as they are, concatenated.
- AssembleWith ``Line``: each mini-batch's response gets one ``\\n`` appended unless it
  already ends with one (bte's choice on reference section 10, item 2: the platform is not
  known to split a MultiRecord response into records, and containers such as AWS's XGBoost
  end every response with a newline, which must not become a blank line).

The assembler holds only responses that finished before an earlier one; ``max_pending``
bounds them. The engine asks ``may_dispatch(index)`` before sending a mini-batch, so a
slow early batch throttles dispatch instead of letting memory grow.
"""

from __future__ import annotations

from emulator.data.errors import AssemblyError

ASSEMBLE_WITH = ("None", "Line")
LINE_TERMINATOR = b"\n"


def assemble_piece(assemble_with: str, response: bytes) -> bytes:
    """The bytes one mini-batch's response contributes to the output object."""
    if assemble_with == "Line" and not response.endswith(LINE_TERMINATOR):
        return response + LINE_TERMINATOR
    return response


class OrderedAssembler:
    """Reorders responses of one object's mini-batches (0, 1, 2, ...) into output pieces."""

    def __init__(self, assemble_with: str, max_pending: int = 64, source: str = "") -> None:
        if assemble_with not in ASSEMBLE_WITH:
            raise ValueError(f"AssembleWith must be one of {', '.join(ASSEMBLE_WITH)}, "
                             f"not {assemble_with!r}")
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.assemble_with = assemble_with
        self.max_pending = max_pending
        self.source = source
        self._next = 0  # index of the next piece to write
        self._held: dict[int, bytes] = {}

    @property
    def pending(self) -> int:
        """Responses held because an earlier one has not arrived yet."""
        return len(self._held)

    @property
    def next_index(self) -> int:
        """The mini-batch whose response is written next."""
        return self._next

    def may_dispatch(self, index: int) -> bool:
        """Whether mini-batch ``index`` may be sent now without its response possibly
        overflowing the bound on held responses."""
        return index < self._next + self.max_pending + 1

    def add(self, index: int, response: bytes) -> list[bytes]:
        """Record the response of mini-batch ``index``; return the pieces now writable, in order."""
        where = f"{self.source}: " if self.source else ""
        if index < self._next or index in self._held:
            raise AssemblyError(f"{where}the response of mini-batch {index} was added twice")
        if index != self._next and len(self._held) >= self.max_pending:
            raise AssemblyError(
                f"{where}mini-batch {index} finished while {len(self._held)} responses already "
                f"wait for mini-batch {self._next} (limit {self.max_pending}); dispatch only "
                f"mini-batches for which may_dispatch() is true")
        if index != self._next:
            self._held[index] = response
            return []
        out = [assemble_piece(self.assemble_with, response)]
        self._next += 1
        while self._next in self._held:
            out.append(assemble_piece(self.assemble_with, self._held.pop(self._next)))
            self._next += 1
        return out

    def finish(self, expected: int | None = None) -> list[bytes]:
        """Check that every response arrived (``expected`` mini-batches, when given).
        Everything writable was already returned by ``add``, so this returns ``[]``; it
        raises AssemblyError naming the missing mini-batches otherwise."""
        where = f"{self.source}: " if self.source else ""
        if self._held:
            last = max(self._held)
            missing = [i for i in range(self._next, last) if i not in self._held]
            raise AssemblyError(f"{where}output incomplete: no response for mini-batch(es) "
                                f"{_ranges(missing)} while later ones arrived")
        if expected is not None and self._next != expected:
            raise AssemblyError(f"{where}output incomplete: {self._next} of {expected} "
                                f"mini-batch responses arrived")
        return []


def _ranges(indexes: list[int]) -> str:
    if len(indexes) > 5:
        return f"{', '.join(map(str, indexes[:5]))} and {len(indexes) - 5} more"
    return ", ".join(map(str, indexes))
