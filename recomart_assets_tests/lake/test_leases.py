"""The lease lock on S3 (moto's server on loopback): one holder at a time, a dead holder's lease taken
over after a lease duration, a lost lease reported, stores without conditional writes refused."""

from __future__ import annotations

import threading
import time

import pytest
from upath import UPath

from recomart_assets.errors import LeaseLost, LockUnsupported
from recomart_assets.lake import RawZone
from recomart_assets.lake.leases import Lease, held_lease
from recomart_assets.lake.locks import zone_lock

pytestmark = pytest.mark.integration


@pytest.fixture
def lease_path(s3_bucket) -> UPath:
    return RawZone.at(f"s3://{s3_bucket}/lake").state_dir / "locks" / "role.lease"


def test_one_holder_at_a_time_and_the_object_is_gone_after(lease_path):
    first = Lease(lease_path, seconds=5)
    first.acquire(timeout=5)
    assert lease_path.exists()
    second = Lease(lease_path, seconds=5)
    assert not second.try_create()
    with pytest.raises(TimeoutError, match="still held"):
        second.acquire(timeout=0.5, poll=0.05)
    first.release()
    assert not lease_path.exists()
    second.acquire(timeout=5)
    second.release()


def test_a_waiter_gets_the_lease_when_the_holder_releases(lease_path):
    order: list[str] = []

    def wait_then_hold() -> None:
        with held_lease(lease_path, seconds=5):
            order.append("b")

    with held_lease(lease_path, seconds=5):
        waiter = threading.Thread(target=wait_then_hold)
        waiter.start()
        time.sleep(1.0)
        order.append("a")  # the waiter is still waiting
    waiter.join(10)
    assert order == ["a", "b"]


def test_renewals_keep_a_live_holder_s_lease_and_a_dead_one_is_taken_over(lease_path):
    # A lease of 4 s is renewed every 1.3 s, so a renewal may be late by 2.6 s (a loaded machine, a
    # slow store) before the holder counts it lost; shorter leases made this test fail under load.
    seconds = 4.0
    holder = Lease(lease_path, seconds=seconds)
    holder.acquire(timeout=5)
    taker = Lease(lease_path, seconds=seconds)
    with pytest.raises(TimeoutError):  # waits 1.5 leases: only the renewals keep the holder's
        taker.acquire(timeout=1.5 * seconds, poll=0.2)
    assert holder.renewals >= 2 and not holder.lost
    holder.stop_renewing()  # as a kill -9 would: the object stays, nobody renews it
    started = time.monotonic()
    taker.acquire(timeout=4 * seconds, poll=0.2)
    assert time.monotonic() - started >= seconds  # waited a whole lease duration after the last renewal
    with pytest.raises(LeaseLost, match="lost while held"):
        holder.release()  # the old holder learns it lost the lease, and does not delete the taker's
    assert lease_path.exists()
    taker.release()
    assert not lease_path.exists()


def test_two_waiters_on_a_dead_lease_one_takes_it(lease_path):
    dead = Lease(lease_path, seconds=0.5)
    dead.acquire(timeout=5)
    dead.stop_renewing()
    holders: list[Lease] = []
    inside = threading.Lock()
    overlaps: list[int] = []

    def contend() -> None:
        lease = Lease(lease_path, seconds=5)
        lease.acquire(timeout=20, poll=0.05)
        if not inside.acquire(blocking=False):
            overlaps.append(1)
        time.sleep(0.3)
        inside.release()
        holders.append(lease)
        lease.release()

    threads = [threading.Thread(target=contend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(holders) == 2 and overlaps == []


def test_the_zone_lock_on_s3_is_a_lease(s3_bucket):
    zone = RawZone.at(f"s3://{s3_bucket}/lake")
    with zone_lock(zone, "intake:transactions"):
        leases = list((zone.state_dir / "locks").glob("*.lease"))
        assert [p.name for p in leases] and leases[0].name.startswith("intake_transactions-")
    assert list((zone.state_dir / "locks").glob("*.lease")) == []


def test_stores_without_conditional_writes_refuse():
    with pytest.raises(LockUnsupported, match="ftp"), held_lease(UPath("ftp://127.0.0.1:1/lake/x.lease")):
        pass


def test_a_lost_if_match_race_is_told_from_a_store_failure():
    """s3fs raises a plain OSError for a failed If-Match (412) or an overlapping conditional write
    (409); only the error code in its cause tells it from an unreachable store."""
    from botocore.exceptions import ClientError

    from recomart_assets.lake.leases import lost_race

    def s3_error(code: str) -> OSError:
        error = OSError(22, "At least one of the pre-conditions you specified did not hold")
        error.__cause__ = ClientError({"Error": {"Code": code}}, "PutObject")
        return error

    assert lost_race(s3_error("PreconditionFailed")) and lost_race(s3_error("ConditionalRequestConflict"))
    assert lost_race(FileExistsError()) and lost_race(FileNotFoundError())
    assert not lost_race(s3_error("InternalError")) and not lost_race(OSError(5, "connection reset"))
