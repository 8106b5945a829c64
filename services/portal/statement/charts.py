"""The statement's charts: matplotlib figures drawn without pyplot (no global state, no GUI backend),
each given as PNG bytes for the PDF and as SVG text for the HTML page. Colours are the Okabe-Ito
palette, safe for colour-blind readers; status is told by hatching and marker shape as well."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html import escape
from typing import Any

from matplotlib.figure import Figure

from services.portal.statement.content import Statement, kwh, long_date, month_name

BLUE, SKY, ORANGE, GREEN, VERMILLION, PURPLE, GREY = (
    "#0072B2",
    "#56B4E9",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#666666",
)
DAY_STYLES: dict[str, dict[str, Any]] = {
    "actual": {"color": BLUE, "edgecolor": BLUE, "label": "Measured"},
    "partial": {"color": SKY, "edgecolor": BLUE, "hatch": "///", "label": "Partly measured"},
    "projected": {"color": "white", "edgecolor": ORANGE, "hatch": "...", "label": "Projected"},
}
SUB_METER_COLOURS = (ORANGE, SKY, GREEN, PURPLE)
WIDE, NARROW = (7.5, 3.3), (6.0, 3.3)
PNG_DPI = 150


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    description: str  # the text alternative
    figure: Figure

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
        return buffer.getvalue()

    def svg(self) -> str:
        buffer = io.StringIO()
        self.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        return _inline_svg(buffer.getvalue(), self.name, self.title, self.description)


def charts(statement: Statement) -> tuple[Chart, ...]:
    """The daily bars always; the sub-meters, the comparison and the review when there is one."""
    drawn = [daily_chart(statement)]
    if statement.sub_meters_kwh > 0:
        drawn.append(sub_meter_chart(statement))
    if statement.previous_month is not None:
        drawn.append(comparison_chart(statement))
    if statement.review:
        drawn.append(review_chart(statement))
    return tuple(drawn)


def _figure(size: tuple[float, float]) -> Figure:
    return Figure(figsize=size, layout="constrained")


def daily_chart(statement: Statement) -> Chart:
    title = f"Daily use, {statement.month_name} ({statement.period})"
    figure = _figure(WIDE)
    axes = figure.add_subplot()
    for status, style in DAY_STYLES.items():
        bars = [d for d in statement.days if d.status == status]
        if bars:
            axes.bar([d.day.day for d in bars], [d.kwh for d in bars], width=0.8, linewidth=0.8, **style)
    projected = [d for d in statement.days if d.status == "projected" and d.lower is not None]
    if projected:
        medians = [d.kwh for d in projected]
        below = [max(d.kwh - (d.lower or d.kwh), 0.0) for d in projected]
        above = [max((d.upper or d.kwh) - d.kwh, 0.0) for d in projected]
        axes.errorbar(
            [d.day.day for d in projected],
            medians,
            yerr=[below, above],
            fmt="none",
            ecolor=GREY,
            capsize=2,
            label="Projection interval",
        )
    axes.set_title(title)
    axes.set_xlabel(f"Day of {statement.month_name}")
    axes.set_ylabel("Energy (kWh per day)")
    axes.set_xlim(0.3, max([d.day.day for d in statement.days], default=28) + 0.7)
    axes.legend(loc="upper left", fontsize="small", ncols=4, frameon=False, bbox_to_anchor=(0, -0.18))
    axes.grid(axis="y", alpha=0.3)
    measured = sum(d.status != "projected" for d in statement.days)
    described = f"Bar chart of the kWh used each day: {measured} measured days"
    if len(statement.days) > measured:
        described += f" and {len(statement.days) - measured} projected days"
    return Chart("daily", title, described + ".", figure)


def sub_meter_chart(statement: Statement) -> Chart:
    title = f"Where the energy went, {statement.month_name}"
    figure = _figure(WIDE)
    axes = figure.add_subplot()
    values = [max(s.kwh, 0.0) for s in statement.sub_meters]
    wedges, _, _ = axes.pie(
        values,
        colors=SUB_METER_COLOURS,
        autopct=lambda share: f"{share:.0f}%" if share >= 3 else "",
        startangle=90,
        counterclock=False,
        wedgeprops={"edgecolor": "white", "linewidth": 1},
        pctdistance=0.75,
    )
    labels = [f"{s.label}: {kwh(s.kwh)}" for s in statement.sub_meters]
    figure.legend(wedges, labels, loc="outside right center", fontsize="small", frameon=False)
    axes.set_title(title)
    axes.set_aspect("equal")
    described = "Pie chart of the sub-meters' share: " + "; ".join(labels)
    return Chart("sub_meters", title, described + ".", figure)


def comparison_chart(statement: Statement) -> Chart:
    previous = statement.previous_month
    assert previous is not None
    title = f"{statement.month_name} against the month before"
    figure = _figure(NARROW)
    axes = figure.add_subplot()
    names = [
        f"{month_name(previous.month)}\n{previous.days_measured} of {previous.days_in_month} days",
        f"{statement.month_name}\n{statement.days_measured} days, {statement.period}",
    ]
    values = [previous.kwh, statement.total_kwh]
    bars = axes.bar(names, values, color=[GREEN, BLUE], hatch=["xx", ""], edgecolor="white", width=0.5)
    axes.bar_label(bars, labels=[kwh(v) for v in values], padding=2)
    axes.set_ylabel("Energy (kWh)")
    axes.set_ylim(0, max(values) * 1.18 or 1)
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    described = (
        f"Bar chart: {names[0].splitlines()[0]} {kwh(values[0])}, {statement.month_name} {kwh(values[1])}"
    )
    return Chart("comparison", title, described + ".", figure)


def review_chart(statement: Statement) -> Chart:
    title = f"How the projections of {statement.month_name} did"
    figure = _figure(WIDE)
    axes = figure.add_subplot()
    for inside, colour, marker, label in (
        (True, BLUE, "o", "Actual inside the interval"),
        (False, VERMILLION, "^", "Actual outside the interval"),
    ):
        checks = [c for c in statement.review if c.inside is inside]
        if not checks:
            continue
        axes.errorbar(
            [c.as_of.day for c in checks],
            [c.median_kwh for c in checks],
            yerr=[[c.median_kwh - c.lower_kwh for c in checks], [c.upper_kwh - c.median_kwh for c in checks]],
            fmt=marker,
            color=colour,
            markersize=7,
            capsize=4,
            label=f"Projected median and interval: {label.lower()}",
        )
    axes.axhline(
        statement.total_kwh, color="black", linestyle="--", label=f"Actual: {kwh(statement.total_kwh)}"
    )
    axes.set_xticks([c.as_of.day for c in statement.review], [long_date(c.as_of) for c in statement.review])
    axes.tick_params(axis="x", labelsize="small")
    axes.set_xlabel("Projection made as of (its first forecast day)")
    axes.set_ylabel("Month total (kWh)")
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize="small", loc="best")
    described = "Chart of the projected month total at each date against the actual: " + "; ".join(
        f"{long_date(c.as_of)} {kwh(c.median_kwh)} ({kwh(c.lower_kwh)} to {kwh(c.upper_kwh)})"
        for c in statement.review
    )
    return Chart("review", title, described + ".", figure)


_ID = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def _inline_svg(document: str, name: str, title: str, description: str) -> str:
    """The <svg> element alone, its ids prefixed (several charts share a page), labelled for
    assistive technology."""
    element = document[document.index("<svg") :]
    element = _ID.sub(lambda m: f"{m[1]}{name}-{m[2]}", element)
    opening_end = element.index(">") + 1
    opening = element[: opening_end - 1] + f' role="img" aria-labelledby="{name}-title {name}-desc">'
    label = (
        f'<title id="{name}-title">{escape(title)}</title><desc id="{name}-desc">{escape(description)}</desc>'
    )
    return opening + label + element[opening_end:]
