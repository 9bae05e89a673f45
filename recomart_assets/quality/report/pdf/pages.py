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
import math
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
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402
from pypdf import PdfReader, PdfWriter  # noqa: E402

from recomart_assets.logs import get_logger  # noqa: E402

A4_PORTRAIT = (8.27, 11.69)
# ``text.parse_math`` off: every string drawn is data or built from data (a column named "$price$"
# stays that text, never mathtext, and an unbalanced "$" never makes a page fail).
STYLE: dict[RcKeyType, Any] = {"pdf.fonttype": 3, "font.size": 8, "axes.titlesize": 9, "axes.spines.top": False,
                               "axes.spines.right": False, "text.parse_math": False}
MARGIN = 0.06  # left and right margin of every page's text, as a fraction of its width
SUBTITLE_PT, SUBTITLE_MIN_PT = 9.0, 7.0
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
        fig.text(MARGIN, 0.965, title, fontsize=15, weight="bold", va="top")
        if subtitle:
            text, size = fit_text(subtitle, SUBTITLE_PT, (1 - 2 * MARGIN) * A4_PORTRAIT[0] * 72, SUBTITLE_MIN_PT)
            fig.text(MARGIN, 0.935, text, fontsize=size, color="#444444", va="top", linespacing=1.1)
        fig.text(0.06, 0.02, f"RecoMart data quality report - partition {self.partition}", fontsize=7, color="#777777")
        fig.text(0.94, 0.02, f"page {self.page}", fontsize=7, color="#777777", ha="right")
        return fig

    def save(self, fig: Figure) -> None:
        """Appends the page to the PDF."""
        self.pdf.savefig(fig)


def text_width_pt(text: str, size: float) -> float:
    """The width in points of one line of ``text`` in the default font at ``size`` points (as drawn)."""
    return TextToPath().get_text_width_height_descent(text, FontProperties(size=size), ismath=False)[0]


def fit_text(text: str, size: float, width_pt: float, min_size: float) -> tuple[str, float]:
    """``text`` fitted to ``width_pt``: at ``size`` if it fits, else at the size that fits it on one line
    down to ``min_size``, else wrapped at ``min_size`` (word by word, a word longer than the line cut
    into pieces). Returns the text (lines joined by newlines) and its font size."""
    width = text_width_pt(text, size)
    if width <= width_pt:
        return text, size
    if width * min_size / size <= width_pt:
        return text, math.floor(size * width_pt / width * 10) / 10
    lines: list[str] = []
    for word in text.split(" "):
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and text_width_pt(candidate, min_size) <= width_pt:
            lines[-1] = candidate
            continue
        while text_width_pt(word, min_size) > width_pt:  # a word wider than the line: cut it
            cut = next(n for n in range(len(word), 0, -1) if text_width_pt(word[:n], min_size) <= width_pt or n == 1)
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return "\n".join(lines), min_size


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
