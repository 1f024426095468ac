"""Charts drawn on the server as small inline SVG: no script, a few kilobytes, any phone.

Each chart scales to its container (viewBox, width 100%) and carries its numbers as text
and as <title> tooltips, so it reads without colour too.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

COLOURS = ("#d9485f", "#3b7dd8", "#e89c2f", "#2f9e74", "#7a5bd1")


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value and where clicking it leads (optional)."""

    label: str
    value: float
    href: str = ""


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _link(href: str, body: str) -> str:
    return f'<a href="{escape(href)}">{body}</a>' if href else body


def bar_chart(bars: list[Bar], *, title: str, colour: str = COLOURS[0]) -> Markup:
    """Horizontal bars, one per row, labelled with their values."""
    row, label_w, width = 26, 130, 480
    height = max(len(bars), 1) * row + 8
    top = max((b.value for b in bars), default=0) or 1
    # A picture with links in it is a group of them, not an image (screen readers reach them).
    role = "group" if any(b.href for b in bars) else "img"
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="{role}" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    if not bars:
        parts.append(f'<text x="4" y="18" class="muted">{escape("—")}</text>')
    for i, bar in enumerate(bars):
        y = 4 + i * row
        w = max((width - label_w - 60) * bar.value / top, 0)
        body = (
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">'
            f"{escape(bar.label[:12])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour}">'
            f"<title>{escape(bar.label)}: {_number(bar.value)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 16}">{_number(bar.value)}</text>'
        )
        parts.append(_link(bar.href, body))
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(labels: list[str], series: list[tuple[str, list[float]]], *, title: str) -> Markup:
    """Vertical columns per month, one colour per series, with a legend."""
    width, height, left, bottom, top_pad = 480, 200, 34, 36, 22
    n = max(len(labels), 1)
    group = (width - left - 4) / n
    bar_w = max(min(group / (len(series) + 1), 28), 2)
    peak = max((v for _name, values in series for v in values), default=0) or 1
    plot_h = height - bottom - top_pad
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#ccc"/>',
        f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end">{_number(peak)}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    for s, (name, _values) in enumerate(series):
        x = left + s * 110
        parts.append(
            f'<rect x="{x}" y="4" width="10" height="10" fill="{COLOURS[s % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="13">{escape(name)}</text>'
        )
    step = max(1, n // 12)
    for i, label in enumerate(labels):
        x0 = left + i * group + (group - bar_w * len(series)) / 2
        for s, (name, values) in enumerate(series):
            value = values[i] if i < len(values) else 0
            h = plot_h * value / peak
            parts.append(
                f'<rect x="{x0 + s * bar_w:.1f}" y="{height - bottom - h:.1f}" '
                f'width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{COLOURS[s % len(COLOURS)]}">'
                f"<title>{escape(label)} {escape(name)}: {_number(value)}</title></rect>"
            )
        if i % step == 0:
            parts.append(
                f'<text x="{left + i * group + group / 2:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
