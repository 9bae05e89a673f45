"""A data file rewritten in place (a latest CSV, a quarantine file, a partition rewritten by a rerun)
never shows its new bytes under its old manifest: between the rename and the new manifest the file
has no manifest (incomplete: readers skip it, ``verify`` says missing-manifest), unless the old
manifest already describes the new bytes exactly; a crash in that window is cleared by the rerun."""

from __future__ import annotations

import pytest

from recomart_assets.lake import manifest as manifest_module
from recomart_assets.lake import open_data_file, read_manifest, verify_tree, write_data_file
from recomart_assets.lake.readers import complete_files
from recomart_assets.lake.verify import MISSING_MANIFEST

OLD = b"product_id,name\nP1,old\n"
NEW = b"product_id,name\nP1,new\nP2,more\n"


class Crash(BaseException):
    """Stands in for the process dying between the rename and the manifest."""


def write_latest(zone, data: bytes, streaming: bool = False) -> None:
    path = zone.root / "recomart_product_catalog.csv"
    args = dict(dataset="product_catalog", partition=None, fmt="csv", source={"type": "test"},
                columns=["product_id", "name"])
    if streaming:
        with open_data_file(path, **args) as out:
            out.write(data, records=data.count(b"\n") - 1)
    else:
        write_data_file(path, data, record_count=data.count(b"\n") - 1, **args)


def seen_between_rename_and_manifest(zone, monkeypatch, data: bytes, streaming: bool) -> list:
    """What verify and readers see at the instant the new bytes are in place and the manifest is not."""
    real = manifest_module._finish
    seen: list = []

    def look_first(path, writer, **kwargs):
        assert path.read_bytes() == data  # the new bytes are in place
        seen.append((verify_tree(zone.root).problems, list(complete_files(zone.root, "*.csv"))))
        return real(path, writer, **kwargs)

    monkeypatch.setattr(manifest_module, "_finish", look_first)
    write_latest(zone, data, streaming)
    monkeypatch.undo()
    return seen


@pytest.mark.parametrize("streaming", [False, True], ids=["write_data_file", "open_data_file"])
def test_new_bytes_never_appear_under_the_old_manifest(zone, monkeypatch, streaming):
    write_latest(zone, OLD)
    [(problems, readable)] = seen_between_rename_and_manifest(zone, monkeypatch, NEW, streaming)
    assert [p.kind for p in problems] == [MISSING_MANIFEST]  # incomplete, never a checksum mismatch
    assert readable == []  # readers skip it
    assert verify_tree(zone.root).ok


def test_identical_bytes_rewritten_keep_a_valid_manifest_throughout(zone, monkeypatch):
    write_latest(zone, OLD)
    [(problems, readable)] = seen_between_rename_and_manifest(zone, monkeypatch, OLD, streaming=False)
    assert problems == [] and len(readable) == 1  # a rerun writing the same bytes never hides the file


def test_a_crash_before_the_new_manifest_leaves_an_incomplete_file_that_the_rerun_clears(zone, monkeypatch):
    write_latest(zone, OLD)
    monkeypatch.setattr(manifest_module, "_finish", lambda *args, **kwargs: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        write_latest(zone, NEW)
    monkeypatch.undo()
    assert read_manifest(zone.root / "recomart_product_catalog.csv") is None
    assert [p.kind for p in verify_tree(zone.root).problems] == [MISSING_MANIFEST]
    write_latest(zone, NEW)
    assert verify_tree(zone.root).ok
    assert read_manifest(zone.root / "recomart_product_catalog.csv").record_count == 2
