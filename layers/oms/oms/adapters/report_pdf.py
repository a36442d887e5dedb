"""A report's PDF summary with fpdf2 (imported when a summary is rendered, never at a function's import):
title, period, key figures, small tables and horizontal bar charts drawn with fpdf2's own rectangles and
text, in DejaVu Sans (bundled under oms/assets/fonts, Unicode: Latin, Greek, Cyrillic, symbols).

DejaVu has no CJK glyphs and no font in the layer does (a CJK font is 10-20 MB): characters the font
lacks are replaced by "?" before they reach the page, so a Chinese store or product name never breaks a
report; the CSV beside the PDF keeps every name as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from oms.domain.reporting import BarChart, Summary, Table

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FAMILY = "DejaVu"
MISSING = "?"
_PAGE_WIDTH = 180.0  # A4 less 15 mm margins each side
_BAR_HEIGHT = 5.0


def _document() -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_creator("OMS reports")
    return pdf


class _Writer:
    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(FAMILY, "B" if bold else "", size)

    def safe(self, text: str) -> str:
        """`text` with every character the current font lacks replaced (CJK, emoji)."""
        cmap = self.pdf.current_font.cmap  # type: ignore[union-attr]
        return "".join(ch if ord(ch) in cmap or ch in "\n\t" else MISSING for ch in text)

    def line(self, text: str, size: float = 10, bold: bool = False, height: float = 6) -> None:
        self.font(size, bold)
        self.pdf.multi_cell(0, height, self.safe(text), new_x="LMARGIN", new_y="NEXT")

    def figures(self, figures: Sequence[tuple[str, str]]) -> None:
        if not figures:
            return
        self.pdf.ln(2)
        for label, value in figures:
            self.font(10)
            self.pdf.cell(70, 6, self.safe(label))
            self.font(10, bold=True)
            self.pdf.cell(0, 6, self.safe(value), new_x="LMARGIN", new_y="NEXT")

    def table(self, table: Table) -> None:
        self.pdf.ln(4)
        self.line(table.title, 12, bold=True, height=7)
        columns = list(table.columns)
        if not columns:
            return
        width = _PAGE_WIDTH / len(columns)
        self.font(8, bold=True)
        self.pdf.set_fill_color(230, 230, 230)
        for column in columns:
            self.pdf.cell(width, 6, self.safe(column), border=1, fill=True)
        self.pdf.ln()
        self.font(8)
        for row in table.rows:
            for cell in row:
                self.pdf.cell(width, 5.5, self.safe(self._fit(str(cell), width)), border=1)
            self.pdf.ln()
        if not table.rows:
            self.pdf.cell(_PAGE_WIDTH, 5.5, "(none)", border=1, new_x="LMARGIN", new_y="NEXT")

    def _fit(self, text: str, width: float) -> str:
        """Cut a cell's text to its column (with an ellipsis)."""
        safe = self.safe(text)
        if self.pdf.get_string_width(safe) <= width - 2:
            return text
        while text and self.pdf.get_string_width(self.safe(text) + "…") > width - 2:
            text = text[:-1]
        return text + "…"

    def chart(self, chart: BarChart) -> None:
        """Horizontal bars scaled to the largest value; the label on the left, the value after the bar."""
        self.pdf.ln(4)
        self.line(chart.title, 12, bold=True, height=7)
        bars = list(chart.bars)
        if not bars:
            self.line("(no data)", 9)
            return
        labels = list(chart.display) if len(chart.display) == len(bars) else [str(v) for _, v in bars]
        peak = max((abs(value) for _, value in bars), default=0) or 1
        label_width, value_width = 40.0, 35.0
        span = _PAGE_WIDTH - label_width - value_width
        self.font(8)
        self.pdf.set_fill_color(70, 110, 180)
        for (label, value), shown in zip(bars, labels, strict=True):
            if self.pdf.will_page_break(_BAR_HEIGHT + 1):
                self.pdf.add_page()
            x, y = self.pdf.get_x(), self.pdf.get_y()
            self.pdf.cell(label_width, _BAR_HEIGHT, self.safe(self._fit(label, label_width)))
            length = span * abs(value) / peak
            if length > 0:
                self.pdf.rect(x + label_width, y + 0.7, max(length, 0.5), _BAR_HEIGHT - 1.4, style="F")
            self.pdf.set_xy(x + label_width + length + 1.5, y)
            self.pdf.cell(value_width, _BAR_HEIGHT, self.safe(shown))
            self.pdf.set_xy(x, y + _BAR_HEIGHT + 1)


def render_summary(summary: Summary) -> bytes:
    """The summary as a PDF document (A4, one or more pages)."""
    pdf = _document()
    pdf.set_title(summary.title)
    pdf.add_page()
    writer = _Writer(pdf)
    writer.line(summary.title, 16, bold=True, height=9)
    writer.line(f"Period: {summary.period}", 10)
    writer.figures(summary.figures)
    for table in summary.tables:
        writer.table(table)
    for chart in summary.charts:
        writer.chart(chart)
    for note in summary.notes:
        pdf.ln(3)
        writer.line(note, 8)
    return bytes(pdf.output())
