"""Negotiating a text through the pages: reading it with its brackets and holders, "my
brackets", proposing, holding, stances, the chair's decisions and revisions, comparing,
exporting; refusals, invisibility to those who may not read, and constant query counts."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from concord.documents.models import Amendment, Document, TextMark
from concord.records.models import AuditEvent, Decision
from concord.services import demo, documents, procedures, texts
from tests.factories import BodyFactory, UserFactory, delegate, secretary, verified_login

NOW = datetime.now(UTC)


@pytest.fixture
def council(db):
    demo.seed_states()
    return BodyFactory(code="NAC", name="North Atlantic Council", kind="council")


def _draft(council, paragraphs: int = 3, **kw) -> Document:
    """A draft whose first paragraph has a bracket b1, and every third paragraph after the
    first two one more bracket; paragraph 2 is plain."""
    text = [
        (
            "Allies [will / may] diversify their energy supplies.",
            "Les Alliés [diversifieront / pourront diversifier] leurs approvisionnements.",
        ),
        ("The Council will review progress.", "Le Conseil fera le point."),
    ]
    for i in range(3, paragraphs + 1):
        text.append(
            (
                f"Allies [condemn / deplore] incident {i}.",
                f"Les Alliés [condamnent / déplorent] l'incident {i}.",
            )
        )
    return documents.register(
        by=secretary(),
        body=council,
        series_code="PO",
        title="Draft statement on energy security",
        paragraphs=text,
        **kw,
    ).document


def _events(document) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject=f"document:{document.reference}")
        .exclude(tag="access.refused")
        .order_by("seq")
        .values_list("tag", flat=True)
    )


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def test_a_delegate_and_the_chair_negotiate_through_the_pages(client, council):
    draft = _draft(council)
    ref = str(draft.reference)
    fra, deu, chair = delegate("FRA"), delegate("DEU"), council.chair
    texts.hold(by=deu, document=draft, bracket="b2", alternative=2)

    # a delegate reads the text: brackets with their holders
    verified_login(client, fra)
    client.post(f"/documents/{ref}/brackets/b1/", {"alternative": "1"})
    html = _html(client.get(f"/documents/{ref}/text/"))
    assert 'data-bracket="b1"' in html and 'data-bracket="b2"' in html
    assert 'class="bracket mine" data-bracket="b1"' in html  # FRA holds an alternative of b1
    assert 'class="bracket" data-bracket="b2"' in html
    assert re.search(r"will<sup class=\"holders\">FRA</sup>", html)
    assert re.search(r"deplore<sup class=\"holders\">DEU</sup>", html)
    assert "2 open brackets" in html and 'href="/documents/' + ref + '/text/?mine=1"' in html
    # "my brackets": only those France holds
    mine = _html(client.get(f"/documents/{ref}/text/?mine=1"))
    assert 'data-bracket="b1"' in mine and 'data-bracket="b2"' not in mine
    assert "1 open bracket" in mine and 'id="para-p2"' not in mine
    assert "Show the whole text" in mine

    # proposes an amendment through the form
    response = client.post(
        f"/documents/{ref}/amendments/",
        {
            "revision": "0",
            "op": "replace_span",
            "paragraph": "p2",
            "language": "en",
            "occurrence": "1",
            "old": "review progress",
            "new": "review progress every six months",
            "rationale": "A date gives the review teeth.",
        },
        follow=True,
    )
    html = _html(response)
    assert "Done." in html and 'id="amendment-A1" data-state="proposed"' in html
    assert "A date gives the review teeth." in html and "“review progress”" in html
    (a1,) = Amendment.objects.filter(document=draft)
    assert (a1.label, a1.delegation_id, a1.state) == ("A1", "FRA", "proposed")
    # holds the other alternative, and records a stance
    client.post(f"/documents/{ref}/brackets/b1/", {"alternative": "2"})
    response = client.post(
        f"/documents/{ref}/paragraphs/p2/stance/", {"stance": "cannot_agree"}, follow=True
    )
    html = _html(response)
    assert "Holding out: FRA" in html
    assert re.search(r'<option value="cannot_agree" selected>', html)
    assert re.search(r"may<sup class=\"holders\">FRA</sup>", html)
    assert _events(draft) == [
        "document.registered",
        "text.bracket.held",
        "text.bracket.held",
        "text.amendment.proposed",
        "text.bracket.held",
        "text.paragraph.stance_recorded",
    ]

    # the chair accepts and issues a revision, cleaning b1
    client.logout()
    verified_login(client, chair)
    html = _html(client.get(f"/documents/{ref}/text/"))
    assert f'action="/documents/{ref}/amendments/A1/accept/"' in html
    assert 'name="clean-b1"' in html and 'name="clean-b2"' in html
    html = _html(client.post(f"/documents/{ref}/amendments/A1/accept/", follow=True))
    assert 'id="amendment-A1" data-state="accepted"' in html
    assert "1 accepted amendment will be applied." in html
    response = client.post(
        f"/documents/{ref}/revise/",
        {"revision": "0", "clean-b1": "2", "clean-b2": "", "note": "b1 cleaned"},
        follow=True,
    )
    html = _html(response)
    assert "Done." in html
    rev1 = draft.revisions.get(number=1)
    assert rev1.note == "b1 cleaned" and Amendment.objects.get(pk=a1.pk).applied_in == rev1

    # the new revision's page: b1 is gone, its wording settled, the amendment applied
    html = _html(client.get(f"/documents/{ref}-REV1/text/"))
    assert 'data-bracket="b1"' not in html and 'data-bracket="b2"' in html
    assert "Allies may diversify their energy supplies." in html
    assert "review progress every six months" in html
    assert f"(in {ref}-REV1)" in html
    assert "1 open bracket" in html
    # the earlier revision is shown as issued, and cannot be changed
    old = _html(client.get(f"/documents/{ref}/text/?revision=0"))
    assert "This is an earlier revision" in old and 'data-bracket="b1"' in old
    assert "Issue the next revision" not in old

    # the comparison marks what was deleted and inserted
    html = _html(client.get(f"/documents/{ref}/compare/?from=0&to=1"))
    assert f"Changes from {ref} to {ref}-REV1" in html
    assert "<ins>every six months</ins>" in html.replace("<ins> ", "<ins>")
    assert re.search(r"<del>[^<]*\[", html) and "<ins>" in html
    same = _html(client.get(f"/documents/{ref}/compare/?from=1&to=1"))
    assert "No difference in wording." in same
    assert _events(draft)[-2:] == ["text.amendment.accepted", "document.revised"]


def _href(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(1).replace("&amp;", "&")


def test_links_and_live_updates_follow_the_revision_shown(client, council):
    draft = _draft(council)
    ref = str(draft.reference)
    texts.issue(by=council.chair, document=draft, cleaned={"b1": 1})
    verified_login(client, delegate("FRA"))
    latest = _html(client.get(f"/documents/{ref}-REV1/text/"))
    # the latest revision's live region follows the document to its next revision
    live = _href(latest, r'data-live-src="([^"]*)"')
    assert live == f"/documents/{ref}/text/live/?shown=1"
    assert "has been issued since this page was opened" not in _html(client.get(live))
    assert "REV1" in _docx_text(client.get(_href(latest, r'href="([^"]*)">DOCX<')).content)
    # revision 0 is reachable from the list of revisions, and is what its links speak of
    old = _html(client.get(_href(latest, r'href="([^"]*/text/[^"]*)">' + re.escape(ref) + "<")))
    assert "This is an earlier revision" in old and 'data-bracket="b1"' in old
    assert "Original" in _docx_text(client.get(_href(old, r'href="([^"]*)">DOCX<')).content)
    mine = _html(client.get(_href(old, r'href="([^"]*)">My brackets<')))
    assert "This is an earlier revision" in mine
    pinned = _href(old, r'data-live-src="([^"]*)"')
    texts.issue(by=council.chair, document=draft, cleaned={"b2": 2})
    assert 'data-bracket="b1"' in _html(client.get(pinned))
    fragment = _html(client.get(live))
    assert 'data-bracket="b2"' not in fragment and "deplore incident 3." in fragment
    # the page opened on REV1 says that the text below it is now REV2
    assert f"{ref}-REV2 has been issued since this page was opened on {ref}-REV1" in fragment


def test_refusals_change_nothing_and_are_recorded(client, council):
    draft = _draft(council)
    ref = str(draft.reference)
    fra = delegate("FRA")
    texts.propose(
        by=delegate("DEU"),
        document=draft,
        rationale="Shorter.",
        op="delete_paragraph",
        paragraph="p2",
    )
    verified_login(client, fra)
    before = _events(draft)
    refused = AuditEvent.objects.filter(tag="access.refused").count()
    for url, data in (
        (f"/documents/{ref}/amendments/A1/accept/", {}),
        (f"/documents/{ref}/amendments/A1/withdraw/", {}),
        (f"/documents/{ref}/revise/", {"clean-b1": "1"}),
        (f"/documents/{ref}/paragraphs/p1/align/", {}),
        (f"/documents/{ref}/brackets/b1/", {"alternative": "1", "state": "DEU"}),
    ):
        html = _html(client.post(url, data, follow=True))
        assert 'class="message error"' in html or "message error" in html, url
        assert "Done." not in html, url
    html = _html(client.post(f"/documents/{ref}/amendments/A1/accept/", follow=True))
    assert "neither chairs nor serves NAC" in html
    assert Amendment.objects.get(document=draft).state == "proposed"
    assert draft.revisions.count() == 1 and not TextMark.objects.exists()
    assert _events(draft) == before
    assert AuditEvent.objects.filter(tag="access.refused").count() == refused + 6
    # a bad amendment is an error message too, and writes nothing
    html = _html(
        client.post(
            f"/documents/{ref}/amendments/",
            {"op": "replace_span", "paragraph": "p2", "old": "not there", "new": "x"},
            follow=True,
        )
    )
    assert "rationale" in html and Amendment.objects.count() == 1
    html = _html(
        client.post(
            f"/documents/{ref}/amendments/",
            {"op": "replace_span", "paragraph": "p2", "old": "not there", "rationale": "r"},
            follow=True,
        )
    )
    assert "message error" in html and Amendment.objects.count() == 1
    assert _events(draft) == before


def test_who_may_not_read_the_document_gets_404_everywhere(client, council):
    draft = _draft(council)
    ref = str(draft.reference)
    texts.propose(
        by=delegate("DEU"), document=draft, rationale="r", op="delete_paragraph", paragraph="p2"
    )
    outsider = UserFactory(username="jpn-delegate", role="partner_delegate", state_id="JPN")
    verified_login(client, outsider)
    before = AuditEvent.objects.exclude(tag="account.signed_in").count()
    for url in (
        f"/documents/{ref}/text/",
        f"/documents/{ref}/text/?mine=1",
        f"/documents/{ref}-REV0/text/",
        f"/documents/{ref}/text/live/",
        f"/documents/{ref}/compare/",
        f"/documents/{ref}/compare/?from=0&to=0",
        f"/documents/{ref}/export/docx/",
        f"/documents/{ref}/export/pdf/",
        f"/documents/{ref}/export/html/",
        f"/live/document:{ref}/",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"/documents/{ref}/amendments/", {"op": "delete_paragraph", "paragraph": "p1"}),
        (f"/documents/{ref}/amendments/A1/accept/", {}),
        (f"/documents/{ref}/amendments/A1/withdraw/", {}),
        (f"/documents/{ref}/brackets/b1/", {"alternative": "1"}),
        (f"/documents/{ref}/paragraphs/p1/stance/", {"stance": "can_agree"}),
        (f"/documents/{ref}/paragraphs/p1/align/", {}),
        (f"/documents/{ref}/revise/", {"clean-b1": "1"}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert AuditEvent.objects.exclude(tag="account.signed_in").count() == before
    assert Amendment.objects.get(document=draft).state == "proposed"
    assert draft.revisions.count() == 1 and not TextMark.objects.exists()
    # a document that does not exist answers the same
    assert client.get("/documents/PO(1999)0001/text/").status_code == 404
    assert client.get("/documents/not-a-reference/text/").status_code == 404


def _grow(council, paragraphs: int) -> Document:
    """A draft with brackets held on both sides, amendments in every state and stances."""
    draft = _draft(council, paragraphs)
    chair = council.chair
    fra, deu = delegate("FRA"), delegate("DEU")
    keys = [f"p{i}" for i in range(1, paragraphs + 1)]
    for i in range(1, paragraphs):  # b1 in p1, then one bracket in each of p3, p4, ...
        texts.hold(by=fra, document=draft, bracket=f"b{i}", alternative=1)
        if i % 5 == 1:
            texts.hold(by=deu, document=draft, bracket=f"b{i}", alternative=2)
    for i, key in enumerate(keys):
        if i % 2:
            texts.record_stance(by=deu, document=draft, paragraph=key, stance="cannot_agree")
        texts.propose(
            by=deu if i % 2 else fra,
            document=draft,
            rationale=f"reason {i}",
            op="delete_paragraph" if i % 3 == 2 else "replace_span",
            paragraph=key,
            old="Allies" if key != "p2" else "Council",
            new="[The Allies / All Allies]",
        )
    texts.decide(by=chair, document=draft, label="A1", action="accept")
    texts.decide(by=chair, document=draft, label="A2", action="reject")
    texts.decide(by=deu, document=draft, label="A4", action="withdraw")
    return draft


def test_the_text_page_and_fragment_run_a_constant_number_of_queries(client, council):
    few_doc, many_doc = _grow(council, 5), _grow(council, 60)
    assert Amendment.objects.filter(document=many_doc).count() == 60
    for user in (delegate("FRA"), council.chair):
        client.logout()
        verified_login(client, user)
        for suffix in ("text/", "text/live/", "text/?mine=1", "text/live/?mine=1"):
            few = _queries(client, f"/documents/{few_doc.reference}/{suffix}")
            many = _queries(client, f"/documents/{many_doc.reference}/{suffix}")
            assert few == many, (user.username, suffix, few, many)
        html = _html(client.get(f"/documents/{many_doc.reference}/text/"))
        assert html.count('class="bracket-row"') == 59 and 'id="amendment-A60"' in html
        assert "Holding out: DEU" in html


def _docx_text(data: bytes) -> str:
    import docx

    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in d.sections:
        parts += [p.text for p in section.header.paragraphs]
        parts += [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


def test_exports_of_a_revision(client, council):
    draft = _draft(council, classification=2)
    ref = str(draft.reference)
    verified_login(client, delegate("FRA"))
    docx = client.get(f"/documents/{ref}/export/docx/")
    assert docx.status_code == 200
    assert docx["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert docx["Content-Disposition"].startswith("attachment; filename=")
    words = _docx_text(docx.content)
    assert ref in words and "diversify their energy supplies" in words
    assert "RESTRICTED" in words
    french = _docx_text(client.get(f"/documents/{ref}/export/docx/?language=fr").content)
    assert "approvisionnements" in french
    pdf = client.get(f"/documents/{ref}/export/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    html = client.get(f"/documents/{ref}/export/html/")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert "RESTRICTED" in html.content.decode() and ref in html.content.decode()
    # an unknown format or revision is not found
    assert client.get(f"/documents/{ref}/export/odt/").status_code == 404
    assert client.get(f"/documents/{ref}-REV7/export/pdf/").status_code == 404


def _adopted(council) -> Decision:
    revision = documents.register(
        by=secretary(),
        body=council,
        series_code="PO",
        title="Communiqué on freedom of navigation",
        paragraphs=[("Allies reaffirm freedom of navigation.", "Les Alliés réaffirment.")],
    )
    p = procedures.open_silence(
        by=council.chair,
        body=council,
        revision=revision,
        expires_at=NOW - timedelta(days=1),
        now=NOW - timedelta(days=2),
    )
    procedures.record_due_outcomes(NOW)
    return Decision.objects.get(procedure=p)


def test_decision_sheet_exports_carry_the_text_digest(client, council):
    decision = _adopted(council)
    verified_login(client, delegate("FRA"))
    pdf = client.get(f"/decisions/{decision.number}/export/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert decision.text_sha256.encode() in _pdf_text(pdf.content)
    docx = client.get(f"/decisions/{decision.number}/export/docx/")
    assert docx.status_code == 200 and docx["Content-Type"].endswith("wordprocessingml.document")
    words = _docx_text(docx.content)
    assert decision.text_sha256 in words.replace("\n", "").replace(" ", "")
    assert decision.number in words
    assert client.get(f"/decisions/{decision.number}/export/html/").status_code == 404
    assert client.get("/decisions/NONE-0000/export/pdf/").status_code == 404


def _pdf_text(data: bytes) -> bytes:
    """The PDF with its content streams decoded (ASCII85, then deflated, as reportlab writes
    them)."""
    import base64
    import zlib

    out = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)~>\s*endstream", data, re.S):
        out.append(zlib.decompress(base64.a85decode(match.group(1), ignorechars=b" \t\r\n")))
    return b"\n".join(out)


def test_amendments_to_a_withheld_paragraph_do_not_show_its_words(client, council):
    from concord.documents.models import Paragraph

    draft = _draft(council)
    ref = str(draft.reference)
    Paragraph.objects.filter(revision__document=draft, key="p2").update(classification=4)
    texts.propose(
        by=delegate("FRA"),
        document=draft,
        rationale="Add the date of the review.",
        op="replace_span",
        paragraph="p2",
        old="review progress",
        new="review progress every six months",
    )
    uncleared = delegate("DEU", clearance=2)
    verified_login(client, uncleared)
    for url in (f"/documents/{ref}/text/", f"/documents/{ref}/text/live/"):
        html = _html(client.get(url))
        assert 'id="amendment-A1"' in html and "Paragraph withheld" in html
        assert "review" not in html and "six months" not in html, url
        assert "Add the date" not in html, url
    client.logout()
    verified_login(client, delegate("FRA"))
    html = _html(client.get(f"/documents/{ref}/text/"))
    assert "“review progress”" in html and "Add the date of the review." in html


def test_the_secretariat_registers_a_word_draft_from_the_documents_page(client, council):
    from concord.domain import negotiation as core
    from concord.formats.docx_out import ExportMeta, write_docx

    text = core.parse_text(
        ["Allies [will (FRA) / may] act.", "The Council reviews progress."], holders=True
    )
    meta = ExportMeta(reference="", title="Uploaded draft", marking="", body="", issued="")
    data = write_docx(meta, text, core.Language.EN)
    sec = secretary()
    verified_login(client, sec)
    page = _html(client.get("/documents/"))
    assert 'action="/documents/import/"' in page and 'enctype="multipart/form-data"' in page
    form = {"body": "NAC", "series": "PO", "classification": "RESTRICTED"}
    bad = client.post("/documents/import/", {**form, "draft": io.BytesIO(b"PK\x00broken")})
    assert bad.status_code == 302 and bad["Location"].endswith("/documents/#import")
    assert "not a readable .docx" in _html(client.get("/documents/"))
    assert not Document.objects.exists()
    nul = client.post("/documents/import/", {**form, "title": "a\x00b", "draft": io.BytesIO(data)})
    assert nul.status_code == 400 and not Document.objects.exists()
    good = client.post("/documents/import/", {**form, "draft": io.BytesIO(data)})
    document = Document.objects.get()
    assert good["Location"] == f"/documents/{document.reference}/text/"
    assert document.title == "Uploaded draft" and document.classification == 2
    html = _html(client.get(good["Location"]))
    assert re.search(r"will<sup class=\"holders\">FRA</sup>", html)
    # a delegate has no upload form, and posting one is refused
    client.logout()
    verified_login(client, delegate("FRA"))
    assert "/documents/import/" not in _html(client.get("/documents/"))
    refused = client.post("/documents/import/", {**form, "draft": io.BytesIO(data)})
    assert refused.status_code == 302 and Document.objects.count() == 1


def test_a_withheld_paragraph_stays_withheld_after_it_is_deleted_and_cannot_be_probed(
    client, council
):
    from concord.documents.models import Paragraph
    from concord.domain.errors import NotFound

    draft = _draft(council, paragraphs=3)
    ref = str(draft.reference)
    Paragraph.objects.filter(revision__document=draft, key="p2").update(classification=4)
    fra, uncleared = delegate("FRA"), delegate("DEU", clearance=2)
    before = AuditEvent.objects.count()
    # guessing words of a paragraph one may not read, or acting on it, learns nothing
    for action in (
        lambda: texts.propose(
            by=uncleared,
            document=draft,
            rationale="r",
            op="delete_span",
            paragraph="p2",
            old="review progress",
        ),
        lambda: texts.propose(
            by=uncleared,
            document=draft,
            rationale="r",
            op="delete_span",
            paragraph="p2",
            old="not there",
        ),
        lambda: texts.record_stance(
            by=uncleared, document=draft, paragraph="p2", stance="cannot_agree"
        ),
    ):
        with pytest.raises(NotFound, match="paragraph p2 is not in the text"):
            action()
    assert AuditEvent.objects.count() == before and not Amendment.objects.exists()
    # an amendment to the secret paragraph, then the paragraph deleted: its words stay hidden
    texts.propose(
        by=fra, document=draft, rationale="Secret rationale", op="replace_span",
        paragraph="p2", old="review progress", new="review progress in secret",
    )  # fmt: skip
    texts.propose(
        by=fra, document=draft, rationale="Drop it", op="delete_paragraph", paragraph="p2"
    )
    texts.decide(by=council.chair, document=draft, label="A2", action="accept")
    texts.issue(by=council.chair, document=draft)
    verified_login(client, uncleared)
    html = _html(client.get(f"/documents/{ref}/text/"))
    assert 'id="amendment-A1"' in html and "Secret rationale" not in html
    assert "in secret" not in html and "review progress" not in html
    # numbers typed in other scripts never crash a page
    for url in (
        f"/documents/{ref}/text/?shown=²",
        f"/documents/{ref}/text/?revision=²",
        f"/documents/{ref}/compare/?from=²&to=1",
        f"/documents/{ref}/text/?revision=\u0661",  # ARABIC-INDIC DIGIT ONE
    ):
        assert client.get(url).status_code in (200, 404), url
