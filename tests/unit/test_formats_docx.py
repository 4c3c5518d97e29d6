"""Word documents in and out: the reading rules, the round trip, and refusal of bad files."""

from __future__ import annotations

import contextlib
import io
import zipfile

import docx
import pytest
from docx.oxml import parse_xml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from negotiation_strategies import texts

from concord.domain.errors import InvalidInput
from concord.domain.negotiation import Language, Text, parse_text, render_text
from concord.formats import ExportMeta, docx_in, read_docx, write_docx

META = ExportMeta(
    reference="PO(2026)0042-REV2",
    title="Statement on the <situation> & the way ahead",
    marking="NATO RESTRICTED",
    body="North Atlantic Council",
    issued="Issued 3 March 2026",
)


def document(*paragraphs: str | tuple[str, ...], title: str | None = None) -> bytes:
    """A .docx with these paragraphs; a tuple is one paragraph in several runs."""
    d = docx.Document()
    if title is not None:
        d.add_paragraph(title, style="Title")
    for paragraph in paragraphs:
        p = d.add_paragraph()
        for run in (paragraph,) if isinstance(paragraph, str) else paragraph:
            p.add_run(run)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def shown(text: Text, language: Language = Language.EN) -> tuple[str, ...]:
    """Paragraphs, brackets, alternatives and holders; not ids, kinds or notes."""
    return render_text(text, language, holders=True)


# -- reading --------------------------------------------------------------------------------


def test_paragraphs_title_numbers_and_brackets_are_read() -> None:
    data = document(
        "1. The Council [strongly condemns (FRA, DEU) / regrets (TUR)] the attack.",
        "",
        "   ",
        "12) It [remains / stays] seized of the matter.",
        "(3) Agreed wording only.",
        "2026 was a year.",
        title="Draft statement",
    )
    imported = read_docx(data)
    assert imported.title == "Draft statement"
    assert shown(imported.text) == (
        "The Council [strongly condemns (DEU, FRA) / regrets (TUR)] the attack.",
        "It [remains / stays] seized of the matter.",
        "Agreed wording only.",
        "2026 was a year.",
    )
    assert [p.id for p in imported.text.paragraphs] == ["p1", "p2", "p3", "p4"]


def test_runs_are_joined_and_spaces_collapsed() -> None:
    data = document(("The Council [sha", "ll / sho", "uld]  act\tnow."))
    assert shown(read_docx(data).text) == ("The Council [shall / should] act now.",)


def test_no_title_without_a_title_paragraph() -> None:
    assert read_docx(document("Only [this]")).title is None


def test_deleted_tracked_changes_are_not_read_and_insertions_are() -> None:
    d = docx.Document()
    p = d.add_paragraph("We ")
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    p._p.append(
        parse_xml(
            f'<w:del xmlns:w="{w}" w:id="1" w:author="x"><w:r><w:delText>never</w:delText>'
            "</w:r></w:del>"
        )
    )
    p._p.append(
        parse_xml(
            f'<w:ins xmlns:w="{w}" w:id="2" w:author="x"><w:r><w:t>[act / wait]</w:t></w:r></w:ins>'
        )
    )
    out = io.BytesIO()
    d.save(out)
    assert shown(read_docx(out.getvalue()).text) == ("We [act / wait]",)


def test_a_french_file_is_matched_paragraph_by_paragraph() -> None:
    en = document("The Council [condemns (FRA) / regrets (TUR)].", "Second.", title="T")
    fr = document("Le Conseil [condamne / regrette].", "Deuxième.", title="T (fr)")
    imported = read_docx(en, fr)
    assert imported.title == "T"
    assert shown(imported.text, Language.FR) == (
        "Le Conseil [condamne (FRA) / regrette (TUR)].",
        "Deuxième.",
    )
    assert not any(p.misaligned for p in imported.text.paragraphs)


def test_a_french_file_with_other_brackets_is_refused() -> None:
    en = document("The Council [condemns / regrets].")
    with pytest.raises(InvalidInput, match="paragraph 1: the French brackets do not match"):
        read_docx(en, document("Le Conseil condamne."))
    with pytest.raises(InvalidInput, match="French version has 2 paragraphs"):
        read_docx(en, document("Un.", "Deux."))
    with pytest.raises(InvalidInput, match="French file is not a readable"):
        read_docx(en, b"not a zip")


def test_unbalanced_brackets_name_the_paragraph() -> None:
    with pytest.raises(InvalidInput, match=r"paragraph 2 \(English\) has unbalanced"):
        read_docx(document("1. Fine.", "2. Not [fine.", title="T"))
    with pytest.raises(InvalidInput, match=r"paragraph 1 .* bracket inside a bracket"):
        read_docx(document("a [b [c] / d]"))
    with pytest.raises(InvalidInput, match=r"paragraph 1 .*: FRA holds two alternatives"):
        read_docx(document("a [b (FRA) / c (FRA)]"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a zip archive"),
        (b"PK\x03\x04garbage", "not a zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "encrypted or in the old .doc"),
        (b"x" * (docx_in.MAX_BYTES + 1), "larger than 20 MB"),
    ],
)
def test_unreadable_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_docx(data)


def test_an_empty_document_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no paragraph of text"):
        read_docx(document())
    with pytest.raises(InvalidInput, match="no paragraph of text"):
        read_docx(document("", "  ", title="Only a title"))


def test_too_many_paragraphs_or_too_much_unpacked_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = document("a", "b", "c")
    monkeypatch.setattr(docx_in, "MAX_PARAGRAPHS", 2)
    with pytest.raises(InvalidInput, match="more than 10,000 paragraphs"):
        read_docx(data)
    monkeypatch.setattr(docx_in, "MAX_UNPACKED", 1000)
    with pytest.raises(InvalidInput, match="too large once unpacked"):
        read_docx(data)


def rezip(data: bytes, part: str, content: bytes | None) -> bytes:
    """``data`` with one part replaced (or left out, for ``None``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            if entry.filename != part:
                target.writestr(entry, source.read(entry))
            elif content is not None:
                target.writestr(entry, content)
    return out.getvalue()


VALID = document("1. The Council [shall (FRA) / should] act.", "2. Second.", title="T")


@pytest.mark.parametrize(
    ("part", "content"),
    [
        ("word/document.xml", b"<not xml"),
        ("word/document.xml", b"<?xml version='1.0'?><root/>"),
        ("word/document.xml", None),
        ("[Content_Types].xml", None),
        ("[Content_Types].xml", b"garbage"),
        ("_rels/.rels", b"<Relationships/>"),
    ],
)
def test_damaged_parts_are_refused(part: str, content: bytes | None) -> None:
    with pytest.raises(InvalidInput):
        read_docx(rezip(VALID, part, content))


def test_a_word_document_that_is_not_a_docx_is_refused() -> None:
    types = zipfile.ZipFile(io.BytesIO(VALID)).read("[Content_Types].xml")
    template = types.replace(b"document.main+xml", b"template.main+xml")  # a .dotx
    with pytest.raises(InvalidInput, match="not a Word document"):
        read_docx(rezip(VALID, "[Content_Types].xml", template))


# -- fuzz: nothing but InvalidInput ----------------------------------------------------------


def refused_or_read(data: bytes) -> None:
    with contextlib.suppress(InvalidInput):
        read_docx(data)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_cleanly(data: bytes) -> None:
    refused_or_read(data)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(VALID)))
def test_truncated_documents_are_refused_cleanly(at: int) -> None:
    refused_or_read(VALID[:at])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=8))
def test_corrupted_documents_are_refused_cleanly(flips: list[tuple[int, int]]) -> None:
    data = bytearray(VALID)
    for at, value in flips:
        data[at] = value
    refused_or_read(bytes(data))


XML = st.sampled_from(
    [
        "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'>",
        "<w:body>",
        "</w:body>",
        "<w:p>",
        "</w:p>",
        "<w:r><w:t>",
        "</w:t></w:r>",
        "[",
        "]",
        " / ",
        "(FRA)",
        "text",
        "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
        "&e;",
        "<w:tbl><w:tr><w:tc>",
        "\x00",
        "</w:document>",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(XML, max_size=20).map("".join))
def test_garbage_document_xml_is_refused_cleanly(xml: str) -> None:
    refused_or_read(rezip(VALID, "word/document.xml", xml.encode("utf-8", "replace")))


def test_external_entities_are_not_resolved() -> None:
    xml = (
        "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/hostname'>]>"
        "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'>"
        "<w:body><w:p><w:r><w:t>a &e; b</w:t></w:r></w:p></w:body></w:document>"
    )
    try:
        imported = read_docx(rezip(VALID, "word/document.xml", xml.encode()))
    except InvalidInput:
        return
    assert shown(imported.text) in {("a",), ("a b",)}


# -- writing and the round trip ----------------------------------------------------------------


def test_the_export_carries_title_particulars_banner_numbers_and_highlight() -> None:
    text = parse_text(["The Council [shall (FRA) / should (TUR)] act."], holders=True)
    d = docx.Document(io.BytesIO(write_docx(META, text)))
    section = d.sections[0]
    assert section.header.paragraphs[0].text == "NATO RESTRICTED"
    assert section.footer.paragraphs[0].text == "NATO RESTRICTED"
    styles = [(p.style.name, p.text) for p in d.paragraphs]
    assert styles[0] == ("Title", META.title)
    assert ("Subtitle", "PO(2026)0042-REV2 — Original") in styles
    assert styles[-1] == ("Normal", "1. The Council [shall (FRA) / should (TUR)] act.")
    runs = d.paragraphs[-1].runs
    highlighted = "".join(r.text for r in runs if r.font.highlight_color is not None)
    assert highlighted == "[shall (FRA) / should (TUR)]"
    assert read_docx(write_docx(META, text)).title == META.title


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts(bilingual=True))
def test_round_trip_through_word_keeps_the_text(text: Text) -> None:
    english = read_docx(write_docx(META, text))
    assert shown(english.text) == shown(text)
    both = read_docx(write_docx(META, text), write_docx(META, text, Language.FR))
    assert shown(both.text) == shown(text)
    assert shown(both.text, Language.FR) == shown(text, Language.FR)
    assert [len(p.brackets()) for p in both.text.paragraphs] == [
        len(p.brackets()) for p in text.paragraphs
    ]


def test_wordings_that_look_like_holders_survive_the_round_trip() -> None:
    text = parse_text(
        ["See [the United States (USA) () / (FRA)] and [f () () (DEU) / g]."], holders=True
    )
    assert shown(read_docx(write_docx(META, text)).text) == shown(text)


DOCUMENT_XML = zipfile.ZipFile(io.BytesIO(VALID)).read("word/document.xml")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(DOCUMENT_XML) - 1), st.sampled_from(b"<>/[]()&;\"'x\x00 ")),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_document_xml_is_refused_cleanly(flips: list[tuple[int, int]]) -> None:
    xml = bytearray(DOCUMENT_XML)
    for at, value in flips:
        xml[at] = value
    refused_or_read(rezip(VALID, "word/document.xml", bytes(xml)))


def test_a_paragraph_not_yet_translated_is_written_as_its_number_alone() -> None:
    text = parse_text(["One [a / b].", "Two.", "Three."], ["Un [a / b].", "", "Trois."])
    french = write_docx(META, text, Language.FR)
    assert [p.text for p in docx.Document(io.BytesIO(french)).paragraphs][-3:] == [
        "1. Un [a / b].",
        "2.",
        "3. Trois.",
    ]
    again = read_docx(write_docx(META, text), french)
    assert again.text == text
    assert again.text.paragraphs[1].fr == ()
    with pytest.raises(InvalidInput, match="paragraph 2 is empty"):
        read_docx(french)
