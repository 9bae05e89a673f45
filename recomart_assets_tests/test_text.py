"""Bounded quotes of input."""

from recomart_assets.text import REASON_CHARS, excerpt


def test_short_text_is_kept_and_long_text_is_cut_saying_how_long_it_was():
    assert excerpt("abc") == "abc"
    assert excerpt("x" * REASON_CHARS) == "x" * REASON_CHARS
    cut = excerpt("y" * 50_000_000)
    assert cut.startswith("y" * REASON_CHARS) and cut.endswith("(50000000 characters)") and len(cut) < REASON_CHARS + 40
