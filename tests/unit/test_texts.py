"""Texts as numbered paragraphs and their canonical hash."""

from __future__ import annotations

import json

from concord.domain.texts import Paragraph, canonical_text, normalise, text_sha256


def test_normalise() -> None:
    assert normalise("  a  \r\nb\t \rc\n\n") == "a\nb\nc"
    assert normalise("Cafe\u0301") == "Café"


def test_equal_texts_hash_equally() -> None:
    a = [Paragraph(1, "Cafe\u0301 \r\nline"), Paragraph(2, "Two")]
    b = [Paragraph(2, "Two  "), Paragraph(1, "Café\nline")]
    assert text_sha256("PO(2026)0042", a) == text_sha256("PO(2026)0042", b)


def test_the_hash_covers_reference_numbers_and_text() -> None:
    base = [Paragraph(1, "One"), Paragraph(2, "Two")]
    digest = text_sha256("PO(2026)0042", base)
    assert text_sha256("PO(2026)0043", base) != digest
    assert text_sha256("PO(2026)0042", [Paragraph(1, "One"), Paragraph(3, "Two")]) != digest
    assert text_sha256("PO(2026)0042", [Paragraph(1, "One"), Paragraph(2, "Too")]) != digest


def test_french_is_included_only_when_present() -> None:
    en = json.loads(canonical_text("PO(2026)0042", [Paragraph(1, "One")]))
    assert en == {"reference": "PO(2026)0042", "en": [[1, "One"]], "fr": None}
    both = json.loads(canonical_text("PO(2026)0042", [Paragraph(1, "One", "Un")]))
    assert both["fr"] == [[1, "Un"]]
    assert text_sha256("R", [Paragraph(1, "One", "Un")]) != text_sha256("R", [Paragraph(1, "One")])
