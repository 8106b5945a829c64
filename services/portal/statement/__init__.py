"""A household's monthly statement, in HTML and PDF, from the household API's month answer and the
month's stored projections. Pure: the caller reads the answer and writes the documents."""

from services.portal.statement.content import NoMeasuredDayError, Statement, statement_of
from services.portal.statement.html import render_html
from services.portal.statement.pdf import render_pdf

__all__ = ["NoMeasuredDayError", "Statement", "render_html", "render_pdf", "statement_of"]
