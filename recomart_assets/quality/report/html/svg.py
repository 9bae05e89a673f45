"""Small inline SVG charts for the HTML report: bars, horizontal bars, a histogram and lines.

Inline SVG keeps the page one self-contained file (no script, no image request, nothing a
Content-Security-Policy of ``default-src 'none'`` blocks) and prints crisply. Every label is data
(column names, categories, device names) and is escaped here, whatever it holds; the charts return
:class:`markupsafe.Markup`, so the template inserts them as they are and escapes everything else.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 200
PALETTE = ("#5c6bc0", "#ef6c00", "#2e7d32", "#c62828", "#6d4c41", "#00838f")
LABEL_CHARS = 14


def _short(label: object, size: int = LABEL_CHARS) -> str:
    text = str(label)
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.3g}"


def _frame(body: list[str], title: str, width: int = WIDTH, height: int = HEIGHT) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>")
    return Markup(head + "".join(body) + "</svg>")


def _empty(title: str) -> Markup:
    return _frame([f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="muted">no data</text>'], title)


def _finite(values: Sequence[float | None]) -> list[float]:
    """Values to draw: a missing or non-finite one (the JSON's null for an ``inf``) draws as 0."""
    return [v if isinstance(v, int | float) and v == v and abs(v) != float("inf") else 0.0 for v in values]


def bar_chart(labels: Sequence[object], values: Sequence[float | None], title: str) -> Markup:
    """Vertical bars, one per label (categories, hours, event types), the largest value on the axis."""
    shown = _finite(values)
    if not shown:
        return _empty(title)
    left, bottom, top = 44, HEIGHT - 46, 12
    top_value = max(max(shown), 0) or 1
    step = (WIDTH - left - 8) / len(shown)
    every = 3 if len(shown) > 16 else 1
    body = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 4}" y2="{bottom}" class="axis"/>',
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" class="tick">{_number(top_value)}</text>',
            f'<text x="{left - 4}" y="{bottom}" text-anchor="end" class="tick">0</text>']
    for index, (label, value) in enumerate(zip(labels, shown, strict=False)):
        height = (bottom - top) * max(value, 0) / top_value
        x = left + index * step
        body.append(f'<rect x="{x + step * 0.1:.1f}" y="{bottom - height:.1f}" width="{step * 0.8:.1f}" '
                    f'height="{height:.1f}" fill="{PALETTE[0]}"><title>{escape(str(label))}: '
                    f"{escape(_number(value))}</title></rect>")
        if index % every == 0:
            cx, cy = x + step / 2, bottom + 10
            body.append(f'<text x="{cx:.1f}" y="{cy}" transform="rotate(35 {cx:.1f} {cy})" class="tick">'
                        f"{escape(_short(label))}</text>")
    return _frame(body, title)


def histogram_chart(edges: Sequence[float], counts: Sequence[float], title: str) -> Markup:
    """A histogram: ``counts[i]`` rows between ``edges[i]`` and ``edges[i + 1]``."""
    shown = _finite(counts)
    if not shown or len(edges) != len(shown) + 1:
        return _empty(title)
    left, bottom, top = 44, HEIGHT - 30, 12
    top_value = max(shown) or 1
    step = (WIDTH - left - 8) / len(shown)
    body = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 4}" y2="{bottom}" class="axis"/>',
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" class="tick">{_number(top_value)}</text>',
            f'<text x="{left}" y="{bottom + 14}" class="tick">{escape(_number(_finite(edges)[0]))}</text>',
            f'<text x="{WIDTH - 4}" y="{bottom + 14}" text-anchor="end" class="tick">'
            f"{escape(_number(_finite(edges)[-1]))}</text>"]
    for index, value in enumerate(shown):
        height = (bottom - top) * value / top_value
        body.append(f'<rect x="{left + index * step:.1f}" y="{bottom - height:.1f}" width="{step:.1f}" '
                    f'height="{height:.1f}" fill="{PALETTE[0]}" stroke="white" stroke-width="0.5"><title>'
                    f"{escape(_number(edges[index]))} .. {escape(_number(edges[index + 1]))}: "
                    f"{escape(_number(value))}</title></rect>")
    return _frame(body, title)


def hbar_chart(labels: Sequence[object], values: Sequence[float | None], title: str, unit: str = "",
               colours: Sequence[str] = ()) -> Markup:
    """Horizontal bars, one row per label (missing values per column, unmatched ids per check)."""
    shown = _finite(values)
    if not shown:
        return _empty(title)
    row, left = 16, 150
    height = row * len(shown) + 20
    top_value = max(max(shown), 0) or 1
    body = []
    for index, (label, value) in enumerate(zip(labels, shown, strict=False)):
        y = 6 + index * row
        length = (WIDTH - left - 60) * max(value, 0) / top_value
        colour = colours[index] if index < len(colours) else PALETTE[1]
        body += [f'<text x="{left - 4}" y="{y + 11}" text-anchor="end" class="tick">'
                 f"{escape(_short(label, 24))}<title>{escape(str(label))}</title></text>",
                 f'<rect x="{left}" y="{y + 2}" width="{length:.1f}" height="{row - 5}" fill="{escape(colour)}"/>',
                 f'<text x="{left + length + 4:.1f}" y="{y + 11}" class="tick">{escape(_number(value))}{escape(unit)}</text>']
    return _frame(body, title, height=height)


def line_chart(labels: Sequence[str], series: dict[str, Sequence[float | None]], title: str) -> Markup:
    """One line per series over the same labels (the trends over earlier partitions)."""
    if not labels or not series:
        return _empty(title)
    left, bottom, top, right = 52, HEIGHT - 40, 12, WIDTH - 90
    all_values = [v for values in series.values() for v in _finite(values)]
    top_value = max(all_values + [0]) or 1
    step = (right - left) / max(len(labels) - 1, 1)
    body = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" class="axis"/>',
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" class="tick">{_number(top_value)}</text>',
            f'<text x="{left - 4}" y="{bottom}" text-anchor="end" class="tick">0</text>']
    every = max(1, len(labels) // 8)
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1:
            body.append(f'<text x="{left + index * step:.1f}" y="{bottom + 14}" text-anchor="middle" class="tick">'
                        f"{escape(_short(label, 10))}</text>")
    for number, (name, values) in enumerate(series.items()):
        colour = PALETTE[number % len(PALETTE)]
        points = " ".join(f"{left + i * step:.1f},{bottom - (bottom - top) * v / top_value:.1f}"
                          for i, v in enumerate(_finite(values)))
        body += [f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>',
                 f'<text x="{right + 6}" y="{top + 10 + number * 13}" fill="{colour}" class="tick">'
                 f"{escape(_short(name))}</text>"]
    return _frame(body, title)
