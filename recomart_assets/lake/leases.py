"""A lock on object storage: a lease object written with S3's conditional writes.

A local raw zone locks with ``flock`` (:mod:`recomart_assets.lake.locks`); S3 has no locks, but it
has conditional writes, which are enough for a lease (the pattern of DynamoDB's lock client):

* **take**: ``PUT <lock>.lease`` with ``If-None-Match: *``. Exactly one of any number of writers
  creates the object; the others get ``412 Precondition Failed``.
* **renew**: while it holds the lease, a thread of the holder rewrites the object every third of the
  lease's duration with ``If-Match: <its ETag>``; each renewal changes the content, so the ETag.
  A renewal that fails (412: someone took the lease over; 404: it was deleted) marks the lease lost.
* **stale**: a waiter never compares clocks with the holder. It notes the ETag it sees and *its
  own* monotonic time; if the same ETag is still there a whole lease duration later, the holder has
  not renewed for that long (killed, paused, cut off) and the waiter takes the lease over with
  ``PUT If-Match: <that ETag>``: of several waiters exactly one succeeds.
* **release**: ``DELETE`` with ``If-Match: <its ETag>``, so a holder that lost its lease never
  deletes its successor's.

A holder counts its lease as valid for one duration after it *sent* its last successful renewal
(a taker waits at least that long after seeing it); past that it has lost it, and leaving the lock
raises :class:`~recomart_assets.errors.LeaseLost`. A kill -9 leaves the lease object behind: the
next writer of the role waits one lease duration, then takes it over (``docs/protocol.md``).

An S3-compatible store that does not implement conditional writes answers the first ``PUT`` with
an error other than 412: :class:`~recomart_assets.errors.LockUnsupported` says so, rather than the
writer going on unserialised.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from upath import UPath

from recomart_assets.errors import LeaseLost, LockUnsupported
from recomart_assets.logs import get_logger

log = get_logger("lake.leases")

# How long a lease lasts without renewal: a killed holder delays the next writer by this much.
LEASE_SECONDS = 30.0
# How often a waiter looks at the lease object again.
POLL_SECONDS = 0.5
# Object stores whose conditional writes (If-None-Match / If-Match on PUT and DELETE) we use.
CONDITIONAL_WRITE_PROTOCOLS = {"s3", "s3a"}


def supports_leases(path: UPath) -> bool:
    """Whether ``path``'s store offers the conditional writes a lease needs (S3 and S3-compatible)."""
    return path.protocol in CONDITIONAL_WRITE_PROTOCOLS



# What S3 answers a conditional request that lost its race: 412 (s3fs makes it FileExistsError only
# for If-None-Match; for If-Match an OSError whose cause carries the code) or 409 when two
# conditional writes of one key overlap; a 404 when the object is gone.
_LOST_RACE_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"})


def lost_race(exc: BaseException) -> bool:
    """Whether ``exc`` says a conditional write or delete lost to another writer (not a store failure)."""
    if isinstance(exc, FileExistsError | FileNotFoundError):
        return True
    response = getattr(exc.__cause__, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code in _LOST_RACE_CODES

@dataclass
class Lease:
    """A lease on one object (``path``), held or waited for by this process."""

    path: UPath
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}")
    seconds: float = LEASE_SECONDS
    etag: str | None = None
    renewals: int = 0
    valid_until: float = 0.0  # monotonic
    lost: str | None = None  # why, once lost
    _stop: threading.Event = field(default_factory=threading.Event)
    _renewer: threading.Thread | None = None

    @property
    def _bucket_key(self) -> tuple[str, str]:
        bucket, _, key = self.path.path.partition("/")
        return bucket, key

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        bucket, key = self._bucket_key
        return self.path.fs.call_s3(method, Bucket=bucket, Key=key, **kwargs)

    def _body(self) -> bytes:
        return json.dumps({"owner": self.owner, "renewal": self.renewals, "lease_seconds": self.seconds,
                           "written_at": time.time()}).encode()

    def _put(self, **condition: str) -> str:
        return self._call("put_object", Body=self._body(), ContentType="application/json", **condition)["ETag"]

    def try_create(self) -> bool:
        """Take the lease if nobody holds it (``If-None-Match: *``)."""
        sent = time.monotonic()
        try:
            self.etag = self._put(IfNoneMatch="*")
        except FileExistsError:  # 412: another writer holds it
            return False
        except (OSError, NotImplementedError) as exc:
            raise LockUnsupported(
                f"{self.path}: the store refused a conditional write ({type(exc).__name__}: {exc}); a lock on "
                "this raw zone needs S3's If-None-Match/If-Match, so the writer does not run unserialised"
            ) from exc
        self.valid_until = sent + self.seconds
        return True

    def current_etag(self) -> str | None:
        """The ETag of the lease object as it is now, or None when there is none."""
        try:
            return self._call("head_object")["ETag"]
        except FileNotFoundError:
            return None

    def try_take_over(self, stale_etag: str) -> bool:
        """Take over a lease whose object still has ``stale_etag`` (``If-Match``); one waiter wins."""
        sent = time.monotonic()
        try:
            self.etag = self._put(IfMatch=stale_etag)
        except OSError as exc:
            if lost_race(exc):  # renewed, taken or released meanwhile
                return False
            raise
        self.valid_until = sent + self.seconds
        log.warning("took over the lease %s: unchanged for %.0f s (its holder died or stalled)",
                    self.path.name, self.seconds)
        return True

    def renew(self) -> bool:
        """Rewrite the lease (``If-Match`` its ETag); False, with :attr:`lost` set, when it was lost."""
        if self.lost:
            return False
        sent = time.monotonic()
        if sent >= self.valid_until:
            self.lost = f"not renewed for {self.seconds:.0f} s (another writer may have taken it over)"
            return False
        self.renewals += 1
        try:
            self.etag = self._put(IfMatch=self.etag or "")
        except OSError as exc:
            if lost_race(exc):
                self.lost = "taken over or removed by another writer"
                return False
            # the store is unreachable: keep trying until the lease runs out
            log.warning("could not renew the lease %s: %s", self.path.name, exc)
            return True
        self.valid_until = sent + self.seconds
        return True

    def acquire(self, timeout: float | None = None, poll: float = POLL_SECONDS) -> None:
        """Wait until this process holds the lease (TimeoutError after ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: tuple[str | None, float] = (None, 0.0)  # (ETag, monotonic time first seen)
        while not self.try_create():
            etag, now = self.current_etag(), time.monotonic()
            if etag is not None:
                if etag != seen[0]:
                    seen = (etag, now)
                elif now - seen[1] >= self.seconds and self.try_take_over(etag):
                    break
            if deadline is not None and now >= deadline:
                raise TimeoutError(f"the lease {self.path} is still held after {timeout:.0f} s")
            time.sleep(poll)
        self._stop.clear()
        self._renewer = threading.Thread(target=self._keep_renewing, name=f"lease-{self.path.name}", daemon=True)
        self._renewer.start()

    def _keep_renewing(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            if not self.renew():
                log.error("lost the lease %s: %s", self.path.name, self.lost)
                return

    def stop_renewing(self) -> None:
        """Stop the renewal thread (what a killed holder does; :meth:`release` also does it)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None

    def release(self) -> None:
        """Give the lease back; :class:`LeaseLost` when it was lost while held."""
        self.stop_renewing()
        if not self.lost and time.monotonic() >= self.valid_until:
            self.lost = f"not renewed for {self.seconds:.0f} s (another writer may have taken it over)"
        if not self.lost:
            try:
                self._call("delete_object", IfMatch=self.etag or "")
            except OSError as exc:
                if not lost_race(exc):
                    raise
                self.lost = "taken over or removed by another writer"
        if self.lost:
            raise LeaseLost(f"the lease {self.path} was lost while held: {self.lost}; another writer of the "
                            "same role may have run at the same time")


@contextmanager
def held_lease(path: UPath, seconds: float = LEASE_SECONDS, timeout: float | None = None) -> Iterator[Lease]:
    """Hold the lease object ``path`` for the block (waiting for it; see the module docstring)."""
    if not supports_leases(path):
        raise LockUnsupported(f"{path}: locks on '{path.protocol}://' storage are not supported (they need "
                              "conditional writes); use a local or S3 raw zone, or run one writer per role")
    lease = Lease(path, seconds=seconds)
    lease.acquire(timeout)
    try:
        yield lease
    except BaseException:
        try:
            lease.release()
        except LeaseLost as lost:
            log.error("%s", lost)
        raise
    lease.release()
