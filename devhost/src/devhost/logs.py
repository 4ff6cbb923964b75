"""devhost's log lines: on stderr, a worker's marked with its name, the host's keys masked."""

from __future__ import annotations

import logging
import os
import sys

from devhost.durable.replay import ReplayLogFilter
from devhost.keys import HostKeys

MASK = "***"


class MaskingFormatter(logging.Formatter):
    """The log format, with the host's keys masked wherever a record carries one.

    devhost logs no key of its own accord; this catches the ones it cannot foresee: an app's own
    log line, an exception's text (the durable client binding an app receives holds a key).
    """

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self.hidden: tuple[str, ...] = ()

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.hidden:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def setup_logging(process: str = "") -> None:
    """Log lines on stderr; a worker's carry its name (`worker-1`), as they share the output."""
    handler = logging.StreamHandler(sys.stderr)
    where = f" {process}" if process else ""
    handler.setFormatter(MaskingFormatter(f"%(asctime)s{where} %(levelname)s %(name)s "
                                          "%(message)s"))
    handler.addFilter(ReplayLogFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level() or "INFO")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def hide_in_logs(keys: HostKeys) -> None:
    """Mask the host's keys, from now on, in every line the handler of `setup_logging` writes."""
    secrets = tuple(k for k in (keys.function_key, keys.master_key, *keys.system_keys.values())
                    if k)
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, MaskingFormatter):
            handler.formatter.hidden = secrets


def log_level() -> str | None:
    """`DEVHOST_LOG_LEVEL` (environment or local.settings.json), or None when it is no level."""
    level = os.environ.get("DEVHOST_LOG_LEVEL", "INFO").strip().upper()
    return level if level in logging.getLevelNamesMapping() else None
