"""The landing intake engine: every file-based source's drops, taken in exactly once.

A source supplies a :class:`LandingSource` (its dataset, header contract, file names and a
*splitter* that places a chunk's records per day[, hour] or rejects them with a reason); the
engine does the rest, the same for every source, so a hardening reaches them all. Its modules,
in the order a file meets them (``docs/protocol.md``, "Landing intake", has the steps):

* :mod:`.contract` what a source supplies; :mod:`.names` which landing names are taken, refused
  or ignored; :mod:`.scan` what the landing folder holds (only looks);
* :mod:`.identity` a file *is* its content sha256; :mod:`.snapshot` the private copy the pass
  reads instead of the landing file, and the claim that lets the landing entry go last;
* :mod:`.plan` the in-flight marker and the ledger entry it becomes; :mod:`.state` how those and
  the version index are stored under ``_state/<dataset>/`` (typed, versioned) and the intake lock;
* :mod:`.guards` whole-file problems; :mod:`.split` partition and reject files named by the sha256;
  :mod:`.versions` a new version of a name, and corrections (``<name>.replace``);
* :mod:`.ingest` the protocol's steps for one content; :mod:`.recover` finishing what a crash
  interrupted; :mod:`.passes` the entry points (:func:`ingest_file`, :func:`run_pass`);
  :mod:`.run_plans` what a sensor decides (:func:`plan_runs`, writes nothing); :mod:`.rederive`
  backfills from the archive.

This package root is the public face (pinned by ``recomart_assets_tests/lake/intake/test_public_api.py``):
what sources, Dagster definitions, commands and benchmarks use. The modules' other names are the
engine's own.
"""

from recomart_assets.lake.intake.contract import (
    ChunkSplit,
    EventTimeWindow,
    Header,
    HeaderContract,
    LandingSource,
    PartitionKey,
    Placed,
    Rejection,
    Splitter,
    grouped_lines,
    whole_lines,
)
from recomart_assets.lake.intake.names import safe_name, storable
from recomart_assets.lake.intake.outcome import FileOutcome, PassResult
from recomart_assets.lake.intake.passes import WAIT_MARGIN_SECONDS, ingest_file, run_pass
from recomart_assets.lake.intake.plan import LedgerEntry, ledger_entry
from recomart_assets.lake.intake.rederive import rederive_partitions
from recomart_assets.lake.intake.run_plans import RunPlan, plan_runs
from recomart_assets.lake.intake.scan import DEFAULT_SETTLE_SECONDS
from recomart_assets.lake.intake.state import latest_version

__all__ = [
    "DEFAULT_SETTLE_SECONDS",
    "WAIT_MARGIN_SECONDS",
    "ChunkSplit",
    "EventTimeWindow",
    "FileOutcome",
    "Header",
    "HeaderContract",
    "LandingSource",
    "LedgerEntry",
    "PartitionKey",
    "PassResult",
    "Placed",
    "Rejection",
    "RunPlan",
    "Splitter",
    "ingest_file",
    "latest_version",
    "ledger_entry",
    "plan_runs",
    "rederive_partitions",
    "run_pass",
    "safe_name",
    "grouped_lines",
    "storable",
    "whole_lines",
]
