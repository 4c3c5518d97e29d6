"""Reading and writing negotiated texts and decision sheets as files: Word (.docx) in and out,
standalone HTML and PDF out.

Pure functions from values to bytes (or text) and back; no Django here. The conventions are
described in docs/formats.md. :mod:`.docx_in` reads a draft, :mod:`.docx_out`, :mod:`.html_out`
and :mod:`.pdf_out` export a text, :mod:`.decision_sheet` writes the record of a decision,
:mod:`.dashboard` a commitment's dashboard.
"""

from __future__ import annotations

from concord.formats.decision_sheet import DecisionSheet, decision_docx, decision_pdf
from concord.formats.docx_in import MAX_BYTES, MAX_PARAGRAPHS, Imported, read_docx
from concord.formats.docx_out import write_docx
from concord.formats.html_out import write_html
from concord.formats.layout import ExportMeta
from concord.formats.pdf_out import write_pdf

__all__ = [
    "MAX_BYTES",
    "MAX_PARAGRAPHS",
    "DecisionSheet",
    "ExportMeta",
    "Imported",
    "decision_docx",
    "decision_pdf",
    "read_docx",
    "write_docx",
    "write_html",
    "write_pdf",
]
