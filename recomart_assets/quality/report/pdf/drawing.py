"""Drawing helpers every page of the PDF report uses: status colours, axes titles, clipped text and
fast tables.

Public so that each page module (:mod:`.document`, :mod:`.what_changed`) draws with the same
helpers without importing another page module.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from recomart_assets.quality.report.pdf.pages import A4_PORTRAIT, STYLE

STATUS_COLOURS = {"pass": "#2e7d32", "warn": "#f9a825", "fail": "#c62828", "missing": "#757575"}
LIGHT = {"pass": "#e8f5e9", "warn": "#fff8e1", "fail": "#ffebee", "missing": "#eeeeee"}
MAX_TABLE_ROWS = 18
CHAR_WIDTH_PT = 4.2  # a character of the 7 pt table text, what a column's width holds
MONO_FONT = "DejaVu Sans Mono"  # shipped with matplotlib: tables look the same on every machine
MONO_ADVANCE = 1233 / 2048  # its advance width (every glyph, bold too), in em
TABLE_FONT_PT = 7
TABLE_ROW_PT = 15



def axes_title(ax, text: str, **props) -> None:
    """An axes title at a fixed place above its top left corner: ``Axes.set_title`` re-measures
    every tick label to place it at each draw, the largest part of drawing a page here."""
    props.setdefault("fontsize", STYLE["axes.titlesize"])
    ax.text(0, 1.02, text, transform=ax.transAxes, ha="left", va="bottom", **props)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with ``...`` where it was cut."""
    text = str(text)
    if len(text) <= width:
        return text
    shortened = textwrap.shorten(text, width=width, placeholder="...")
    # A single long word (a metric name, a row of samples without spaces) is cut, not dropped.
    return shortened if len(shortened) > width // 2 else text[: max(width - 3, 1)] + "..."


def table(fig: Figure, rect: Sequence[float], header: list[str], rows: list[list[str]],
           widths: list[float], status_col: int | None = None, title: str = "") -> None:
    """A table at the top of ``rect`` (figure fractions); long tables are cut with a note of what was
    left out. Each row is one line of monospaced text, its columns padded to their widths (the
    header a text per column), over one collection of grid lines and the few coloured cells:
    matplotlib's ``Table`` draws a patch and a text per cell, 40% of the time of drawing a report."""
    left, top = rect[0], rect[1] + rect[3]
    if title:
        fig.text(left, top + 0.02 * rect[3], title, ha="left", va="bottom", fontsize=STYLE["axes.titlesize"],
                 weight="bold")
    # A column holds this many characters at 7 pt: longer text (samples of whole rows) is clipped
    # inside its cell, one character short of it, instead of running over the next column.
    fits = [max(4, int(w * rect[2] * A4_PORTRAIT[0] * 72 / CHAR_WIDTH_PT)) for w in widths]
    shown = [[clip(text, fits[i] - 1) if i < len(fits) else text for i, text in enumerate(row)]
             for row in rows[:MAX_TABLE_ROWS]]
    if not shown:
        fig.text(left, top, "none", va="top", color="#555555")
        return
    lines = ["".join(text.ljust(fits[i]) for i, text in enumerate(row)) for row in shown]
    if len(rows) > MAX_TABLE_ROWS:
        lines.append(f"... {len(rows) - MAX_TABLE_ROWS} more rows in the JSON report")
    char, height = MONO_ADVANCE * TABLE_FONT_PT / (A4_PORTRAIT[0] * 72), TABLE_ROW_PT / (A4_PORTRAIT[1] * 72)
    pad = 2 / (A4_PORTRAIT[0] * 72)
    edges = [left + pad + char * sum(fits[:i]) for i in range(len(fits) + 1)]  # where each column's text starts
    # a column's lines sit in the middle of the character left free before the next column
    lines_x = [left, *(x - char / 2 for x in edges[1:-1]), edges[-1]]
    right, bottom = edges[-1], top - height * (len(lines) + 1)
    cells = [Rectangle((left, top - height), right - left, height, facecolor="#e0e0e0")]
    if status_col is not None:
        cells += [Rectangle((lines_x[status_col], top - height * (index + 2)),
                            lines_x[status_col + 1] - lines_x[status_col], height, facecolor=LIGHT[row[status_col]])
                  for index, row in enumerate(shown) if row[status_col] in LIGHT]
    fig.add_artist(PatchCollection(cells, match_original=True, edgecolor="none", transform=fig.transFigure))
    grid = [[(left, top - height * k), (right, top - height * k)] for k in range(len(lines) + 2)]
    grid += [[(x, top), (x, bottom + (height if len(rows) > MAX_TABLE_ROWS else 0))]
             for x in lines_x]
    fig.add_artist(LineCollection(grid, colors="#cccccc", linewidths=0.8, transform=fig.transFigure))
    for x, name in zip(edges, header, strict=False):  # headers in the text font: a column's name fits its width
        fig.text(x, top - height / 2, name, va="center", ha="left", fontsize=6.5, weight="bold")
    for index, line in enumerate(lines, start=1):
        fig.text(left + pad, top - height * (index + 0.5), line, va="center", ha="left", fontsize=TABLE_FONT_PT,
                 family=MONO_FONT)
