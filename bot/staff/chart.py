"""The KPI chart's geometry, drawn by the template as inline SVG (no scripts, nothing fetched)."""
from __future__ import annotations

import math
from datetime import date

BASELINE = 0.20  # the plans' starting point for the unresolved rate
TARGET = 0.0  # the plans' target
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 96, 16, 40
MAX_LABELS = 12


def period_label(start: str, period: str) -> str:
    """Label a period on the x axis."""
    day = date.fromisoformat(start)
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "week":
        return f"{day.month}/{day.day}週"
    return f"{day.month}/{day.day}"


def kpi_chart(rows: list[dict], period: str) -> dict:
    """Place one bar per period (its unresolved rate), the y axis, and the baseline and target lines."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    rates = [row["unresolved_rate"] for row in rows if row["unresolved_rate"] is not None]
    # Keep the 20% baseline in view, and round the top up to a tidy 10%.
    top = min(1.0, max(0.25, math.ceil(max(rates, default=0) * 10) / 10))

    def y(rate: float) -> float:
        return round(TOP + plot_h * (1 - rate / top), 1)

    slot = plot_w / max(len(rows), 1)
    every = math.ceil(len(rows) / MAX_LABELS) or 1
    bars = []
    for i, row in enumerate(rows):
        x = LEFT + slot * i
        rate = row["unresolved_rate"]
        bars.append(
            {
                "x": round(x + slot * 0.15, 1),
                "width": round(max(slot * 0.7, 1), 1),
                "y": y(rate) if rate is not None else y(0),
                "height": round(y(0) - y(rate), 1) if rate is not None else 0,
                "center": round(x + slot / 2, 1),
                "label": period_label(row["start"], period) if i % every == 0 else "",
                "title": f"{row['start']}: {row['unresolved']}/{row['total']}"
                + (f" = {rate:.1%}" if rate is not None else "（質問なし）"),
            }
        )
    ticks = [{"y": y(t / 10), "label": f"{t * 10}%"} for t in range(0, int(round(top * 10)) + 1)]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": y(0),
        "bars": bars,
        "ticks": ticks,
        "baseline": y(BASELINE),
        "target": y(TARGET),
    }
