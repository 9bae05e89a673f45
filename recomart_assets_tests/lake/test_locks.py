"""The zone lock and the exclusive writer: one live writer per role, a killed one's temporaries removed."""

from __future__ import annotations

import subprocess
import sys
import threading

from upath import UPath

from recomart_assets.lake import RawZone, write_bytes_atomic
from recomart_assets.lake.atomic import TEMP_PREFIX, temporary_files_owned_by
from recomart_assets.lake.locks import exclusive_writer, lock_file_name, zone_lock

_HOLD = """
import sys, time
from upath import UPath
from recomart_assets.lake import RawZone
from recomart_assets.lake.locks import zone_lock
with zone_lock(RawZone(UPath(sys.argv[1])), "role"):
    print("held", flush=True)
    time.sleep(60)
"""


def _zone(tmp_path) -> RawZone:
    zone = RawZone(UPath(tmp_path / "raw_zone"))
    zone.create_tree()
    return zone


def _leave_temporary(folder: UPath, role: str) -> str:
    """What a writer of ``role`` killed after its bytes were durable leaves: a tagged temporary file."""
    folder.mkdir(parents=True, exist_ok=True)
    with temporary_files_owned_by(role):
        from recomart_assets.lake.atomic import _temporary_name
        name = _temporary_name("data.csv")
    (folder / name).write_bytes(b"half")
    return name


def test_the_next_writer_of_a_role_removes_only_that_roles_leftovers(tmp_path):
    zone = _zone(tmp_path)
    mine = _leave_temporary(zone.root / "catalog" / "2026-03-04", "frames:catalog")
    in_root = _leave_temporary(zone.root, "frames:catalog")
    theirs = _leave_temporary(zone.root / "catalog" / "2026-03-04", "intake:transactions")
    with exclusive_writer(zone, "frames:catalog", [zone.root / "catalog"], shallow=[zone.root]):
        write_bytes_atomic(zone.root / "catalog" / "2026-03-04" / "new.csv", b"a\n")
    left = sorted(p.name for p in UPath(zone.root).rglob(f"{TEMP_PREFIX}*"))
    assert left == [theirs] and mine not in left and in_root not in left


def test_the_lock_is_reentrant_in_a_thread_and_excludes_other_threads(tmp_path):
    zone = _zone(tmp_path)
    order: list[str] = []
    with zone_lock(zone, "role") as outer:
        with zone_lock(zone, "role") as inner:
            assert outer and not inner
        other = threading.Thread(target=lambda: (zone_lock(zone, "role").__enter__(), order.append("other")))
        other.start()
        other.join(0.3)
        order.append("first done")
    other.join(5)
    assert order == ["first done", "other"]


def test_another_process_holding_the_lock_blocks_and_its_death_releases_it(tmp_path):
    zone = _zone(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(zone.root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        lock = zone.state_dir / "locks" / lock_file_name("role")
        probe = [sys.executable, "-c", "import fcntl,sys; f=open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX|fcntl.LOCK_NB)",
                 str(lock)]
        assert subprocess.run(probe, capture_output=True).returncode != 0  # held by the other process
        holder.kill()  # kill -9: the kernel drops the lock with its holder
        holder.wait(10)
        with zone_lock(zone, "role"):
            pass
    finally:
        holder.kill()
        holder.wait(10)


def test_lock_file_names_never_leave_the_locks_folder():
    for role in ("../../etc/passwd", "a/b", "x" * 500, "ünï cödé"):
        name = lock_file_name(role)
        assert "/" not in name and len(name) < 120 and name.endswith(".lock")
    assert lock_file_name("a/b") != lock_file_name("a_b")
