"""One logging configuration for every command and service: set up by the entry points only.

:func:`configure_logging` sends the package's loggers (``recomart.*``, see
:mod:`recomart_assets.logs`) to stderr and, when the raw zone is on a local disk, to a rotating
``raw_zone/_logs/ingestion.log``. Inside Dagster runs the same loggers are captured into the run's
event log, so the console handler leaves the records a run captures to Dagster's console logger
(:class:`NotCapturedByDagster`): each message is printed once, and the file still gets it.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import warnings

from recomart_assets.config import Settings
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import ROOT_LOGGER

INGESTION_LOG_NAME = "ingestion.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_configured_for: tuple[str, int, bool] | None = None
# Dagster's notices about beta/preview APIs that our definitions use on purpose. Dagster resets the
# warnings registry for every definition, so each was printed once per asset, at every command.
_DAGSTER_NOTICES = r".* is currently in (beta|preview)"


def configure_logging(settings: Settings, level: int = logging.INFO, console: bool = True) -> None:
    """Install the handlers once per raw zone (idempotent, safe to call from every entry point).

    Entry points only: a library import never configures logging. The file handler keeps every
    record, also those a Dagster run captures; the console handler leaves those to Dagster.
    """
    global _configured_for
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
        """True unless a logger on the record's path carries Dagster's handler."""
        log_manager = sys.modules.get("dagster._core.log_manager")
        if log_manager is None:
            return True
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(isinstance(handler, log_manager.DagsterLogHandler) for handler in logger.handlers):
                return False
            logger = logger.parent if logger.propagate else None
        return True
