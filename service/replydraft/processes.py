"""Whether another process on this machine is still running (for leftovers of crashed work)."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True unless no process with ``pid`` exists (one we may not signal still counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
