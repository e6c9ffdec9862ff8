"""Log lines for every process (web, worker, cron, supervisor): an ISO timestamp, and no secrets or residents' words.

A URL's query string carries Open311's `api_key` and the console's search values (residents' addresses), and
uvicorn's access log prints whole request targets, so every value after a `?` is replaced by `[redacted]` (the keys
stay, to show which parameters came), as is any password in a URL. The formatter works on the finished line,
traceback included, so no logger and no argument type can slip past it.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import re
import sys

from settings import redact as redact_password

REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The loggers whose INFO lines are worth keeping; the rest (httpx, twilio, sqlalchemy...) log warnings only.
INFO_LOGGERS = ("onecall", "uvicorn", "rq")

_QUERY = re.compile(r"\?([^\s\"'<>#]*)")
_PARAM = re.compile(r"([^&=;]*)(=?)([^&;]*)")


def redact(line: str) -> str:
    """The line with every query-string value (and any URL password) replaced by [redacted]."""
    return _QUERY.sub(_redact_query, redact_password(line))


def _redact_query(match: re.Match) -> str:
    return "?" + _PARAM.sub(_redact_param, match.group(1))


def _redact_param(match: re.Match) -> str:
    key, equals, value = match.groups()
    if not key and not value:
        return ""  # the empty match between separators
    if not equals:
        return REDACTED  # a bare `?words` has no key of ours: all of it is a value
    return f"{key}={REDACTED}"


class RedactingFormatter(logging.Formatter):
    """One line per record: UTC ISO timestamp, level, logger, message, all of it redacted."""

    def __init__(self) -> None:
        super().__init__(FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        """The record's own wall-clock time (not the app's injected clock, which tests and replays pin)."""
        return dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        """The formatted line, traceback included, redacted."""
        return redact(super().format(record))


_QUIET_PATHS: set[str] = set()  # paths a page polls every second or so, registered by the module that routes them


def quiet_access(path: str) -> None:
    """Leave successful requests to a path ending in `path` out of the access log: a page's routine polling would
    bury the lines people watch (the development outbox, restarts)."""
    _QUIET_PATHS.add(path)


_QUIET_JOBS: set[str] = set()  # what rq's lines say of a job run every second or so, registered by its module
_JOB_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{32}\b")


def quiet_job(fn) -> None:
    """Leave rq's routine lines (queued, started, done, kept) about a job run every second out of the log; a failure
    is still logged."""
    _QUIET_JOBS.update({f"{fn.__module__}.{fn.__qualname__}", f"Enqueued job {fn.__name__} to queue"})


class RoutinePolls(logging.Filter):
    """Drops uvicorn's access line for a successful request to a quiet path, and rq's routine lines about a quiet
    job; failures are still logged."""

    def __init__(self) -> None:
        super().__init__()
        self._quiet_ids: collections.deque[str] = collections.deque(maxlen=64)  # recent runs of quiet jobs

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("rq.") and record.levelno <= logging.INFO and _QUIET_JOBS:
            return not self._routine_job(record.getMessage())
        if record.name != "uvicorn.access" or not isinstance(record.args, tuple) or len(record.args) < 5:
            return True
        path, status = str(record.args[2]).split("?", 1)[0], record.args[4]
        return not (isinstance(status, int) and status < 400 and path.endswith(tuple(_QUIET_PATHS)))

    def _routine_job(self, message: str) -> bool:
        if any(name in message for name in _QUIET_JOBS):
            self._quiet_ids.extend(_JOB_ID.findall(message))  # its later lines name only its id
            return True
        return any(job_id in message for job_id in _JOB_ID.findall(message) if job_id in self._quiet_ids)


def configure(stream=None) -> logging.Handler:
    """Send every logger's lines through one redacting, timestamped handler on stderr (once per process)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler.formatter, RedactingFormatter):
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter())
    handler.addFilter(RoutinePolls())
    root.addHandler(handler)  # rq and uvicorn add no handler of their own when the root already has one
    root.setLevel(logging.WARNING)
    for name in INFO_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    for logger in _ours_and_below():
        # A library's own set-up (uvicorn's dictConfig) may have given it handlers or cut it off: one path for all.
        logger.handlers.clear()
        logger.propagate, logger.disabled = True, False
        if logger.name not in INFO_LOGGERS:
            logger.setLevel(logging.NOTSET)
    return handler


def _ours_and_below() -> list[logging.Logger]:
    """The loggers named in INFO_LOGGERS and every one below them that exists yet."""
    names = [name for name in list(logging.root.manager.loggerDict)
             if any(name == top or name.startswith(top + ".") for top in INFO_LOGGERS)]
    return [logging.getLogger(name) for name in names]
