"""One streaming read tells a landing file's identity, size and whether it can be text."""

from __future__ import annotations

import hashlib
import io

from recomart_assets.lake.intake.identity import inspect_file, inspect_stream
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
