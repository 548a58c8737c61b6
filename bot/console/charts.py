"""Charts as SVG strings, drawn on the server: no script, no outside CDN, no style=""
attributes (the console's CSP), only presentation attributes. Pure functions of their
numbers. Each chart has a <title> and a <desc>; the page puts the same numbers in a
table beside it for screen readers and printing."""

from hashlib import sha1
from html import escape

WIDTH = 400                   # narrow enough to stay legible on a phone
ROW, BAR = 40, 14             # a bar chart's row (its label above its bar) and bar height
COLOURS = {"recognised": "#1e7b34", "awaiting": "#7cb342", "returned": "#e08e0b",
           "not_passed": "#b3261e", "in_progress": "#0b5394", "not_started": "#b0bac5"}
SERIES = ("#0b5394", "#1e7b34")   # the monthly chart's two series


def _text(value) -> str:
    return escape(str(value), quote=True)


def _number(value) -> str:
    """565625 → "565.625" (Vietnamese thousands); 81.25 → "81,3"."""
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{value:,}".replace(",", ".")


def _svg(title: str, desc: str, height: int, body: list[str]) -> str:
    ident = "chart-" + sha1(title.encode()).hexdigest()[:8]   # titles differ on a page
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
            f'role="img" aria-labelledby="{ident}-t {ident}-d" font-family="system-ui, sans-serif" '
            f'font-size="13"><title id="{ident}-t">{_text(title)}</title>'
            f'<desc id="{ident}-d">{_text(desc)}</desc>' + "".join(body) + "</svg>")


def _clip(label: str, room: int = 60) -> str:
    return label if len(label) <= room else label[:room - 1] + "…"


def bars(title: str, rows: list[tuple[str, float]], maximum: float | None = None,
         suffix: str = "") -> str:
    """Horizontal bars, one per (label, value), each under its label, scaled to `maximum`
    (default: the largest)."""
    top = maximum if maximum else max([v for _, v in rows] + [0]) or 1
    room = WIDTH - 70   # the value's text after the longest bar
    body = []
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW
        length = max(0.0, min(1.0, value / top)) * room
        body.append(f'<text x="0" y="{y + 13}" fill="#1d2733"><title>{_text(label)}</title>'
                    f'{_text(_clip(label))}</text>'
                    f'<rect x="0" y="{y + 19}" width="{length:.1f}" height="{BAR}" rx="3" fill="#0b5394"/>'
                    f'<text x="{length + 6:.1f}" y="{y + 31}" fill="#1d2733">'
                    f'{_text(_number(value))}{_text(suffix)}</text>')
    desc = "; ".join(f"{label}: {_number(value)}{suffix}" for label, value in rows) or "Chưa có số liệu"
    return _svg(title, desc, 8 + max(1, len(rows)) * ROW, body)


def stacked(title: str, parts: list[tuple[str, str, int]]) -> str:
    """One bar split into (key, label, count) parts, with a legend underneath; the keys
    pick the colours (COLOURS)."""
    total = sum(n for _, _, n in parts)
    body, x = [], 0.0
    room = WIDTH
    for key, label, n in parts:
        if not n:
            continue
        width = n / total * room
        body.append(f'<rect x="{x:.1f}" y="10" width="{width:.1f}" height="34" '
                    f'fill="{COLOURS.get(key, "#888888")}"><title>{_text(label)}: '
                    f'{_text(_number(n))}</title></rect>')
        x += width
    if not total:
        body.append(f'<rect x="0" y="10" width="{room}" height="34" fill="#eef2f6"/>')
    for i, (key, label, n) in enumerate(parts):
        lx, ly = (i % 2) * (WIDTH // 2), 66 + (i // 2) * 22
        body.append(f'<rect x="{lx}" y="{ly - 11}" width="12" height="12" '
                    f'fill="{COLOURS.get(key, "#888888")}"/><text x="{lx + 18}" y="{ly}" '
                    f'fill="#1d2733">{_text(label)}: {_text(_number(n))}</text>')
    desc = "; ".join(f"{label}: {_number(n)}" for _, label, n in parts)
    return _svg(title, desc, 56 + ((len(parts) + 1) // 2) * 22, body)


def columns(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> str:
    """Grouped columns: for each label (a month), one column per series (name, values)."""
    height, base, left = 240, 200, 40
    top = max([v for _, values in series for v in values] + [0]) or 1
    slot = (WIDTH - left - 10) / max(1, len(labels))
    width = max(2.0, (slot - 6) / max(1, len(series)))
    body = [f'<line x1="{left}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="#5b6775"/>',
            f'<text x="{left - 6}" y="18" text-anchor="end" fill="#5b6775">{_text(_number(top))}</text>',
            f'<text x="{left - 6}" y="{base}" text-anchor="end" fill="#5b6775">0</text>']
    for i, label in enumerate(labels):
        x0 = left + i * slot + 3
        for j, (name, values) in enumerate(series):
            h = values[i] / top * (base - 20)
            body.append(f'<rect x="{x0 + j * width:.1f}" y="{base - h:.1f}" width="{width:.1f}" '
                        f'height="{h:.1f}" fill="{SERIES[j % len(SERIES)]}"><title>{_text(label)} · '
                        f'{_text(name)}: {_text(_number(values[i]))}</title></rect>')
        body.append(f'<text x="{x0 + slot / 2 - 3:.1f}" y="{base + 16}" text-anchor="middle" '
                    f'fill="#5b6775">{_text(label)}</text>')
    for j, (name, _) in enumerate(series):
        lx = left + j * 160
        body.append(f'<rect x="{lx}" y="{height - 16}" width="12" height="12" '
                    f'fill="{SERIES[j % len(SERIES)]}"/><text x="{lx + 18}" y="{height - 5}" '
                    f'fill="#1d2733">{_text(name)}</text>')
    desc = "; ".join(f"{name}: " + ", ".join(f"{label} {_number(v)}" for label, v in zip(labels, values))
                     for name, values in series)
    return _svg(title, desc, height, body)
