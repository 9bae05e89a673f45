"""The pages drawn on two cores make the same document as one process drawing them all, and a
worker that dies or hangs costs time, never a page."""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import time
from functools import partial

import pypdf
import pytest

from recomart_assets.quality.report.pdf import pages as pdf_pages
from recomart_assets.quality.report.pdf.pages import ReportWriter, fit_text, render, text_width_pt

PARENT = os.getpid()


def page(writer: ReportWriter, title: str, in_worker: str = "", here: str = "") -> None:
    if os.getpid() == PARENT and here == "raise":
        raise ValueError(f"a bug drawing {title}")
    if os.getpid() != PARENT and in_worker == "die":
        os._exit(3)
    if os.getpid() != PARENT and in_worker == "hang":
        time.sleep(60)
    fig = writer.new_page(title, f"pid-independent subtitle of {title}")
    fig.text(0.1, 0.5, f"body of {title}")
    writer.save(fig)


def pages_of(data: bytes) -> list[tuple[str, str]]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    found = []
    for sheet in reader.pages:
        text = sheet.extract_text()
        found.append((re.search(r"body of (\w+)", text).group(1), re.search(r"page \d+", text).group(0)))
    return found


TITLES = ["cover", "changes", "metrics", "charts", "integrity"]
EXPECTED = [(title, f"page {n}") for n, title in enumerate(TITLES, start=1)]
METADATA = {"/Title": "a report"}


def test_two_processes_make_the_same_pages_in_order(monkeypatch):
    both = render([partial(page, title=t) for t in TITLES], "2026-01-05", METADATA)
    monkeypatch.setattr(pdf_pages, "_second_core", lambda: False)
    alone = render([partial(page, title=t) for t in TITLES], "2026-01-05", METADATA)
    assert pages_of(both) == pages_of(alone) == EXPECTED
    assert pypdf.PdfReader(io.BytesIO(both)).metadata.title == "a report"


@pytest.mark.parametrize("trouble", ["die", "hang"])
def test_a_worker_that_dies_or_hangs_leaves_no_page_out(monkeypatch, trouble):
    if not pdf_pages._second_core():
        pytest.skip("one core or no fork here: no worker to fail")
    monkeypatch.setattr(pdf_pages, "WORKER_DEADLINE_S", 2)
    started = time.monotonic()
    # page 2 is the worker's (it draws every other page): it dies or hangs there, and only there
    pages = [partial(page, title=t, in_worker=trouble if t == "changes" else "") for t in TITLES]
    assert pages_of(render(pages, "2026-01-05", METADATA)) == EXPECTED
    assert time.monotonic() - started < 30


def test_a_page_that_fails_here_raises_and_leaves_no_worker_behind():
    pages = [partial(page, title=t, here="raise" if t == "metrics" else "") for t in TITLES]
    with pytest.raises(ValueError, match="a bug drawing metrics"):
        render(pages, "2026-01-05", METADATA)
    assert not [p for p in multiprocessing.active_children() if p.name == "recomart-pdf-pages"]


def test_fit_text_keeps_short_text_shrinks_then_wraps_long_text():
    width = 300.0
    assert fit_text("short", 9, width, 7) == ("short", 9)
    slightly = "word " * 13
    text, size = fit_text(slightly, 9, width, 7)
    assert text == slightly and 7 <= size < 9 and text_width_pt(text, size) <= width
    long = "anomalies not judged yet on " + ", ".join(["product_catalog"] * 20) + " " + "x" * 120
    text, size = fit_text(long, 9, width, 7)
    assert size == 7 and len(text.split("\n")) > 2
    assert all(text_width_pt(line, 7) <= width for line in text.split("\n"))
    assert "".join(text.split()) == "".join(long.split())  # every character kept, only line breaks added
