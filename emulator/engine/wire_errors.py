"""What went wrong on the wire to a model server, in plain words.

urllib3 describes a failed connection with nested reprs
(``HTTPConnectionPool(host='127.0.0.1', port=8080): Max retries exceeded with url: ...
(Caused by NewConnectionError(...))``): accurate, but not something a FailureReason
should carry. ``describe`` walks the exception's chain for the root cause (refused,
reset, closed, broken off, timed out) and says it the way a user thinks of it.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator

import urllib3.exceptions

_SEEN_LIMIT = 20  # exception chains are short; this only guards against a cycle


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and the exceptions carried in its arguments."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending and len(seen) < _SEEN_LIMIT:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)  # urllib3's MaxRetryError keeps it here
        if isinstance(reason, BaseException):
            pending.append(reason)
        pending.extend(a for a in current.args if isinstance(a, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)


def describe(exc: BaseException) -> str:
    """A short, repr-free sentence for a failed request to a model server."""
    chain = list(_chain(exc))

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(e, kinds) for e in chain)

    if has(ConnectionRefusedError):
        return "the connection was refused: nothing listens on the model server's port (has it exited?)"
    if has(urllib3.exceptions.NewConnectionError):  # a ConnectTimeoutError too, for urllib3's compatibility
        return "could not connect to the model server"
    if has(urllib3.exceptions.TimeoutError, socket.timeout, TimeoutError):
        return "the model server did not answer in time"
    if has(http.client.IncompleteRead, urllib3.exceptions.IncompleteRead):
        return "the answer broke off before its end: the model server closed the connection mid-answer"
    if has(ConnectionResetError):
        return "the model server reset the connection"
    if has(http.client.RemoteDisconnected):
        return "the model server closed the connection without answering"
    if has(BrokenPipeError):
        return "the model server closed the connection while the mini-batch was being sent"
    if has(urllib3.exceptions.ProtocolError):
        return "the connection to the model server broke"
    if has(urllib3.exceptions.HTTPError, OSError):
        return "could not talk to the model server"
    return f"the request failed ({exc.__class__.__name__})"
