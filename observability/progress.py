"""Progress of a long operator command (a rebuild, a key rotation) on its terminal or log."""

from __future__ import annotations

from typing import TextIO


class Progress:
    """A one-line progress bar on a terminal, a line per tenth elsewhere (CI logs)."""

    def __init__(self, label: str, total: int, out: TextIO) -> None:
        self._label, self._total, self._out = label, max(total, 1), out
        self._shown = -1
        self._tty = out.isatty()

    def update(self, done: int) -> None:
        percent = min(100, done * 100 // self._total)
        step = percent if self._tty else percent // 10 * 10
        if step == self._shown:
            return
        self._shown = step
        bar = "#" * (percent // 5)
        line = f"{self._label:<24} [{bar:<20}] {percent:3d}% ({done}/{self._total})"
        self._out.write(("\r" + line) if self._tty else line + "\n")
        self._out.flush()

    def close(self) -> None:
        if self._tty:
            self._out.write("\n")
