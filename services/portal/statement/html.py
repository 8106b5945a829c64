"""The statement as one self-contained HTML page: inline CSS and SVG charts, no external resource."""

from __future__ import annotations

from functools import cache
from importlib import resources

from jinja2 import Environment, Template
from markupsafe import Markup, escape

from services.portal.statement import content
from services.portal.statement.charts import Chart, charts
from services.portal.statement.content import Statement

TEMPLATE = "statement.html.j2"
STATUS_NAMES = {"actual": "measured", "partial": "partly measured", "projected": "projected"}


@cache
def _template() -> Template:
    environment = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.filters |= {
        "kwh": content.kwh,
        "kwh_or_na": lambda v: "n/a" if v is None else content.kwh(v),
        "signed_kwh": content.signed_kwh,
        "money": content.money,
        "percent": content.percent,
        "long_date": content.long_date,
        "month_name": content.month_name,
        "band_label": content.band_label,
    }
    source = resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    return environment.from_string(source)


def render_html(statement: Statement) -> str:
    drawn = {chart.name: chart for chart in charts(statement)}
    whole = statement.sub_meters_kwh

    def chart(name: str) -> Markup:
        return _figure(drawn[name]) if name in drawn else Markup("")

    def share(value: float) -> str:
        return f"{value / whole * 100:.1f}%" if whole > 0 else "n/a"

    days = statement.days_measured
    return _template().render(
        s=statement,
        chart=chart,
        share=share,
        status_names=STATUS_NAMES,
        this_per_day=statement.total_kwh / days if days else None,
    )


def _figure(chart: Chart) -> Markup:
    caption = escape(chart.description)
    return Markup(f"<figure>{chart.svg()}<figcaption>{caption}</figcaption></figure>")
