"""A report as one self-contained HTML page: its narrative, each finding with its chart (inline
SVG), and its table. No scripts, fonts or links to anything outside the page; every string from
data is escaped."""

from __future__ import annotations

from marketing_intel.report_page.page import report_html

__all__ = ["report_html"]
