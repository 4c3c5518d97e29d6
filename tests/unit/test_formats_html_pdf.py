"""HTML and PDF exports: escaping, banners, numbering, brackets and holders."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.negotiation import Language, parse_text
from concord.formats import ExportMeta, write_html, write_pdf
from concord.formats.pdf_out import printable

META = ExportMeta(
    reference="PO(2026)0042-REV2",
    title="Statement <b>on</b> the situation & the way ahead",
    marking="NATO RESTRICTED",
    body="North Atlantic Council",
    issued="Issued 3 March 2026",
)
TEXT = parse_text(
    [
        "The Council [strongly condemns (DEU, FRA) / regrets (TUR)] the attack.",
        "It acts <script>alert('x')</script> & [firmly].",
    ],
    [
        "Le Conseil [condamne fermement / regrette] l'attaque.",
        "Il agit <script>alert(1)</script> & [fermement].",
    ],
    revision=2,
    holders=True,
)


def parsed(html: str) -> ET.Element:
    """The document as XML (it is written to be well-formed), without the doctype."""
    assert html.startswith("<!DOCTYPE html>\n")
    return ET.fromstring(html.removeprefix("<!DOCTYPE html>\n"))


def test_html_is_well_formed_escaped_and_marked() -> None:
    html = write_html(META, TEXT)
    root = parsed(html)
    assert root.get("lang") == "en"
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp;" in html
    assert "Statement &lt;b&gt;on&lt;/b&gt; the situation &amp; the way ahead" in html
    body = root.find("body")
    assert body is not None
    banners = [p for p in body if p.get("class") == "marking"]
    assert [b.text for b in banners] == ["NATO RESTRICTED", "NATO RESTRICTED"]
    assert body[0] is banners[0] and body[-1] is banners[1]
    assert "PO(2026)0042-REV2 — Revision 2" in html


def test_html_numbers_paragraphs_and_marks_brackets_with_holders() -> None:
    root = parsed(write_html(META, TEXT))
    paragraphs = root.findall(".//p[@class='paragraph']")
    assert ["".join(p.itertext()) for p in paragraphs] == [
        "1.The Council [strongly condemns (DEU, FRA) / regrets (TUR)] the attack.",
        "2.It acts <script>alert('x')</script> & [firmly].",
    ]
    marks = root.findall(".//mark")
    assert ["".join(m.itertext()) for m in marks] == [
        "[strongly condemns (DEU, FRA) / regrets (TUR)]",
        "[firmly]",
    ]
    holders = [s.text for s in root.findall(".//mark/span[@class='holders']")]
    assert holders == [" (DEU, FRA)", " (TUR)"]


def test_html_in_french() -> None:
    html = write_html(META, TEXT, Language.FR)
    assert parsed(html).get("lang") == "fr"
    assert "Révision 2" in html
    assert '[condamne fermement<span class="holders"> (DEU, FRA)</span>' in html


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=40))
def test_html_stays_well_formed_whatever_the_particulars(value: str) -> None:
    meta = ExportMeta(value, value, value, value, value)
    parsed(write_html(meta, TEXT))


def test_pdf_carries_the_reference_the_marking_and_the_text() -> None:
    pdf = write_pdf(META, TEXT, compress=False)
    assert pdf.startswith(b"%PDF")
    assert b"PO\\(2026\\)0042-REV2" in pdf
    assert pdf.count(b"(NATO RESTRICTED) Tj") == 2  # header and footer of the one page
    assert b"strongly condemns" in pdf
    assert b"(DEU, FRA)".replace(b"(", b"\\(").replace(b")", b"\\)") in pdf
    assert write_pdf(META, TEXT, compress=False) == pdf  # deterministic
    assert write_pdf(META, TEXT).startswith(b"%PDF")


def test_pdf_banner_is_on_every_page() -> None:
    long = parse_text([f"Paragraph {n} [a / b]." * 20 for n in range(1, 40)])
    pdf = write_pdf(META, long, compress=False)
    pages = len(re.findall(rb"/Type /Page\b", pdf))
    assert pages > 1
    assert pdf.count(b"(NATO RESTRICTED) Tj") == 2 * pages


def test_pdf_replaces_characters_helvetica_cannot_print() -> None:
    odd = "déjà vu € \u2013 Ωμέγα 中文 \x00\x07 ok\n"
    assert printable(odd) == "déjà vu € \u2013 ????? ?? ?? ok "
    assert printable("Note\u202f: \ufb01n \u2011 \u00ab\u00a0x\u00a0\u00bb") == (
        "Note : fin - \u00ab\u00a0x\u00a0\u00bb"
    )
    text = parse_text(["Ωμέγα [中文 / é] \U0001f600 <b>&amp;"])
    pdf = write_pdf(META, text, Language.EN, compress=False)
    assert pdf.startswith(b"%PDF")


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=60))
def test_pdf_never_fails_on_odd_text(value: str) -> None:
    meta = ExportMeta(value, value, value, value, value)
    assert write_pdf(meta, TEXT).startswith(b"%PDF")
