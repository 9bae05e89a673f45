"""Fixtures for the transactions tests."""

from __future__ import annotations

import pytest

from recomart_assets.sources import transaction_csv as tcsv


@pytest.fixture
def small_chunks(monkeypatch):
    """Read landing files in small chunks so every test file spans several of them."""
    monkeypatch.setattr(tcsv, "CHUNK_BYTES", 512)
