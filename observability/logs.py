"""Structured JSON log lines that carry the correlation id, instance id and order id.

``get_logger(name)`` returns an adapter over the standard logger, so the host keeps its own
handlers (devhost prints ``time level logger <message>``; in Azure the worker forwards records to
Application Insights) and existing ``log.warning("...%s", x, exc_info=True)`` calls keep working.
The message becomes one JSON object: ``event``, ``message``, the bound context (see
``correlation.bind``), the call's ``fields``, and a scrubbed ``error`` instead of a multi-line
traceback. A line whose fields fail the redaction guard is not written; a ``log.refused``
warning naming the offending fields (never their values) is written instead.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from typing import Any

from observability import correlation
from observability.redaction import SensitiveFieldError, check_fields, scrub

_LOG_KWARGS = ("exc_info", "stack_info", "stacklevel", "extra")


def _error_text(exc_info: Any) -> str | None:
    if not exc_info:
        return None
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if not isinstance(exc_info, tuple) or exc_info[0] is None:
        return None
    return scrub("".join(traceback.format_exception(*exc_info)).rstrip())


def render(event: str, message: str, fields: Mapping[str, Any],
           error: str | None = None) -> str:
    """The JSON text of one line; raises ``SensitiveFieldError`` for a refused field."""
    check_fields(fields)
    record: dict[str, Any] = {"event": event, "message": scrub(message)}
    record.update(correlation.current())
    record.update(fields)
    if error:
        record["error"] = error
    return json.dumps(record, default=str, separators=(", ", ": "))


class StructuredLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """``log.info(msg, *args, event=..., **fields)``; see the module docstring."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        passed = {k: kwargs.pop(k) for k in _LOG_KWARGS if k in kwargs}
        event = str(kwargs.pop("event", "log"))
        text = str(msg) % args if args else str(msg)
        try:
            line = render(event, text, kwargs, _error_text(passed.pop("exc_info", None)))
        except SensitiveFieldError as refused:
            level = max(level, logging.WARNING)
            line = render("log.refused", f"a {event} line was refused", {
                "refusedFields": refused.paths})
        self.logger.log(level, line, **passed)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        return msg, kwargs

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.log(logging.DEBUG, msg, *args, **kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.log(logging.INFO, msg, *args, **kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.log(logging.WARNING, msg, *args, **kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.log(logging.ERROR, msg, *args, **kwargs)

    def exception(self, msg: object, *args: object, exc_info: Any = True,
                  **kwargs: Any) -> None:
        self.log(logging.ERROR, msg, *args, exc_info=exc_info, **kwargs)

    def critical(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.log(logging.CRITICAL, msg, *args, **kwargs)


def get_logger(name: str) -> StructuredLogger:
    return StructuredLogger(logging.getLogger(name))
