"""Is the clickstream consumer keeping up? One judgement from the members' progress files.

The Dagster sensor, its asset check and ``recomart dev``'s console line all call
:func:`judge_health`, so they always agree. A member *counts* while its file is fresh: not marked
stopped and updated within ``stall_seconds`` (a running member rewrites it every few seconds, so a
member killed with ``kill -9`` or hung drops out after that long). Per Kafka partition the
freshest counting report wins (during a rebalance two members may both have listed it). Then:

* ``absent``: no member counts: nobody consumes, whatever the log holds;
* ``stalled``: a counting member has lag and its committed offsets have not moved for longer than
  ``stall_seconds`` (stuck on a full disk, a poisoned partition, a halted log);
* ``healthy``: otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from recomart_assets.sources.clickstream.progress import ConsumerProgress, PartitionProgress


class HealthState(StrEnum):
    """The three answers of :func:`judge_health`."""

    HEALTHY = "healthy"
    STALLED = "stalled"
    ABSENT = "absent"


@dataclass(frozen=True)
class ConsumerHealth:
    """The group's state with the figures behind it (totals over the partitions of counting members)."""

    state: HealthState
    description: str
    consumers: int
    consumer_lag: int
    high_watermark_total: int
    committed_total: int
    events_per_second: float
    quarantined_total: int
    partitions: tuple[PartitionProgress, ...] = ()
    stalled_members: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        """Whether the consumers keep up (the check passes)."""
        return self.state is HealthState.HEALTHY

    def metrics(self) -> dict[str, int | float]:
        """The plottable numbers (what the sensor records as observation metadata)."""
        return {"consumer_lag": self.consumer_lag, "high_watermark_total": self.high_watermark_total,
                "committed_offset_total": self.committed_total,
                "events_per_second": round(float(self.events_per_second), 1),
                "quarantined_total": self.quarantined_total, "consumers": self.consumers}

    def console_line(self) -> str:
        """One line for a terminal: ``consumer healthy: lag 0, watermark 3000, 812 events/s, 1 member``."""
        return (f"consumer {self.state}: lag {self.consumer_lag}, watermark {self.high_watermark_total},"
                f" {self.events_per_second:.0f} events/s, {self.quarantined_total} quarantined,"
                f" {self.consumers} member{'s' if self.consumers != 1 else ''}")


def _age(now: datetime, then: datetime) -> float:
    return (now - then).total_seconds()


def judge_health(records: Iterable[ConsumerProgress], now: datetime, stall_seconds: float) -> ConsumerHealth:
    """Judge the group from its members' last reports at ``now`` (see the module doc)."""
    records = list(records)
    live = [r for r in records if r.stopped_at is None and _age(now, r.updated_at) <= stall_seconds]
    owner: dict[int, tuple[ConsumerProgress, PartitionProgress]] = {}
    for record in sorted(live, key=lambda r: r.updated_at):  # the freshest report of a partition wins
        for partition in record.partitions:
            owner[partition.partition] = (record, partition)
    partitions = tuple(owner[p][1] for p in sorted(owner))
    lag = sum(p.lag or 0 for p in partitions)
    rate = float(sum(r.events_per_second for r in live))

    def verdict(state: HealthState, description: str, stalled: tuple[str, ...] = ()) -> ConsumerHealth:
        return ConsumerHealth(
            state, description, consumers=len(live), consumer_lag=lag,
            high_watermark_total=sum(p.high_watermark or 0 for p in partitions),
            committed_total=sum(p.committed_offset or 0 for p in partitions), events_per_second=rate,
            quarantined_total=sum(r.quarantined for r in live), partitions=partitions, stalled_members=stalled)

    if not live:
        if records:
            last = max(records, key=lambda r: r.updated_at)
            how = "stopped" if last.stopped_at is not None else "last reported"
            detail = (f"; the last member ({last.member_id}) {how} {_age(now, last.updated_at):.0f}s ago"
                      f" with lag {last.lag}")
        else:
            detail = "; none has reported since the progress files began"
        return verdict(HealthState.ABSENT, f"no clickstream consumer has reported in the last {stall_seconds:.0f}s{detail}")
    stalled = []
    for record in live:
        mine = [p for rec, p in owner.values() if rec is record]
        member_lag = sum(p.lag or 0 for p in mine)
        quiet = _age(now, record.last_progress_at)
        if member_lag > 0 and quiet > stall_seconds:
            stalled.append(f"{record.member_id} (lag {member_lag} on partitions"
                           f" {','.join(str(p.partition) for p in mine if p.lag)}, no progress for {quiet:.0f}s)")
    if stalled:
        return verdict(HealthState.STALLED, f"consumer stalled: {'; '.join(stalled)}", tuple(stalled))
    return verdict(HealthState.HEALTHY, f"{len(live)} consumer(s) keeping up: lag {lag}, {rate:.0f} events/s")
