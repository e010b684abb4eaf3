"""What orderctl reports to the operator as a one-line error, and with which exit code.

Exit codes: 0 done; 1 the answer is "no" (nothing found, read model differs); 2 orderctl could
not do what was asked (bad input, unreachable database or broker).
"""

from __future__ import annotations

NOTHING_FOUND = 1
DIFFERENT = 1
FAILED = 2


class OrderctlError(Exception):
    """An error the operator can act on; its message is printed as one line."""

    exit_code = FAILED


class BadInput(OrderctlError):
    """An unknown service, projection, topic or group, or a bad time or position."""


class Unreachable(OrderctlError):
    """A database or the broker did not answer (the message says which and where)."""


class NothingFound(OrderctlError):
    """The command looked and found nothing to show or do."""

    exit_code = NOTHING_FOUND
