"""One logging configuration for every command, service and asset.

All loggers of the package live under ``recomart``. :func:`configure_logging` sends them to
stderr and, when the raw zone is on a local disk, to a rotating ``raw_zone/_logs/ingestion.log``.
Inside Dagster runs the same loggers are captured into the run's event log (``dagster.yaml``
lists ``recomart`` under ``python_logs.managed_python_loggers``) and assets also use
``context.log``; while a run captures a record, Dagster's console logger is the one that prints it
(at the level the run config sets), so a command running Dagster in-process (``recomart demo``)
prints each message once. :func:`ingestion_run` records start, success (counts, files, duration)
and failure (error, context) of each ingestion in one format.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from recomart_assets.config import Settings
from recomart_assets.text import excerpt

ROOT_LOGGER = "recomart"
INGESTION_LOG_NAME = "ingestion.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_configured_for: tuple[str, int, bool] | None = None
# Dagster's notices about beta/preview APIs that our definitions use on purpose. Dagster resets the
# warnings registry for every definition, so each was printed once per asset, at every command.
_DAGSTER_NOTICES = r".* is currently in (beta|preview)"


MAX_MESSAGE_CHARS = 4000  # a log line's message; the traceback of a logged exception gets as much again


class Bounded(logging.Filter):
    """Cut a record's message and traceback to a bounded size, whatever handler prints it.

    Messages quote data (a file name, a reason, an exception's text) and data can be any size: a
    50 MB line in an error must not become a 50 MB log line. Installed on every logger of the
    package (a logger's filters see each record it creates), so the run's event log, the console
    and the file all get the same bounded record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
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


def configure_logging(settings: Settings, level: int = logging.INFO, console: bool = True) -> None:
    """Install the handlers once per raw zone (idempotent, safe to call from every entry point).

    Entry points only: a library import never configures logging. The file handler keeps every
    record, also those a Dagster run captures; the console handler leaves those to Dagster.
    """
    global _configured_for
    from recomart_assets.lake.zone import RawZone  # the lake imports settings only; no cycle

    zone = RawZone.from_settings(settings)
    wanted = (str(zone.root), level, console)
    if _configured_for == wanted:
        return
    logger = logging.getLogger(ROOT_LOGGER)
    for handler in list(logger.handlers):
        if getattr(handler, "_recomart", False):
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(level)
    handlers: list[logging.Handler] = []
    if console:
        stderr = logging.StreamHandler()
        stderr.addFilter(NotCapturedByDagster())
        handlers.append(stderr)
        if not sys.warnoptions:  # a -W option or PYTHONWARNINGS wins
            warnings.filterwarnings("ignore", message=_DAGSTER_NOTICES, module=r"recomart_assets\.")
    log_file = zone.log_file(INGESTION_LOG_NAME)
    if log_file:
        handlers.append(
            logging.handlers.RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
        )
    for handler in handlers:
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._recomart = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    _configured_for = wanted


class NotCapturedByDagster(logging.Filter):
    """Pass a record unless a Dagster run is capturing it.

    During a run Dagster attaches its handler to the managed loggers; that handler sends the record
    to the run's event log and to the run's loggers, whose console logger prints it. Printing it
    here as well showed every warning twice. Dagster is looked up only when already imported, so
    the plain-Python commands never import it for this.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        log_manager = sys.modules.get("dagster._core.log_manager")
        if log_manager is None:
            return True
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(isinstance(handler, log_manager.DagsterLogHandler) for handler in logger.handlers):
                return False
            logger = logger.parent if logger.propagate else None
        return True


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
