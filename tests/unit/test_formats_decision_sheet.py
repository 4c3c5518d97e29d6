"""Decision sheets as PDF and .docx."""

from __future__ import annotations

import io

import docx

from concord.formats import DecisionSheet, decision_docx, decision_pdf

SHA = "3f" * 32
SHEET = DecisionSheet(
    reference="NAC-DS(2026)0003",
    title="Statement on the situation",
    body="North Atlantic Council",
    marking="NATO RESTRICTED",
    adopted_at="3 March 2026, 12:00 CET",
    procedure="silence procedure PO(2026)0042-REV2",
    sha256=SHA,
    paragraphs=((1, "The Council condemns the attack."), (2, "It remains seized <of> it.")),
    bound=("BEL", "DEU", "FRA"),
    standing_aside=("TUR",),
    footnotes=(("TUR", "Turkey dissociates itself from paragraph 2."),),
    statements=(("FRA", "France reads paragraph 1 as covering all attacks."),),
    timeline=(("1 March 2026, 12:00", "Procedure opened"), ("3 March 2026, 12:00", "Adopted")),
)


def test_the_pdf_records_the_decision() -> None:
    pdf = decision_pdf(SHEET, compress=False)
    assert pdf.startswith(b"%PDF")
    assert SHA.encode() in pdf
    assert b"France reads paragraph 1 as covering all attacks." in pdf
    assert b"Turkey dissociates itself" in pdf
    assert b"NAC-DS\\(2026\\)0003" in pdf
    assert pdf.count(b"(NATO RESTRICTED) Tj") == 2
    assert b"( It remains seized <) Tj (of) Tj (> it.) Tj" in pdf  # escaped, shown as is
    assert decision_pdf(SHEET, compress=False) == pdf


def test_the_docx_records_the_decision() -> None:
    document = docx.Document(io.BytesIO(decision_docx(SHEET)))
    lines = [p.text for p in document.paragraphs]
    body = "\n".join(lines)
    assert document.sections[0].header.paragraphs[0].text == "NATO RESTRICTED"
    assert document.sections[0].footer.paragraphs[0].text == "NATO RESTRICTED"
    assert lines[0] == SHEET.title
    assert SHA in body
    assert "FRA: France reads paragraph 1 as covering all attacks." in lines
    assert "TUR: Turkey dissociates itself from paragraph 2." in lines
    assert "BEL, DEU, FRA" in lines
    assert "2. It remains seized <of> it." in lines
    assert "3 March 2026, 12:00 — Adopted" in lines
    assert "Reference: NAC-DS(2026)0003" in lines


def test_an_empty_sheet_says_none() -> None:
    sheet = DecisionSheet(
        reference="NAC-DS(2026)0004",
        title="T",
        body="B",
        marking="NATO UNCLASSIFIED",
        adopted_at="now",
        procedure="p",
        sha256=SHA,
        paragraphs=((1, "Only."),),
    )
    lines = [p.text for p in docx.Document(io.BytesIO(decision_docx(sheet))).paragraphs]
    assert lines.count("None.") == 4
    assert decision_pdf(sheet).startswith(b"%PDF")
