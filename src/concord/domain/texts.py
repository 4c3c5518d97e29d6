"""Texts as numbered paragraphs, and the canonical form whose SHA-256 a decision records."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from concord.domain.canonical import canonical_json, sha256_hex


@dataclass(frozen=True, slots=True)
class Paragraph:
    number: int
    text: str
    text_fr: str = ""


def normalise(text: str) -> str:
    """NFC, unified line ends, no trailing spaces: equal texts hash equally."""
    lines = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in lines.split("\n")).strip()


def canonical_text(reference: str, paragraphs: Sequence[Paragraph]) -> str:
    ordered = sorted(paragraphs, key=lambda p: p.number)
    has_fr = any(p.text_fr for p in ordered)
    return canonical_json(
        {
            "reference": reference,
            "en": [[p.number, normalise(p.text)] for p in ordered],
            "fr": [[p.number, normalise(p.text_fr)] for p in ordered] if has_fr else None,
        }
    )


def text_sha256(reference: str, paragraphs: Sequence[Paragraph]) -> str:
    return sha256_hex(canonical_text(reference, paragraphs))


def search_words(text: str) -> str:
    """Lower-case words without accents, for matching what people type in a search box."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())
