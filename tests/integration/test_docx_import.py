"""Word drafts registered through the service: brackets and holders survive, and a malformed file
never writes anything (no document, no reference number used, no audit event)."""

from __future__ import annotations

import functools
import io
import zipfile

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from concord.documents.models import Document, ReferenceCounter
from concord.domain import negotiation as core
from concord.domain.errors import InvalidInput
from concord.formats.docx_out import ExportMeta, write_docx
from concord.records.models import AuditEvent
from concord.services import exports, texts
from tests.factories import secretary

pytestmark = pytest.mark.django_db

SOURCE = core.parse_text(
    [
        "Allies [will (FRA, POL) / should (DEU)] act together.",
        "The Council [notes (USA) / welcomes] the report.",
    ],
    [
        "Les Alliés [agiront / devraient agir] ensemble.",
        "Le Conseil [prend note du / se félicite du] rapport.",
    ],
    holders=True,
)
META = ExportMeta(
    reference="PO(2026)0001", title="A draft", marking="NATO UNCLASSIFIED", body="NAC", issued=""
)


@functools.cache
def _files() -> tuple[bytes, bytes]:
    return write_docx(META, SOURCE, core.Language.EN), write_docx(META, SOURCE, core.Language.FR)


def test_a_draft_keeps_its_brackets_and_holders(council):
    en, fr = _files()
    revision = exports.import_docx(
        by=secretary(), body=council, series_code="PO", data=en, french=fr
    )
    assert revision.document.title == "A draft"
    text = texts.working_text(revision)
    brackets = core.open_brackets(text)
    assert [[a.en for a in b.alternatives] for b in brackets] == [
        ["will", "should"],
        ["notes", "welcomes"],
    ]
    assert [[sorted(a.holders) for a in b.alternatives] for b in brackets] == [
        [["FRA", "POL"], ["DEU"]],
        [["USA"], []],
    ]
    assert brackets[0].alternatives[1].fr == "devraient agir"
    assert not core.misaligned(text)
    assert AuditEvent.objects.filter(tag="document.registered").count() == 1


def _nothing_written() -> None:
    assert not Document.objects.exists()
    assert not ReferenceCounter.objects.filter(last_number__gt=0).exists()
    assert not AuditEvent.objects.exists()


def _mutations(data: bytes) -> st.SearchStrategy[bytes]:
    truncated = st.integers(0, len(data) - 1).map(lambda n: data[:n])
    flipped = st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)).map(
        lambda t: data[: t[0]] + bytes([data[t[0]] ^ t[1]]) + data[t[0] + 1 :]
    )
    return st.one_of(truncated, flipped, st.binary(max_size=2000))


def _with_document_xml(data: bytes, body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            payload = body if item.filename == "word/document.xml" else source.read(item)
            target.writestr(item, payload)
    return out.getvalue()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_malformed_file_is_refused_and_writes_nothing(council, data):
    en, _fr = _files()
    broken = data.draw(_mutations(en))
    by = _secretary()
    with transaction.atomic():
        try:
            exports.import_docx(by=by, body=council, series_code="PO", data=broken)
        except InvalidInput:
            _nothing_written()
        else:  # a flip that left the draft readable: then it is registered whole
            assert Document.objects.count() == 1
            assert AuditEvent.objects.filter(tag="document.registered").count() == 1
        transaction.set_rollback(True)


def _secretary():
    from concord.alliance.models import User

    return User.objects.filter(username="secretary").first() or secretary()


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'/>",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
    ],
)
def test_a_damaged_document_part_writes_nothing(council, body):
    en, _fr = _files()
    with pytest.raises(InvalidInput):
        exports.import_docx(
            by=_secretary(), body=council, series_code="PO", data=_with_document_xml(en, body)
        )
    _nothing_written()


def test_unbalanced_brackets_name_the_paragraph_and_write_nothing(council):
    text = core.Text((core.Paragraph("p1", ("Fine.",)), core.Paragraph("p2", ("Also fine.",))))
    en = write_docx(META, text, core.Language.EN)
    body = zipfile.ZipFile(io.BytesIO(en)).read("word/document.xml")
    damaged = _with_document_xml(en, body.replace(b"Also fine.", b"Also [fine."))
    with pytest.raises(InvalidInput, match="paragraph 2"):
        exports.import_docx(by=_secretary(), body=council, series_code="PO", data=damaged)
    _nothing_written()
