"""A report's pages drawn on two cores and joined into one PDF.

Drawing a page with matplotlib is single-threaded Python (0.1-0.3 s a page), a report has a
dozen pages, and once the checks have run that drawing is the largest fixed cost of a daily
report. The pages are independent figures, so a forked worker draws every other page while this
process draws the rest, and pypdf joins the two parts in page order (each part embeds its own
font subsets, so the text stays extractable). With one core, without ``fork``, inside a daemonic
process, or when the worker fails or misses its deadline, this process draws every page itself:
the PDF is the same either way.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: no display in assets, tests or CI

from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402
from pypdf import PdfReader, PdfWriter  # noqa: E402

from recomart_assets.logs import get_logger  # noqa: E402

A4_PORTRAIT = (8.27, 11.69)
STYLE: dict[RcKeyType, Any] = {"pdf.fonttype": 3, "font.size": 8, "axes.titlesize": 9, "axes.spines.top": False, "axes.spines.right": False}
# The worker's part of a report takes a second or two; past this, this process draws it instead.
WORKER_DEADLINE_S = 120

log = get_logger("quality")


class ReportWriter:
    """Adds numbered A4 pages with a common header and footer to a PdfPages file."""

    def __init__(self, pdf: PdfPages, partition: str):
        self.pdf = pdf
        self.partition = partition
        self.page = 0

    def new_page(self, title: str, subtitle: str = "") -> Figure:
        """A new numbered A4 page with title, subtitle, footer; the caller draws on it, then :meth:`save`."""
        fig = Figure(figsize=A4_PORTRAIT)  # no pyplot: nothing global to register and close
        self.page += 1
        fig.text(0.06, 0.965, title, fontsize=15, weight="bold", va="top")
        if subtitle:
            fig.text(0.06, 0.935, subtitle, fontsize=9, color="#444444", va="top")
        fig.text(0.06, 0.02, f"RecoMart data quality report - partition {self.partition}", fontsize=7, color="#777777")
        fig.text(0.94, 0.02, f"page {self.page}", fontsize=7, color="#777777", ha="right")
        return fig

    def save(self, fig: Figure) -> None:
        """Appends the page to the PDF."""
        self.pdf.savefig(fig)


# Draws exactly one page (``writer.new_page`` ... ``writer.save``).
Page = Callable[[ReportWriter], None]


def draw(pages: Sequence[Page], numbers: Sequence[int], partition: str) -> bytes:
    """A PDF of the pages with these (1-based) numbers, each numbered as in the whole report."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE), PdfPages(buffer) as pdf:
        writer = ReportWriter(pdf, partition)
        for number in numbers:
            writer.page = number - 1
            pages[number - 1](writer)
    return buffer.getvalue()


def _worker(connection, pages: Sequence[Page], numbers: Sequence[int], partition: str) -> None:
    try:
        connection.send_bytes(draw(pages, numbers, partition))
    finally:
        connection.close()


def _second_core() -> bool:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return (cores > 1 and "fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


def render(pages: Sequence[Page], partition: str, metadata: dict[str, str]) -> bytes:
    """The whole PDF: ``pages`` in order, with the document ``metadata`` (pypdf's ``/Title`` ... keys)."""
    numbers = list(range(1, len(pages) + 1))
    parts: dict[tuple[int, ...], bytes] = {}
    theirs: list[int] = numbers[1::2] if len(pages) > 1 and _second_core() else []
    mine = [n for n in numbers if n not in theirs]
    process: BaseProcess | None = None
    receive: Connection | None = None
    if theirs:
        context = multiprocessing.get_context("fork")  # the pages are inherited, nothing is pickled
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(send, pages, theirs, partition), daemon=True,
                                  name="recomart-pdf-pages")
        try:
            process.start()
        except OSError as error:  # no process to spare: draw them all here
            log.warning("no PDF page worker (%s): drawing every page here", error)
            receive.close()
            process, mine = None, numbers
        finally:
            send.close()
    try:
        parts[tuple(mine)] = draw(pages, mine, partition)
        if process is not None and receive is not None:
            parts[tuple(theirs)] = _received(receive, process, lambda: draw(pages, theirs, partition))
    finally:  # the worker never outlives the report, whatever failed
        if process is not None and receive is not None:
            receive.close()
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
    return _joined(parts, len(pages), metadata)


def _received(receive, process, draw_here: Callable[[], bytes]) -> bytes:
    """The worker's part, or the same pages drawn here if it died or missed its deadline."""
    try:
        if not receive.poll(WORKER_DEADLINE_S):
            raise TimeoutError(f"no pages after {WORKER_DEADLINE_S} s")
        return receive.recv_bytes()
    except (EOFError, OSError, TimeoutError) as error:
        log.warning("the PDF page worker failed (%s): drawing its pages here", error or type(error).__name__)
        process.kill()
        return draw_here()


def _joined(parts: dict[tuple[int, ...], bytes], count: int, metadata: dict[str, str]) -> bytes:
    where = {}
    for numbers, data in parts.items():
        reader = PdfReader(io.BytesIO(data))
        where.update({number: reader.pages[index] for index, number in enumerate(numbers)})
    writer = PdfWriter()
    for number in range(1, count + 1):
        writer.add_page(where[number])
    writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
