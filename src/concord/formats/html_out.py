"""Writing a text as a standalone HTML5 document, for download and printing.

Well-formed (it parses as XML too), one language (``lang`` set), the marking as a banner at the
top and the bottom, numbered paragraphs, and each bracket as a ``<mark>`` with its alternatives
and their holders. All text is escaped.
"""

from __future__ import annotations

from html import escape

from concord.domain.negotiation import Language, Text
from concord.formats.layout import ExportMeta, Piece, bracket_pieces, revision_line, xml_safe

STYLE = """
body { font-family: Georgia, "Times New Roman", serif; max-width: 46em; margin: 2em auto;
  padding: 0 1em; line-height: 1.5; color: #111; }
.marking { text-align: center; font-family: Helvetica, Arial, sans-serif; font-weight: bold;
  letter-spacing: 0.05em; border: 1px solid #111; padding: 0.2em; }
h1 { text-align: center; font-size: 1.5em; }
.particulars { text-align: center; color: #333; }
.paragraph { margin: 1em 0; }
.number { font-weight: bold; margin-right: 0.4em; }
mark.bracket { background: #fff200; }
.holders { color: #555; font-size: 0.8em; }
""".strip()


def esc(value: str) -> str:
    """``value`` escaped for HTML, and with characters no HTML may carry replaced by ``?``."""
    return escape(xml_safe(value), quote=True)


def page(title: str, marking: str, content: list[str], language: Language) -> str:
    """A standalone HTML5 document: ``content`` between two marking banners."""
    banner = f'<p class="marking" role="note">{esc(marking)}</p>'
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{language.value}">',
            "<head>",
            '<meta charset="utf-8" />',
            '<meta name="viewport" content="width=device-width, initial-scale=1" />',
            f"<title>{esc(title)}</title>",
            f"<style>\n{STYLE}\n</style>",
            "</head>",
            "<body>",
            banner,
            *content,
            banner,
            "</body>",
            "</html>",
            "",
        ]
    )


def write_html(meta: ExportMeta, text: Text, language: Language = Language.EN) -> str:
    """The text's version in ``language`` as a standalone HTML5 document."""
    content = [
        "<header>",
        f"<h1>{esc(meta.title)}</h1>",
        f'<p class="particulars">{esc(revision_line(meta, text, language))}<br />'
        f"{esc(meta.body)}<br />{esc(meta.issued)}</p>",
        "</header>",
        "<main>",
    ]
    for number, paragraph in enumerate(text.paragraphs, start=1):
        segments = paragraph.segments(language)
        if not segments:
            continue
        parts = [f'<span class="number">{number}.</span>']
        for segment in segments:
            if isinstance(segment, str):
                parts.append(esc(segment))
                continue
            parts.append(f'<mark class="bracket" id="bracket-{esc(segment.id)}">')
            for piece, value in bracket_pieces(segment):
                if piece is Piece.HOLDERS:
                    parts.append(f'<span class="holders">{esc(value)}</span>')
                else:
                    parts.append(esc(value))
            parts.append("</mark>")
        content.append(
            f'<p class="paragraph" id="paragraph-{esc(paragraph.id)}">{"".join(parts)}</p>'
        )
    content.append("</main>")
    return page(meta.title, meta.marking, content, language)
