"""What the intake tells its callers: one :class:`FileOutcome` per landing entry, a :class:`PassResult`
per pass over the landing folder (the CLI prints them, the assets turn them into metadata)."""

from __future__ import annotations

from dataclasses import dataclass, field

from recomart_assets.lake.intake.names import REPLACE_SUFFIX, printable, version_name


@dataclass
class FileOutcome:
    """What one landing file became."""

    name: str
    status: str  # ingested | quarantined | duplicate | refused | missing | failed
    sha256: str | None = None
    partitions: dict[str, int] = field(default_factory=dict)  # day -> records placed
    rejected_rows: int = 0
    reason: str | None = None
    stored_as: str | None = None  # path relative to the raw zone
    outputs: list[str] = field(default_factory=list)  # partition and reject files, relative to the raw zone
    previous_version: str | None = None  # sha256 of the earlier file under the same name
    repeated_ids: int | None = None  # distinct key values the previous version had too
    replaced_partitions: list[str] = field(default_factory=list)  # days whose previous-version rows it replaced

    @property
    def records(self) -> int:
        """Records placed into partitions (rejected ones not counted)."""
        return sum(self.partitions.values())

    def version_note(self, key_column: str | None) -> str | None:
        """One sentence on how this file relates to the previous one under its name (None if first)."""
        if not self.previous_version:
            return None
        note = f"{printable(self.name)} is a new version (previous {self.previous_version[:16]})"
        if self.replaced_partitions:
            return f"{note}: replaced its rows in {', '.join(self.replaced_partitions)}"
        if self.repeated_ids:
            again = printable(version_name(self.name)[0] + REPLACE_SUFFIX)
            return (f"{note}: {self.repeated_ids} {key_column or 'id'} value(s) repeat it, both kept "
                    f"(drop the file as {again} to replace the previous rows instead)")
        return note


@dataclass
class PassResult:
    """One pass over the landing folder: every entry's outcome, and the files still being written."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still being written when the pass gave up waiting

    def count(self, status: str) -> int:
        """How many entries ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def partitions(self) -> dict[str, int]:
        """Records placed per day by the ingested files of the pass, days in order."""
        totals: dict[str, int] = {}
        for outcome in self.outcomes:
            if outcome.status == "ingested":
                for day, n in outcome.partitions.items():
                    totals[day] = totals.get(day, 0) + n
        return dict(sorted(totals.items()))
