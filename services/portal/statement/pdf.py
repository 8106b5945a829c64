"""The statement as an A4 PDF (fpdf2): DejaVu Sans embedded from matplotlib's own fonts, so the
currency sign and every name print as they are and the text stays extractable."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from io import BytesIO
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from services.portal.statement.charts import Chart, charts
from services.portal.statement.content import (
    Statement,
    band_label,
    kwh,
    long_date,
    money,
    month_name,
    percent,
    signed_kwh,
)

# fpdf2 subsets the embedded font with fontTools, which logs every table it touches at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)
FONT = "DejaVu"
MARGIN = 15.0  # mm
TEXT_WIDTH = 210.0 - 2 * MARGIN
HEADINGS = FontFace(emphasis="BOLD", fill_color=(226, 232, 240))
TOTAL_ROW = FontFace(emphasis="BOLD")
NUMBERS = ("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT")
NOTE_FILL = (255, 248, 230)


@cache
def _font_files() -> dict[str, Path]:
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {"": fonts / "DejaVuSans.ttf", "B": fonts / "DejaVuSans-Bold.ttf"}


class _Document(FPDF):
    def __init__(self, statement: Statement) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.statement = statement
        for style, path in _font_files().items():
            self.add_font(FONT, style, path)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 5)
        self.set_title(f"Electricity statement, household {statement.household_id}, {statement.month_name}")
        self.set_author("Wattcast")
        self.set_creator("Wattcast")
        self.set_subject(
            f"Electricity use and cost of household {statement.household_id} in {statement.month}"
        )
        self.set_keywords(f"electricity statement {statement.household_id} {statement.month}")
        self.set_lang("en")

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        s = self.statement
        self.cell(
            0,
            5,
            f"Wattcast · household {s.household_id} · {s.month} · page {self.page_no()} of {{nb}}",
            align="C",
        )
        self.set_text_color(0)


def render_pdf(statement: Statement) -> bytes:
    pdf = _Document(statement)
    pdf.add_page()
    drawn = {chart.name: chart for chart in charts(statement)}
    _header(pdf, statement)
    _notes(pdf, statement.notes)
    _totals(pdf, statement)
    _chart(pdf, drawn.get("daily"))
    _sub_meters(pdf, statement, drawn.get("sub_meters"))
    _comparison(pdf, statement, drawn.get("comparison"))
    _review(pdf, statement, drawn.get("review"))
    return bytes(pdf.output())


def _header(pdf: FPDF, s: Statement) -> None:
    pdf.set_font(FONT, "B", 20)
    pdf.cell(0, 10, "Electricity statement", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 7, f"{s.month_name} ({s.month}), {s.period}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, f"Household {s.household_id}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        6,
        f"Tariff {s.tariff_id}, option {s.tariff_option}; amounts in {s.currency}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)


def _notes(pdf: FPDF, notes: Sequence[str]) -> None:
    if not notes:
        return
    pdf.set_font(FONT, size=9)
    pdf.set_fill_color(*NOTE_FILL)
    pdf.multi_cell(0, 5, "\n".join(notes), fill=True, padding=2, new_x="LMARGIN", new_y="NEXT")
    pdf.set_fill_color(255)
    pdf.ln(3)


def _heading(pdf: FPDF, text: str, room: float = 60) -> None:
    if pdf.will_page_break(room):
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(40)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + TEXT_WIDTH, pdf.get_y())
    pdf.ln(2)
    pdf.set_font(FONT, size=10)


def _table(pdf: FPDF, rows: Sequence[Sequence[str]], widths: Sequence[float], total_rows: int = 0) -> None:
    pdf.set_font(FONT, size=9.5)
    with pdf.table(
        col_widths=tuple(widths),
        text_align=NUMBERS[: len(widths)],
        headings_style=HEADINGS,
        line_height=6,
        borders_layout="HORIZONTAL_LINES",
        width=TEXT_WIDTH,
        align="LEFT",
    ) as table:
        for number, cells in enumerate(rows):
            style = TOTAL_ROW if total_rows and number >= len(rows) - total_rows else None
            row = table.row(style=style)
            for text in cells:
                row.cell(text)
    pdf.ln(2)


def _totals(pdf: FPDF, s: Statement) -> None:
    _heading(pdf, "Energy and cost")
    rows = [["Item", "Energy", "Cost"]]
    rows += [[band_label(b.name), kwh(b.kwh), money(b.cost, s.currency)] for b in s.bands]
    rows += [
        ["Energy cost", "", money(s.energy_cost, s.currency)],
        ["Standing charge (whole month)", "", money(s.standing_charge, s.currency)],
        ["Total", kwh(s.total_kwh), money(s.total_cost, s.currency)],
    ]
    _table(pdf, rows, (90, 45, 45), total_rows=1)
    if s.projected:
        kwh_row = ["Energy", *(kwh(v) for v in s.projected.kwh)]
        cost_row = ["Cost, standing charge included", *(money(v, s.currency) for v in s.projected.cost)]
        pdf.set_font(FONT, "B", 10)
        pdf.cell(
            0,
            6,
            f"The whole month as projected from {long_date(s.projected.as_of)}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        _table(pdf, [["Projected", "Median", "Lower", "Upper"], kwh_row, cost_row], (72, 36, 36, 36))


def _chart(pdf: FPDF, chart: Chart | None, width: float = TEXT_WIDTH) -> None:
    if chart is None:
        return
    inches_wide, inches_high = chart.figure.get_size_inches()
    height = width * inches_high / inches_wide
    if pdf.will_page_break(height):
        pdf.add_page()
    x = MARGIN + (TEXT_WIDTH - width) / 2
    pdf.image(BytesIO(chart.png()), x=x, w=width, h=height, alt_text=chart.description, title=chart.title)
    pdf.ln(3)


def _sub_meters(pdf: FPDF, s: Statement, chart: Chart | None) -> None:
    _heading(pdf, "Where the energy went")
    whole = s.sub_meters_kwh
    rows = [["Sub-meter", "Energy", "Share"]]
    rows += [
        [m.label, kwh(m.kwh), f"{m.kwh / whole * 100:.1f}%" if whole > 0 else "n/a"] for m in s.sub_meters
    ]
    _table(pdf, rows, (90, 45, 45))
    pdf.set_font(FONT, size=8.5)
    pdf.cell(
        0,
        5,
        f"Over the {s.sub_meter_hours} hours that measured every sub-meter.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _chart(pdf, chart)


def _comparison(pdf: FPDF, s: Statement, chart: Chart | None) -> None:
    _heading(pdf, "Against the month before")
    p = s.previous_month
    if p is None:
        pdf.multi_cell(
            0,
            6,
            "No day of the month before is measured: there is no comparison.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        return
    this_per_day = s.total_kwh / s.days_measured if s.days_measured else None
    rows = [
        ["Month", "Days measured", "Energy", "Per measured day"],
        [
            month_name(p.month),
            f"{p.days_measured} of {p.days_in_month}",
            kwh(p.kwh),
            _kwh_or_na(p.kwh_per_day),
        ],
        [s.month_name, str(s.days_measured), kwh(s.total_kwh), _kwh_or_na(this_per_day)],
        ["Change", "", signed_kwh(p.change_kwh), percent(p.change_pct)],
    ]
    _table(pdf, rows, (60, 40, 40, 40), total_rows=1)
    _chart(pdf, chart, width=TEXT_WIDTH * 0.8)


def _review(pdf: FPDF, s: Statement, chart: Chart | None) -> None:
    _heading(pdf, "How the projections did")
    if not s.review:
        text = (
            "No projection of this month was stored: there is nothing to review."
            if s.complete
            else "The month is not over: its projections are reviewed in the statement of the whole month."
        )
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        return
    rows = [["As of", "Projected median", "Interval", "Error of the median", "Actual inside"]]
    rows += [
        [
            long_date(c.as_of),
            kwh(c.median_kwh),
            f"{kwh(c.lower_kwh)} to {kwh(c.upper_kwh)}",
            percent(c.error_pct),
            "yes" if c.inside else "no",
        ]
        for c in s.review
    ]
    _table(pdf, rows, (34, 34, 58, 30, 24))
    pdf.set_font(FONT, size=8.5)
    pdf.multi_cell(
        0,
        5,
        f"Against the actual month total of {kwh(s.total_kwh)}; error of the median = "
        "(projected median - actual) / actual.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _chart(pdf, chart)


def _kwh_or_na(value: float | None) -> str:
    return "n/a" if value is None else kwh(value)
