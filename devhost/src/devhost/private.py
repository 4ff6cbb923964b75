"""The data folder is its user's alone: the folder 0700, every file devhost keeps in it 0600.

It holds the keys, the token-signing secret and the store (every instance's inputs, outputs and
entity state), so nothing in it is readable by other users, whatever the umask. Each module
creates its own files through these helpers; a file or folder found with looser permissions
(made by an older devhost, or by hand) is tightened rather than refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "open_private", "private_dir", "tighten"]

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> None:
    """Create the folder 0700 (its missing parents as the umask says), or tighten it to 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tighten(path)


def tighten(path: Path | str) -> None:
    """Make an existing file 0600, a folder 0700, if group or others have any permission.

    A missing path is left missing; group and others are never given anything.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if not st.st_mode & 0o077:
        return
    os.chmod(path, PRIVATE_DIR if stat.S_ISDIR(st.st_mode) else PRIVATE_FILE)


def open_private(path: Path | str) -> int:
    """Open a file read-write, creating it 0600 if missing, tightening it to 0600 if others may
    read it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        tighten(path)
    except BaseException:
        os.close(fd)
        raise
    return fd
