"""Reading a draft text from a Word (.docx) document.

Every non-empty paragraph of the document's body is a paragraph of the text, in order, except
paragraphs in the styles "Title" (the first gives the title) and "Subtitle" (the particulars an
export writes under the title). Tables, text boxes, headers, footers, footnotes and deleted
tracked changes are not read. Runs are joined and runs of spaces, tabs and line breaks become
one space. A manual leading number (``1.``, ``12)``, ``(3)``) is dropped; a paragraph that is
nothing but a number is an empty paragraph (in a French document, one not yet translated; in
the English one, an error). Square brackets are brackets in the notation with holders (see
:mod:`concord.domain.negotiation.notation`): ``[stronger wording (DEU, FRA) / weaker wording
(TUR)]``.

An optional second document gives the French version, read by the same rules and matched
paragraph by paragraph and bracket by bracket as :func:`parse_text` does.

Every refusal is an :class:`InvalidInput`, whatever the bytes given.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import docx

from concord.domain.errors import DomainError, InvalidInput, _
from concord.domain.negotiation import Language, Text, parse_text

#: The largest document read, in bytes.
MAX_BYTES = 20 * 1024 * 1024
#: The most the document's parts may come to once unpacked, in bytes.
MAX_UNPACKED = 100 * 1024 * 1024
#: The most paragraphs a document's body may have (empty ones included).
MAX_PARAGRAPHS = 10_000
_MAX_PARTS = 2_000

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
#: Elements whose text is not part of the paragraph as read.
_SKIPPED = frozenset(
    {
        _W + "pPr",
        _W + "rPr",
        _W + "del",
        _W + "moveFrom",
        _W + "txbxContent",
        _W + "drawing",
        _W + "pict",
        _W + "object",
        _W + "footnoteReference",
        _W + "endnoteReference",
        _MC + "AlternateContent",
    }
)
#: Body-level containers whose paragraphs are read as the body's own.
_CONTAINERS = frozenset({_W + "sdt", _W + "sdtContent", _W + "customXml"})
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SPACES = re.compile(r"[ \t\n\r]+")
_NUMBER = re.compile(r"(?:[0-9]{1,5}[.)]|\([0-9]{1,5}\))(?:\s+|$)")

_REASONS = {
    "large": (
        _("the document is larger than 20 MB"),
        _("the French document is larger than 20 MB"),
    ),
    "ole": (
        _(
            "the document is encrypted or in the old .doc format: save it as an unprotected "
            ".docx document"
        ),
        _(
            "the French document is encrypted or in the old .doc format: save it as an "
            "unprotected .docx document"
        ),
    ),
    "zip": (
        _("the file is not a readable .docx document: it is not a zip archive"),
        _("the French file is not a readable .docx document: it is not a zip archive"),
    ),
    "unpacked": (
        _("the document is too large once unpacked"),
        _("the French document is too large once unpacked"),
    ),
    "word": (
        _("the file is not a readable .docx document: it is not a Word document or it is damaged"),
        _(
            "the French file is not a readable .docx document: it is not a Word document or "
            "it is damaged"
        ),
    ),
    "paragraphs": (
        _("the document has more than 10,000 paragraphs"),
        _("the French document has more than 10,000 paragraphs"),
    ),
    "empty": (
        _("the document has no paragraph of text"),
        _("the French document has no paragraph of text"),
    ),
}


@dataclass(frozen=True, slots=True)
class Imported:
    """A text read from a document, and its title if it has one (a paragraph in style
    "Title")."""

    title: str | None
    text: Text


def read_docx(data: bytes, french: bytes | None = None) -> Imported:
    """The text of a .docx document (and of its French version, if given).

    Raises :class:`InvalidInput`, and nothing else, for any file that cannot be read or whose
    text is not in the notation."""
    title, english = _read(data, Language.EN)
    fr: list[str] | None = None
    if french is not None:
        _title, fr = _read(french, Language.FR)
    try:
        text = parse_text(english, fr, holders=True)
    except InvalidInput:
        raise
    except DomainError as exc:
        raise InvalidInput(exc.template, **exc.params) from exc
    except Exception as exc:  # a text the notation cannot take: refused, never a crash
        raise InvalidInput(_("the text of the document could not be read")) from exc
    return Imported(title, text)


def _refuse(reason: str, language: Language) -> InvalidInput:
    english, french = _REASONS[reason]
    return InvalidInput(english if language is Language.EN else french)


def _read(data: bytes, language: Language) -> tuple[str | None, list[str]]:
    """The title and the paragraphs (as strings in the notation) of one document."""
    try:
        return _paragraphs(data, language)
    except InvalidInput:
        raise
    except Exception as exc:  # zip, XML and package errors of every kind
        raise _refuse("word", language) from exc


def _paragraphs(data: bytes, language: Language) -> tuple[str | None, list[str]]:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _refuse("zip", language)
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise _refuse("large", language)
    if data.startswith(_OLE):
        raise _refuse("ole", language)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise _refuse("zip", language) from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > _MAX_PARTS or sum(e.file_size for e in entries) > MAX_UNPACKED:
            raise _refuse("unpacked", language)
        if any(e.flag_bits & 0x1 for e in entries):
            raise _refuse("ole", language)
    document = docx.Document(io.BytesIO(data))
    body = document.element.body
    names = _style_names(document)
    elements = list(_body_paragraphs(body))
    if len(elements) > MAX_PARAGRAPHS:
        raise _refuse("paragraphs", language)
    title: str | None = None
    paragraphs: list[str] = []
    for element in elements:
        content = _SPACES.sub(" ", _text_of(element)).strip()
        if not content:
            continue
        style = _style_of(element, names)
        if style in {"title", "subtitle"}:
            if style == "title" and title is None:
                title = content
            continue
        number = _NUMBER.match(content)
        if number:
            content = content[number.end() :]
        paragraphs.append(content)
    if not any(paragraphs):
        raise _refuse("empty", language)
    return title, paragraphs


def _body_paragraphs(container: Any) -> Any:
    for child in container:
        if child.tag == _W + "p":
            yield child
        elif child.tag in _CONTAINERS:
            yield from _body_paragraphs(child)


def _style_names(document: Any) -> dict[str, str]:
    """Style id → style name, in lower case."""
    names: dict[str, str] = {}
    for style in document.styles.element.iterchildren(_W + "style"):
        style_id = style.get(_W + "styleId")
        name = style.find(_W + "name")
        if style_id is not None:
            label = name.get(_W + "val") if name is not None else None
            names[style_id] = (label or style_id).lower()
    return names


def _style_of(paragraph: Any, names: dict[str, str]) -> str:
    properties = paragraph.find(_W + "pPr")
    style = properties.find(_W + "pStyle") if properties is not None else None
    style_id: str | None = style.get(_W + "val") if style is not None else None
    if not style_id:
        return ""
    return names.get(style_id, style_id.lower())


def _text_of(element: Any) -> str:
    """The text a paragraph shows: its runs, hyperlinks, fields' results and tracked
    insertions, without deletions, text boxes or drawings."""
    parts: list[str] = []
    stack = [iter(element)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue
        if tag == _W + "t":
            parts.append(child.text or "")
        elif tag in {_W + "tab", _W + "ptab", _W + "br", _W + "cr"}:
            parts.append(" ")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        else:
            stack.append(iter(child))
    return "".join(parts)
