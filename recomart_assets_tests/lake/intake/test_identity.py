"""One streaming read tells a landing file's identity, size and whether it can be text."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace

from upath import UPath

from recomart_assets.lake.intake.identity import inspect_file, inspect_stream, md5_beside
from recomart_assets.lake.records import CHUNK_BYTES


def test_facts_of_a_file(tmp_path):
    data = "id,city\n1,München\n".encode()
    (tmp_path / "a.csv").write_bytes(data)
    facts = inspect_file(tmp_path / "a.csv")
    assert facts.sha256 == hashlib.sha256(data).hexdigest() and facts.md5 == hashlib.md5(data).hexdigest()
    assert (facts.size, facts.has_nul, facts.bad_utf8_offset, facts.has_text) == (len(data), False, None, True)
    assert facts.short_id == facts.sha256[:16]


def test_nul_bytes_bad_utf8_and_blank_files():
    assert inspect_stream(io.BytesIO(b"a\x00b")).has_nul
    assert inspect_stream(io.BytesIO(b"ab\xffcd")).bad_utf8_offset == 2
    assert inspect_stream(io.BytesIO(b"ab\xc3")).bad_utf8_offset == 3  # cut in the middle of a character
    assert not inspect_stream(io.BytesIO(b" \n\n")).has_text


def test_a_bad_byte_beyond_the_first_chunk_and_the_copy():
    data = b"a" * CHUNK_BYTES + b"\xff"
    copy = io.BytesIO()
    facts = inspect_stream(io.BytesIO(data), copy_to=copy)
    assert facts.bad_utf8_offset == CHUNK_BYTES and copy.getvalue() == data


def test_an_md5_read_beside_follows_its_file_when_it_is_renamed_at_once(tmp_path):
    """The snapshot's md5 is read on another thread; a refused or duplicate snapshot is renamed right away."""
    data = b"a,b\n" * (3 << 18)
    path = tmp_path / "snapshot"
    path.write_bytes(data)
    pending = md5_beside(UPath(path))
    path.rename(tmp_path / "archived")
    assert pending.result(timeout=30) == hashlib.md5(data).hexdigest()


def test_facts_without_md5_carry_the_one_given_later(tmp_path):
    data = b"x,y\n1,2\n"
    facts = inspect_stream(io.BytesIO(data), md5=False)
    assert facts.sha256 == hashlib.sha256(data).hexdigest() and facts.md5 == ""
    (tmp_path / "f").write_bytes(data)
    later = replace(facts, md5_pending=md5_beside(UPath(tmp_path / "f")))
    assert later.md5 == hashlib.md5(data).hexdigest()
