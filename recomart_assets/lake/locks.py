"""One writer at a time per role: the zone lock, and the clean-up of a killed predecessor's leftovers.

Every writer of the raw zone that another process may run at the same time (two landing passes,
two seals of a day, a master sync from the CLI beside one from a run, two reports of a day) holds
the lock of its role while it writes (``docs/protocol.md``, "who runs beside whom"). Holding it
also makes the writer the only one of its role that can be alive, so it may remove the temporary
files a killed run of the same role left: its atomic writes are tagged with the role
(:func:`~recomart_assets.lake.atomic.temporary_files_owned_by`), and :func:`exclusive_writer`
sweeps that role's tagged files from the folders it writes before it starts.

The lock is an ``flock`` on a file under ``_state/locks/`` of a local raw zone: the kernel drops it
when its holder dies, so a kill -9 never leaves a stale lock. On S3 it is a lease object beside
it, ``_state/locks/<name>.lease``, taken and renewed with conditional writes
(:mod:`recomart_assets.lake.leases`); a killed holder's lease is taken over once it has not been
renewed for a lease duration. A ``memory://`` zone lives in one process, where the thread lock is
the lock. Any other store refuses (:class:`~recomart_assets.errors.LockUnsupported`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from upath import UPath

from recomart_assets.lake.atomic import sweep_temporary_files, temporary_files_owned_by
from recomart_assets.lake.leases import held_lease
from recomart_assets.lake.zone import RawZone
from recomart_assets.logs import get_logger

log = get_logger("lake.locks")

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def lock_file_name(role: str) -> str:
    """A file name for ``role`` that no role text can turn into a path (a hash keeps distinct roles apart)."""
    return f"{_UNSAFE.sub('_', role)[:80]}-{hashlib.sha256(role.encode()).hexdigest()[:8]}.lock"


_guards: dict[str, threading.RLock] = {}  # role -> the lock of this process's threads
_depth: dict[str, int] = {}  # role -> how deeply this process holds it (0: not at all)
_guards_lock = threading.Lock()


@contextmanager
def zone_lock(zone: RawZone, role: str) -> Iterator[bool]:
    """Hold the raw zone's lock of ``role`` (blocking until its holder is done or dead); yields
    whether this is the outermost hold. Re-entrant within a thread (the report holds its day's lock
    and writes states that the checks, run alone, write under the same lock); other threads and
    processes wait."""
    with _guards_lock:
        guard = _guards.setdefault(f"{zone.root}|{role}", threading.RLock())
    with guard:
        key = f"{zone.root}|{role}"
        outermost = _depth.get(key, 0) == 0
        _depth[key] = _depth.get(key, 0) + 1
        try:
            if not outermost or zone.root.protocol == "memory":
                yield outermost
                return
            folder = zone.state_dir / "locks"
            if not zone.is_local:
                with held_lease(folder / (lock_file_name(role) + ".lease")):
                    yield outermost
                return
            folder.mkdir(parents=True, exist_ok=True)
            with open(os.path.join(folder.path, lock_file_name(role)), "w") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield outermost
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            _depth[key] -= 1


@contextmanager
def exclusive_writer(zone: RawZone, role: str, folders: Iterable[UPath], shallow: Iterable[UPath] = ()
                     ) -> Iterator[None]:
    """Write as the only live writer of ``role``: hold its lock, tag its temporary files with it, and
    first (at the outermost hold) remove the ones a killed writer of ``role`` left in ``folders``
    (and their sub-folders) and in ``shallow`` (those folders only, e.g. the zone's root for the
    latest copies)."""
    with zone_lock(zone, role) as outermost, temporary_files_owned_by(role):
        if outermost:
            removed = sum(sweep_temporary_files(folder, role) for folder in folders)
            removed += sum(sweep_temporary_files(folder, role, recursive=False) for folder in shallow)
            if removed:
                log.info("removed %d temporary file(s) left by an interrupted %s", removed, role)
        yield
