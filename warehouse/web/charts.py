"""Small server-side SVG charts: lines over years and horizontal bars.

Text is left to the browser's fonts (Chinese included); no script, no external asset.
"""

from __future__ import annotations

import math
from html import escape

from .. import chartrules as rules

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
W, H = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 190, 40, 36


def _fmt(v: float, percent: bool) -> str:
    if percent:
        return f"{v * 100:.0f}%"
    if abs(v) >= 10_000:
        return f"{v / 10_000:.1f}万" if abs(v) < 1e8 else f"{v / 1e8:.1f}亿"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def _fit(text: str, width: float, size: float = 12) -> str:
    """The text cut with an ellipsis to about ``width`` pixels (CJK characters count full width)."""
    used, out = 0.0, list[str]()
    for ch in text:
        w = size if "\u2e80" <= ch <= "\uffef" else size * 0.62
        if used + w > width:
            return "".join(out).rstrip() + "…"
        used += w
        out.append(ch)
    return text


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values from lo to at least hi."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    return [first + i * step for i in range(int(math.ceil((hi - first) / step - 1e-9)) + 1)]


def _head(title: str, note: str | None, width: int, height: float, x: float) -> str:
    """The opening of a chart: its title and, below it, a smaller note (what the data covers)."""
    label = f"{title} — {note}" if note else title
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<text x="{x}" y="16" class="chart-title">{escape(title)}</text>'
        + (
            f'<text x="{x}" y="30" class="chart-note" font-size="10" fill="#666">{escape(_fit(note, width - x - 8, 10))}</text>'
            if note
            else ""
        )
    )


def mask_rates(points: list[tuple[int, float | None]], denominators: list) -> list[tuple[int, float | None]]:
    """(year, rate) points with the rate left out (a gap) where its denominator is below the minimum n."""
    return [(x, y if rules.rate_ok(d) else None) for (x, y), d in zip(points, denominators)]


def line_chart(
    title: str, series: dict[str, list[tuple[int, float | None]]], percent: bool = False, note: str | None = None
) -> str:
    """Lines of (year, value) per series; None values leave a gap. An empty chart says so. ``note`` goes
    under the title (what the data covers, the minimum n of a rate)."""
    points = [(x, y) for pts in series.values() for x, y in pts if y is not None]
    head = _head(title, note, W, H, LEFT)
    if not points:
        return head + f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" class="chart-empty">—</text></svg>'
    xs = sorted({x for x, _ in points})
    lo = min(0.0, min(y for _, y in points))
    hi = max(y for _, y in points)
    if percent:
        hi = max(hi, 0.01)
    ticks = _ticks(lo, hi)
    top_v = max(ticks[-1], hi) or 1
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x):
        return LEFT + (pw / 2 if len(xs) == 1 else pw * xs.index(x) / (len(xs) - 1))

    def py(y):
        return TOP + ph - ph * (y - lo) / ((top_v - lo) or 1)

    parts = [head]
    for tv in ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{py(tv):.1f}" y2="{py(tv):.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{py(tv) + 4:.1f}" text-anchor="end" class="tick">{escape(_fmt(tv, percent))}</text>'
        )
    for x in xs:
        parts.append(f'<text x="{px(x):.1f}" y="{H - BOTTOM + 18}" text-anchor="middle" class="tick">{x}</text>')
    for i, (name, pts) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        seg: list[str] = []
        for x, y in sorted(pts, key=lambda p: p[0]):
            if y is None:
                if len(seg) > 1:
                    parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(seg)}"/>')
                seg = []
                continue
            seg.append(f"{px(x):.1f},{py(y):.1f}")
            parts.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}">'
                f"<title>{escape(name)} {x}: {escape(_fmt(y, percent))}</title></circle>"
            )
        if len(seg) > 1:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(seg)}"/>')
        ly = TOP + 14 + 18 * i
        parts.append(
            f'<rect x="{W - RIGHT + 12}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
            f'<text x="{W - RIGHT + 26}" y="{ly}" class="legend">{escape(_fit(name, RIGHT - 34, 11))}</text>'
        )
    return "".join(parts) + "</svg>"


def bar_chart(title: str, items: list[tuple[str, float | None]], note: str | None = None) -> str:
    """Horizontal bars, one per (label, value), in the order given."""
    items = [(k, v) for k, v in items if v is not None]
    bar_h, gap, label_w = 18, 6, 230
    height = TOP + len(items) * (bar_h + gap) + 10
    parts = [_head(title, note, W, max(height, 60), 8)]
    if not items:
        return parts[0] + f'<text x="{W / 2}" y="45" text-anchor="middle" class="chart-empty">—</text></svg>'
    top = max(v for _, v in items) or 1
    span = W - label_w - 90
    for i, (name, v) in enumerate(items):
        y = TOP + i * (bar_h + gap)
        w = max(1.0, span * v / top) if v > 0 else 0
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" class="tick">{escape(_fit(name, label_w - 16, 11))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[0]}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 13}" class="tick">{escape(_fmt(v, False))}</text>'
        )
    return "".join(parts) + "</svg>"
