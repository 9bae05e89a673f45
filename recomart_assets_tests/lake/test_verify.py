"""``verify`` names each kind of damage (flipped byte, truncation, missing manifest, wrong count) and
every hostile entry (links, FIFOs, sockets, unreadable files, malformed manifests) in one run."""

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.lake import Problem, RawZone, manifest_path, verify_tree, write_data_file
from recomart_assets.lake.verify import MAX_MANIFEST_BYTES

CSV = b"id,v\n1,a\n2,b\n3,c\n"


def _populate(zone: RawZone):
    folder = zone.partition_dir("transactions", "2026-11-02")
    paths = {}
    for name in ("flip", "trunc", "count", "ok"):
        paths[name] = folder / f"{name}.csv"
        write_data_file(paths[name], CSV, dataset="transactions", partition="2026-11-02", record_count=3,
                        fmt="csv", source={})
    return folder, paths


def test_clean_zone_passes(zone: RawZone):
    _populate(zone)
    (zone.landing / "incoming.csv").write_bytes(b"not checked: inputs have no manifest")
    result = verify_tree(zone.root)
    assert result.ok and result.checked == 4


def test_each_problem_is_named(zone: RawZone):
    folder, paths = _populate(zone)
    data = bytearray(paths["flip"].read_bytes())
    data[7] ^= 0x01
    paths["flip"].write_bytes(bytes(data))
    paths["trunc"].write_bytes(CSV[:-4])
    manifest = json.loads(manifest_path(paths["count"]).read_bytes())
    manifest["record_count"] = 4
    manifest_path(paths["count"]).write_text(json.dumps(manifest))
    (folder / "stray.csv").write_bytes(CSV)
    manifest_path(folder / "gone.csv").write_text(manifest_path(paths["ok"]).read_text())

    kinds = {(p.kind, p.path.rsplit("/", 1)[-1]) for p in verify_tree(zone.root).problems}
    assert kinds == {
        ("md5", "flip.csv"),
        ("size", "trunc.csv"),
        ("record-count", "count.csv"),
        ("missing-manifest", "stray.csv"),
        ("orphan-manifest", "gone.csv.manifest"),
    }


def test_cli_exit_codes(zone: RawZone):
    folder, paths = _populate(zone)
    runner = CliRunner()
    env = {"RECOMART_RAW_ZONE": str(zone.root)}
    ok = runner.invoke(main, ["verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "4 data files" in ok.output
    paths["ok"].write_bytes(CSV + b"4,d\n")
    bad = runner.invoke(main, ["verify", str(folder)], env=env)
    assert bad.exit_code == 1
    assert "ok.csv" in bad.output and "size" in bad.output


def test_temporary_leftovers_of_a_killed_writer_are_not_problems(zone: RawZone):
    folder, paths = _populate(zone)
    (folder / ".tmp-0123abcd-ok.csv").write_bytes(CSV[:5])
    (folder / ".tmp-4567ef01-ok.csv.manifest").write_bytes(b"{")
    assert verify_tree(zone.root).ok


# --- Hostile trees: every entry below is a real file, folder, link, FIFO or socket. ---------------

AS_ROOT = os.geteuid() == 0  # root reads a chmod 000 file: that case is then tested another way


def _good(folder, name: str, data: bytes = CSV, records: int = 3):
    path = folder / name
    write_data_file(path, data, dataset="transactions", partition="2026-11-02", record_count=records, fmt="csv",
                    source={})
    return path


def _manifest_of(folder, name: str) -> dict:
    return json.loads(manifest_path(_good(folder, name)).read_bytes())


def _fifo(folder):
    os.mkfifo(folder / "pipe.csv")
    manifest_path(folder / "pipe.csv").write_text(json.dumps({**_manifest_of(folder, "x.csv"), "file": "pipe.csv"}))
    os.remove(folder / "x.csv.manifest")
    os.remove(folder / "x.csv")
    good = _good(folder, "piped.csv")
    os.remove(manifest_path(good))
    os.mkfifo(manifest_path(good))
    return {("not-regular-file", "pipe.csv", "FIFO"), ("not-regular-file", "piped.csv.manifest", "FIFO")}


def _socket(folder):
    with contextlib.chdir(folder), socket.socket(socket.AF_UNIX) as sock:
        sock.bind("s.csv")  # relative: a tmp path may be longer than a socket address allows
    return {("not-regular-file", "s.csv", "socket")}


def _links(folder):
    outside = folder.parent.parent.parent / "outside"  # beside the raw zone
    outside.mkdir()
    (outside / "hidden_damage.csv").write_bytes(CSV)  # no manifest: reported only if the link were followed
    os.symlink(outside, folder / "linked_dir")
    os.symlink(folder / "linked_dir", folder / "loop")
    os.symlink("nowhere.csv", folder / "dangling.csv")
    target = _good(folder, "target.csv")
    os.symlink(target, folder / "alias.csv")
    linked = _good(folder, "linked_manifest.csv")
    os.replace(manifest_path(linked), outside / "real.manifest")
    os.symlink(outside / "real.manifest", manifest_path(linked))
    return {
        ("link", "linked_dir", "to a folder"),
        ("link", "loop", "to a folder"),
        ("link", "dangling.csv", "dangling"),
        ("link", "alias.csv", "to a file"),
        ("link", "linked_manifest.csv.manifest", "to a file"),
    }


def _unreadable(folder):
    locked = _good(folder, "locked.csv")
    os.chmod(locked, 0)
    sealed = folder / "sealed"
    sealed.mkdir()
    _good(sealed, "inside.csv")
    os.chmod(sealed, 0)
    if AS_ROOT:
        return set()
    return {("unreadable", "locked.csv", "Permission denied"), ("unreadable", "sealed", "Permission denied")}


def _bad_manifests(folder):
    manifest_path(_good(folder, "array.csv")).write_bytes(b"[1, 2, 3]")
    manifest_path(_good(folder, "string.csv")).write_bytes(b'"just text"')
    cut = manifest_path(_good(folder, "cut.csv"))
    cut.write_bytes(cut.read_bytes()[:40])
    manifest_path(_good(folder, "empty.csv")).write_bytes(b"")
    manifest_path(_good(folder, "latin1.csv")).write_bytes(b'{"file": "\xe9"}')
    types = manifest_path(_good(folder, "types.csv"))
    types.write_text(json.dumps({**json.loads(types.read_bytes()), "record_count": "3", "bytes": True}))
    fields = manifest_path(_good(folder, "fields.csv"))
    fields.write_text(json.dumps({k: v for k, v in json.loads(fields.read_bytes()).items()
                                  if k not in ("md5", "created_at")}))
    manifest_path(_good(folder, "huge.csv")).write_bytes(b" " * (MAX_MANIFEST_BYTES + 1))
    other = manifest_path(_good(folder, "renamed.csv"))
    other.write_text(json.dumps({**json.loads(other.read_bytes()), "file": "original.csv"}))
    return {
        ("manifest-not-object", "array.csv.manifest", "a JSON array"),
        ("manifest-not-object", "string.csv.manifest", "a JSON string"),
        ("manifest-not-json", "cut.csv.manifest", "not valid JSON"),
        ("manifest-not-json", "empty.csv.manifest", "not valid JSON"),
        ("manifest-not-json", "latin1.csv.manifest", "not valid JSON"),
        ("manifest-wrong-type", "types.csv.manifest", "record_count"),
        ("manifest-missing-field", "fields.csv.manifest", "missing md5, created_at"),
        ("manifest-too-large", "huge.csv.manifest", "not a manifest"),
        ("file-name", "renamed.csv.manifest", "original.csv"),
    }


def _mismatches(folder):
    flip = _good(folder, "flip.csv")
    data = bytearray(flip.read_bytes())
    data[7] ^= 0x01
    flip.write_bytes(bytes(data))
    _good(folder, "trunc.csv").write_bytes(CSV[:-4])
    count = manifest_path(_good(folder, "count.csv"))
    count.write_text(json.dumps({**json.loads(count.read_bytes()), "record_count": 4}))
    (folder / "stray.csv").write_bytes(CSV)
    manifest_path(folder / "gone.csv").write_text(manifest_path(_good(folder, "ok.csv")).read_text())
    return {
        ("md5", "flip.csv", "md5"),
        ("size", "trunc.csv", "bytes"),
        ("record-count", "count.csv", "3 records, manifest says 4"),
        ("missing-manifest", "stray.csv", "without a manifest"),
        ("orphan-manifest", "gone.csv.manifest", "without its data file"),
    }


def _valid_but_unusual(folder):
    # Another tool's manifest: the contract's fields only, no manifest_version, no format.
    data = b"id,note\n1,plain\n2,\"a quoted, multi-line\nnote\"\n"
    contract = {"file": "tool.csv", "dataset": "transactions", "partition": "2026-11-02", "record_count": 2,
                "bytes": len(data), "md5": hashlib.md5(data).hexdigest(), "created_at": "2026-11-02T10:00:00Z",
                "source": {"tool": "other"}}
    (folder / "tool.csv").write_bytes(data)
    manifest_path(folder / "tool.csv").write_text(json.dumps(contract))
    # One field far beyond the csv module's default limit of 128 KB.
    _good(folder, "wide.csv", b"id,blob\n1," + b"x" * 300_000 + b"\n2,y\n", records=2)
    return set()


CASES = {
    "fifo": _fifo, "socket": _socket, "links": _links, "unreadable": _unreadable, "bad_manifests": _bad_manifests,
    "mismatches": _mismatches, "valid_but_unusual": _valid_but_unusual,
}


def _found(problems) -> set[tuple[str, str]]:
    return {(p.kind, p.path.rsplit("/", 1)[-1]) for p in problems}


def _assert_named(problems, expected) -> None:
    assert _found(problems) == {(kind, name) for kind, name, _ in expected}
    details = {(p.kind, p.path.rsplit("/", 1)[-1]): p.detail for p in problems}
    for kind, name, words in expected:
        assert words in details[kind, name], (kind, name, details[kind, name])


@pytest.fixture
def hostile_folder(zone):
    folder = zone.partition_dir("transactions", "2026-11-02")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    for path in (folder / "locked.csv", folder / "sealed"):  # let pytest clean up
        if path.exists():
            os.chmod(path, 0o700)


@pytest.mark.timeout(20)  # a FIFO that was opened would block here for good
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_hostile_entry_is_named_without_opening_or_following_it(zone, hostile_folder, case):
    expected = CASES[case](hostile_folder)
    _assert_named(verify_tree(zone.root).problems, expected)


@pytest.mark.timeout(20)
def test_unreadable_file_is_named_even_as_root(zone, hostile_folder, monkeypatch):
    # Root reads a chmod 000 file, so the permission error is raised where the open happens.
    locked = str(_good(hostile_folder, "locked.csv"))
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    _assert_named(verify_tree(zone.root).problems, {("unreadable", "locked.csv", "Permission denied")})


@pytest.mark.timeout(60)
def test_one_run_of_the_command_names_every_problem_of_the_tree(zone, hostile_folder):
    expected = set().union(*(build(hostile_folder) for build in CASES.values()))
    recomart = os.path.join(os.path.dirname(sys.executable), "recomart")
    result = subprocess.run(
        [recomart, "verify"], env={**os.environ, "RECOMART_RAW_ZONE": str(zone.root)}, capture_output=True,
        text=True, timeout=50, check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    problems = [Problem(*reversed_split(line)) for line in result.stdout.splitlines()[:-1]]
    _assert_named(problems, expected)
    assert f"{len(expected)} problem(s)" in result.stdout.splitlines()[-1]
    assert "hidden_damage" not in result.stdout  # behind a link: never looked at


def reversed_split(line: str) -> tuple[str, str, str]:
    """``kind: path: detail`` -> (path, kind, detail), as :class:`Problem` takes them."""
    kind, path, detail = line.split(": ", 2)
    return path, kind, detail


def test_a_root_that_is_not_a_folder_is_a_clear_error(zone):
    file = zone.root / "README.txt"
    file.write_text("not a folder")
    for root, message in ((file, "not a folder"), (zone.root / "nothing", "no such folder")):
        result = CliRunner().invoke(main, ["verify", str(root)])
        assert result.exit_code == 1 and message in result.output, result.output
