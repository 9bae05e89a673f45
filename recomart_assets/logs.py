"""The package's loggers: every module logs through :func:`get_logger`, records bounded in size.

All loggers of the package live under ``recomart``; where they go is the entry points' business
(:mod:`recomart_assets.platform.logging_setup`: stderr and, when the raw zone is on a local disk, a
rotating ``raw_zone/_logs/ingestion.log``); a library import never configures logging. Inside
Dagster runs the same loggers are captured into the run's event log (``dagster.yaml`` lists
``recomart`` under ``python_logs.managed_python_loggers``) and assets also use
``context.log``; while a run captures a record, Dagster's console logger is the one that prints it
(at the level the run config sets), so a command running Dagster in-process (``recomart demo``)
prints each message once. :func:`ingestion_run` records start, success (counts, files, duration)
and failure (error, context) of each ingestion in one format.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from recomart_assets.text import excerpt

ROOT_LOGGER = "recomart"


MAX_MESSAGE_CHARS = 4000  # a log line's message; the traceback of a logged exception gets as much again


class Bounded(logging.Filter):
    """Cut a record's message and traceback to a bounded size, whatever handler prints it.

    Messages quote data (a file name, a reason, an exception's text) and data can be any size: a
    50 MB line in an error must not become a 50 MB log line. Installed on every logger of the
    package (a logger's filters see each record it creates), so the run's event log, the console
    and the file all get the same bounded record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Cut the record in place (message, then the formatted traceback) to :data:`MAX_MESSAGE_CHARS` each; never
        drops a record (always True)."""
        message = record.getMessage()
        if len(message) > MAX_MESSAGE_CHARS:
            record.msg, record.args = excerpt(message, MAX_MESSAGE_CHARS), None
        if record.exc_info and not record.exc_text:
            record.exc_text = excerpt(logging.Formatter().formatException(record.exc_info), MAX_MESSAGE_CHARS)
        return True


_BOUNDED = Bounded()


def get_logger(name: str) -> logging.Logger:
    """``recomart.<name>``: the logger every module uses (its records bounded in size)."""
    logger = logging.getLogger(f"{ROOT_LOGGER}.{name}")
    if _BOUNDED not in logger.filters:
        logger.addFilter(_BOUNDED)
    return logger


@dataclass
class IngestionRecord:
    """What an ingestion reports about itself; fill ``counts`` and ``files`` as you go."""

    name: str
    context: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


@contextmanager
def ingestion_run(name: str, logger: logging.Logger | None = None, **context: Any) -> Iterator[IngestionRecord]:
    """Log ``start``, then ``success`` with counts/files/duration or ``failure`` with the error."""
    log = logger or get_logger("ingestion")
    record = IngestionRecord(name, context)
    described = " ".join(f"{k}={v}" for k, v in context.items())
    log.info("ingestion start: %s %s", name, described)
    started = time.perf_counter()
    try:
        yield record
    except BaseException as exc:
        log.error(
            "ingestion failure: %s %s after %.2fs: %s: %s",
            name, described, time.perf_counter() - started, type(exc).__name__, exc,
        )
        raise
    counts = " ".join(f"{k}={v}" for k, v in record.counts.items())
    log.info(
        "ingestion success: %s %s %s files=%d duration=%.2fs",
        name, described, counts, len(record.files), time.perf_counter() - started,
    )
