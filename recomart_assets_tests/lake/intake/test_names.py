"""Landing names: what is refused, how a name is written down, and which names are versions."""

from __future__ import annotations

import pytest

from recomart_assets.errors import UnsafeName
from recomart_assets.lake.intake.names import (
    is_ignored,
    landing_path,
    log_name,
    name_key,
    name_problem,
    safe_name,
    storable,
    version_name,
    zone_relative,
)
from recomart_assets.sources.transactions import LANDING


def test_refused_names_say_why():
    assert name_problem("drop 2026 München.csv") is None
    assert name_problem("a\nb.csv") == "file name 'a\\nb.csv' contains control character U+000A"
    assert "line separator U+2028" in name_problem("a\u2028b.csv")
    assert "byte that is not UTF-8 U+DCFF" in name_problem("a\udcffb.csv")


def test_safe_names_keep_letters_of_any_script_and_are_bounded():
    assert safe_name("drop 1/ü.csv") == "drop_1_ü.csv"
    assert safe_name("...") == "unnamed"
    assert len(safe_name("é" * 400).encode()) <= 150


def test_names_for_messages_and_logs():
    assert storable("a\udcffb") == "a\\xffb"
    assert log_name("plain-name_1.csv") == "plain-name_1.csv"
    assert log_name("two words.csv") == "'two words.csv'"


def test_versions_ignored_names_and_keys():
    assert version_name("drop.csv.replace") == ("drop.csv", True)
    assert version_name(".replace") == (".replace", False)
    assert version_name("drop.csv") == ("drop.csv", False)
    assert is_ignored(".hidden.csv") and is_ignored("big.CSV.PART") and not is_ignored("drop.csv")
    assert name_key("drop.csv") == name_key("drop.csv") != name_key("drop2.csv")
    assert len(name_key("a\udcff")) == 16


def test_zone_relative(zone):
    assert zone_relative(zone, zone.landing / "drop.csv") == "landing/drop.csv"


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "a\x00b", "/etc/passwd"])
def test_landing_path_refuses_names_that_escape(name, zone):
    with pytest.raises(UnsafeName):
        landing_path(LANDING, zone, name)


def test_landing_path_of_an_accepted_name(zone):
    assert landing_path(LANDING, zone, "drop 1.csv") == LANDING.landing_dir(zone) / "drop 1.csv"
