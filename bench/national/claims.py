"""Roster lines shared by several Locust processes on one machine.

With `--processes N` Locust hands each process its users in an order of its own, and not
always as many as a fixed share of the roster: slicing the roster by process index (process k
taking lines k, k + N, ...) left a line that no candidate took whenever one process got the
extra user another's slice held (session 12 and 13: 9,999 of 10,000 candidates started, and the
run's "every attempt submitted" failed for the harness's sake). A counter in a file, under an
exclusive lock, gives every candidate the next line whichever process it runs in.
"""

from __future__ import annotations

import fcntl
import os


def claim(path: str) -> int:
    """The next line's number (0 first), counted in the file at `path` (made on first use)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when the file is closed
        taken = int(os.read(fd, 32) or b"0")
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, str(taken + 1).encode())
        return taken
    finally:
        os.close(fd)
