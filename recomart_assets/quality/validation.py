"""One validation per dataset and day: run an engine, persist its state, share the result.

:func:`validate` runs an engine on a dataset's partition and writes the metric state (what the
asset checks do, once per run); :func:`current` returns the state's result when it still describes
the partition and validates otherwise (what the report does, so a report after the checks
validates nothing again, and a report run on its own validates what is missing or stale). The day's
catalog and customers are read once per process for a given set of files
(:func:`~recomart_assets.quality.engines.references.load_references`).

Engines: ``duckdb`` (the default: out of core, any size) and ``pandas`` (the reference engine,
whole partition in memory); ``spark`` runs the same compiled checks on a cluster
(:mod:`recomart_assets.quality.engines.spark_engine`, the ``spark`` extra).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from recomart_assets.lake import RawZone
from recomart_assets.logs import get_logger
from recomart_assets.quality.engines import duckdb_engine, pandas_engine
from recomart_assets.quality.engines.outcome import Outcome
from recomart_assets.quality.engines.references import ReferenceData, load_references, partition_files, reference_files
from recomart_assets.quality.rules.checks import DEFAULT_FAIL_RATE
from recomart_assets.quality.states import is_fresh, read_state, state_of, write_state

log = get_logger("quality")

Engine = Callable[[RawZone, str, str, ReferenceData, float], Outcome]
ENGINES: dict[str, Engine] = {
    "duckdb": duckdb_engine.validate_partition,
    "pandas": pandas_engine.validate_partition,
}
DEFAULT_ENGINE = "duckdb"


def engine_named(name: str) -> Engine:
    """The validation engine of this name; Spark is imported only when asked for (an optional extra)."""
    if name == "spark":
        from recomart_assets.quality.engines import spark_engine  # the optional extra: imported when asked for

        return spark_engine.validate_partition
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown validation engine {name!r}: use one of {', '.join([*ENGINES, 'spark'])}") from None


def validate(zone: RawZone, dataset: str, day: date | str, *, engine: str | Engine = DEFAULT_ENGINE,
             fail_rate: float = DEFAULT_FAIL_RATE, references: ReferenceData | None = None) -> Outcome:
    """Validate ``dataset``'s partition ``day`` now and write its metric state.

    ``engine``: an engine's name, or the engine itself (a Spark job passes the Spark engine bound to
    the session ``spark-submit`` gave it)."""
    references = references or load_references(zone, day)
    run = engine_named(engine) if isinstance(engine, str) else engine
    outcome = run(zone, dataset, str(day), references, fail_rate)
    write_state(zone, state_of(outcome, references.files_json(), fail_rate))
    log.info("validated %s %s with %s: %s, %d rows", dataset, day, outcome.engine, outcome.validation.status,
             outcome.validation.row_count)
    return outcome


def current(zone: RawZone, dataset: str, day: date | str, *, engine: str = DEFAULT_ENGINE,
            fail_rate: float = DEFAULT_FAIL_RATE) -> Outcome:
    """The partition's validation: its state when fresh, else a new validation (and state)."""
    state = read_state(zone, dataset, day)
    if state is not None and is_fresh(state, partition_files(zone, dataset, day), reference_files(zone, day), fail_rate):
        return state.outcome()
    return validate(zone, dataset, day, engine=engine, fail_rate=fail_rate)
