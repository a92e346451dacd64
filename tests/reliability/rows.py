"""Every row of the fault matrix, in the order of the table."""

from __future__ import annotations

from tests.reliability import rows_container, rows_input, rows_invocation, rows_requests, rows_stop, rows_storage

ROWS = [*rows_container.ROWS, *rows_invocation.ROWS, *rows_input.ROWS, *rows_requests.ROWS, *rows_storage.ROWS,
        *rows_stop.ROWS]
