"""One logging configuration for every command, service and asset.

All loggers of the package live under ``recomart``. :func:`configure_logging` sends them to
stderr and, when the raw zone is on a local disk, to a rotating ``raw_zone/_logs/ingestion.log``.
Inside Dagster runs the same loggers are captured into the run's event log (``dagster.yaml``
lists ``recomart`` under ``python_logs.managed_python_loggers``) and assets also use
``context.log``. :func:`ingestion_run` records start, success (counts, files, duration) and
failure (error, context) of each ingestion in one format.
"""

from __future__ import annotations

import logging
import logging.handlers
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from recomart_assets.config import Settings

ROOT_LOGGER = "recomart"
INGESTION_LOG_NAME = "ingestion.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_configured_for: str | None = None


def get_logger(name: str) -> logging.Logger:
    """``recomart.<name>``: the logger every module uses."""
    return logging.getLogger(f"{ROOT_LOGGER}.{name}")


def configure_logging(settings: Settings, level: int = logging.INFO, console: bool = True) -> None:
    """Install the handlers once per raw zone (idempotent, safe to call from every entry point)."""
    global _configured_for
    from recomart_assets.lake.zone import RawZone  # the lake imports settings only; no cycle

    zone = RawZone.from_settings(settings)
    if _configured_for == str(zone.root):
        return
    logger = logging.getLogger(ROOT_LOGGER)
    for handler in list(logger.handlers):
        if getattr(handler, "_recomart", False):
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(level)
    handlers: list[logging.Handler] = []
    if console:
        handlers.append(logging.StreamHandler())
    log_file = zone.log_file(INGESTION_LOG_NAME)
    if log_file:
        handlers.append(
            logging.handlers.RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
        )
    for handler in handlers:
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._recomart = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    _configured_for = str(zone.root)


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
