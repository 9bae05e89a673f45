"""Atomic writes: temporary names tell their owner and final name; a killed owner's leftovers are swept;
the writer's two digests."""

from __future__ import annotations

import hashlib
import multiprocessing
import os

import pytest

from recomart_assets.lake.atomic import (
    TEMP_PREFIX,
    Digests,
    parse_temporary_name,
    sweep_temporary_files,
    temporary_files_owned_by,
    write_bytes_atomic,
)


def _leftover(path, owner):
    """A temporary file as a writer killed (``kill -9``) before its rename leaves it: the name it
    wrote under is taken mid-write, and the file put back after the failed write cleaned it up."""
    seen = []

    def crash(_writer):
        seen.extend(p for p in path.parent.iterdir()
                    if (parsed := parse_temporary_name(p.name)) and parsed.final_name == path.name)
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError), temporary_files_owned_by(owner):
        write_bytes_atomic(path, b"data", crash)
    (temporary,) = seen
    temporary.write_bytes(b"data")


@pytest.mark.parametrize("name", ["a.csv", f"{TEMP_PREFIX}short-a.csv", f"{TEMP_PREFIX}{'0' * 32}-",
                                  f"{TEMP_PREFIX}{'0' * 32}"])
def test_names_that_are_not_temporary_names(name):
    assert parse_temporary_name(name) is None


def test_a_temporary_name_tells_its_final_name_even_with_dashes():
    parsed = parse_temporary_name(f"{TEMP_PREFIX}{'a' * 32}-x-y.csv.manifest.json")
    assert parsed.final_name == "x-y.csv.manifest.json" and parsed.owner_tag == "a" * 12


def test_write_bytes_atomic_writes_and_leaves_nothing_behind(tmp_path):
    from upath import UPath

    path = UPath(tmp_path) / "sub" / "a.csv"
    write_bytes_atomic(path, b"one")
    write_bytes_atomic(path, b"two")
    assert path.read_bytes() == b"two" and [p.name for p in path.parent.iterdir()] == ["a.csv"]


def test_only_the_owners_leftovers_are_swept(tmp_path):
    from upath import UPath

    folder = UPath(tmp_path)
    _leftover(folder / "mine.csv", owner="consumer")
    _leftover(folder / "deep" / "mine.csv", owner="consumer")
    _leftover(folder / "theirs.csv", owner="seal")
    names = sorted(p.name for p in folder.rglob(f"{TEMP_PREFIX}*"))
    owners = {parse_temporary_name(n).final_name: parse_temporary_name(n) for n in names}
    assert owners["mine.csv"].owned_by("consumer") and not owners["theirs.csv"].owned_by("consumer")
    assert sweep_temporary_files(folder, "consumer", recursive=False) == 1
    assert sweep_temporary_files(folder, "consumer") == 1
    assert [parse_temporary_name(p.name).final_name for p in folder.rglob(f"{TEMP_PREFIX}*")] == ["theirs.csv"]


def test_digests_are_those_of_the_bytes_whatever_their_sizes():
    """Large updates are hashed on the helper thread, small ones inline, in order."""
    parts = [b"x" * (3 << 20), b"small", os.urandom(2 << 20), b"", b"tail"]
    digests = Digests()
    for part in parts:
        digests.update(part)
    whole = b"".join(parts)
    assert (digests.md5, digests.sha256) == (hashlib.md5(whole).hexdigest(), hashlib.sha256(whole).hexdigest())


def test_a_forked_child_hashes_with_a_helper_thread_of_its_own():
    """The parent's helper thread does not exist in a forked child: the child must not wait for it."""
    Digests().update(b"x" * (2 << 20))  # the parent's helper is running
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        md5 = pool.apply_async(_large_md5).get(timeout=30)
    assert md5 == hashlib.md5(b"y" * (2 << 20)).hexdigest()


def _large_md5() -> str:
    digests = Digests()
    digests.update(b"y" * (2 << 20))
    return digests.md5
