"""Run `devhost.host.serve` in this process on a start that fails, then print, as JSON, what
the failed start left behind: open descriptors, threads, child processes, the data folder's
lock, the port. Run by test_failed_start.py in a process of its own (the app's import and its
settings must not reach the test process).

    python start_probe.py APP DATA PORT
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

from devhost.host import StartOptions, serve
from devhost.loader import load_app


def descriptors() -> set[str]:
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # the listing's own, closed by now
            found.add(f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}")
    return found


def children() -> list[int]:
    mine = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            mine.append(int(pid))
    return mine


def lock_is_free(data: Path) -> bool:
    lock = data / "host.lock"
    if not lock.exists():
        return True
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def main() -> None:
    app_dir, data, port = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    app = load_app(app_dir)
    before_fds, before_threads = descriptors(), set(threading.enumerate())
    opts = StartOptions(app_dir=app.root, port=port, host="127.0.0.1", data_dir=data)
    try:
        asyncio.run(serve(app, opts))
        error = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    deadline = time.monotonic() + 10  # threads and children told to stop are given a moment
    while time.monotonic() < deadline:
        threads = [t.name for t in threading.enumerate() if t not in before_threads]
        if not threads and not children():
            break
        time.sleep(0.05)
    print(json.dumps({"error": error, "descriptors": sorted(descriptors() - before_fds),
                      "threads": threads, "children": children(),
                      "lock_free": lock_is_free(data), "port_free": port_is_free(port)}))


if __name__ == "__main__":
    main()
