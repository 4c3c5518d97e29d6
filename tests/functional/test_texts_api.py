"""Negotiating a text through the REST API with tokens: reading it with "my brackets",
amendments and decisions, holders, stances, alignment, revisions under If-Match, diffs and
exports; problems for bad input, refusals and documents one may not read."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from concord.documents.models import Amendment, Document, TextMark
from concord.records.models import AuditEvent, Decision
from concord.services import demo, documents, procedures, texts, tokens
from tests.factories import BodyFactory, UserFactory, delegate, secretary

NOW = datetime.now(UTC)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def council(db):
    demo.seed_states()
    return BodyFactory(code="NAC", name="North Atlantic Council", kind="council")


@pytest.fixture
def draft(council) -> Document:
    return documents.register(
        by=secretary(),
        body=council,
        series_code="PO",
        title="Draft statement on energy security",
        paragraphs=[
            (
                "Allies [will / may] diversify their energy supplies.",
                "Les Alliés [diversifieront / pourront diversifier] leurs approvisionnements.",
            ),
            ("The Council will review progress.", "Le Conseil fera le point."),
            ("Allies [condemn / deplore] the attacks.", "Les Alliés [condamnent / déplorent]."),
        ],
        classification=2,
    ).document


def _client(user, scope="read") -> Client:
    plain, _token = tokens.create(user=user, scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def _json(response):
    return json.loads(response.content)


def _post(client, url, data=None, **headers):
    return client.post(url, data or {}, content_type="application/json", **headers)


def _problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    body = _json(response)
    assert body["status"] == status and body["detail"]
    return body


def _written(document) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject=f"document:{document.reference}")
        .order_by("seq")
        .values_list("tag", flat=True)
    )


AMENDMENT = {
    "op": "replace_span",
    "paragraph": "p2",
    "old": "review progress",
    "new": "review progress [every six months / yearly]",
    "rationale": "A date gives the review teeth.",
}


def test_a_read_token_cannot_write(draft):
    ref = str(draft.reference)
    reader = _client(delegate("FRA"), "read")
    before = _written(draft)
    for url, data in (
        (f"/api/documents/{ref}/amendments", AMENDMENT),
        (f"/api/documents/{ref}/brackets/b1/holders", {"alternative": 1}),
        (f"/api/documents/{ref}/paragraphs/p1/stance", {"stance": "can_agree"}),
    ):
        _problem(_post(reader, url, data), 403)
    assert _written(draft) == before and not Amendment.objects.exists()
    assert AuditEvent.objects.filter(tag="access.refused").count() == 3
    assert reader.get(f"/api/documents/{ref}/negotiation").status_code == 200


def test_the_whole_negotiation_through_the_api(draft, council):
    ref = str(draft.reference)
    fra, deu = _client(delegate("FRA"), "write"), _client(delegate("DEU"), "write")
    chair = _client(council.chair, "write")

    # reading: the text, its brackets and their holders, and "my brackets"
    held = _post(fra, f"/api/documents/{ref}/brackets/b1/holders", {"alternative": 1})
    assert held.status_code == 200
    (b1, _b2) = _json(held)["open_brackets"]
    assert [a["holders"] for a in b1["alternatives"]] == [["FRA"], []]
    _post(deu, f"/api/documents/{ref}/brackets/b2/holders", {"alternative": 2})
    response = fra.get(f"/api/documents/{ref}/negotiation")
    assert response.status_code == 200 and response["ETag"] == f'"d{draft.pk}-r0"'
    text = _json(response)
    assert (text["reference"], text["revision"], text["latest"]) == (ref, 0, True)
    assert [b["bracket"] for b in text["open_brackets"]] == ["b1", "b2"]
    assert text["paragraphs"][0]["en"] == "Allies [will / may] diversify their energy supplies."
    assert not text["ready_for_decision"] and "b1" in text["blocker"]
    for held_by in ("FRA", "fra"):
        mine = _json(fra.get(f"/api/documents/{ref}/negotiation?held_by={held_by}"))
        assert [b["bracket"] for b in mine["open_brackets"]] == ["b1"]
    deu_brackets = _json(fra.get(f"/api/documents/{ref}/negotiation?held_by=DEU"))
    assert [b["bracket"] for b in deu_brackets["open_brackets"]] == ["b2"]
    released = _post(fra, f"/api/documents/{ref}/brackets/b1/holders", {"alternative": None})
    assert _json(released)["open_brackets"][0]["alternatives"][0]["holders"] == []
    _post(fra, f"/api/documents/{ref}/brackets/b1/holders", {"alternative": 2})

    # proposing
    proposed = _post(fra, f"/api/documents/{ref}/amendments", {**AMENDMENT, "revision": 0})
    assert proposed.status_code == 201, proposed.content
    a1 = _json(proposed)
    assert (a1["label"], a1["delegation"], a1["state"]) == ("A1", "FRA", "proposed")
    assert a1["proposed_against"] == ref and a1["proposed_by"] == "fra-delegation_head"
    assert a1["change"]["op"] == "replace_span" and a1["applied_in"] is None
    listed = _json(deu.get(f"/api/documents/{ref}/amendments"))
    assert [a["label"] for a in listed] == ["A1"]
    a2 = _json(
        _post(
            deu,
            f"/api/documents/{ref}/amendments",
            {"op": "delete_paragraph", "paragraph": "p3", "rationale": "Not needed."},
        )
    )
    assert a2["label"] == "A2" and a2["paragraph_number"] == 3

    # stances
    stance = _post(fra, f"/api/documents/{ref}/paragraphs/p1/stance", {"stance": "cannot_agree"})
    assert stance.status_code == 200
    p1 = _json(stance)["paragraphs"][0]
    assert p1["stances"] == {"FRA": "cannot_agree"} and p1["holding_out"] == ["FRA"]
    _post(fra, f"/api/documents/{ref}/paragraphs/p2/stance", {"stance": "can_agree"})
    assert _json(fra.get(f"/api/documents/{ref}/negotiation"))["agreed_so_far"] == ["p2"]

    # the chair decides; a delegation may only withdraw its own
    _problem(_post(fra, f"/api/documents/{ref}/amendments/A1/decision", {"action": "accept"}), 403)
    _problem(
        _post(fra, f"/api/documents/{ref}/amendments/A2/decision", {"action": "withdraw"}), 403
    )
    accepted = _post(chair, f"/api/documents/{ref}/amendments/a1/decision", {"action": "accept"})
    assert accepted.status_code == 200 and _json(accepted)["state"] == "accepted"
    rejected = _post(chair, f"/api/documents/{ref}/amendments/A2/decision", {"action": "reject"})
    assert _json(rejected)["state"] == "rejected"
    _problem(
        _post(chair, f"/api/documents/{ref}/amendments/A9/decision", {"action": "reject"}), 404
    )
    _problem(_post(chair, f"/api/documents/{ref}/amendments/A1/decision", {"action": "dance"}), 422)

    # the chair issues a revision under If-Match
    etag = chair.get(f"/api/documents/{ref}/negotiation")["ETag"]
    issue = {"cleaned": {"b1": 2}, "note": "b1 cleaned"}
    _problem(_post(chair, f"/api/documents/{ref}/revisions", issue), 428)
    _problem(
        _post(chair, f"/api/documents/{ref}/revisions", issue, HTTP_IF_MATCH='"d999999-r0"'), 412
    )
    _problem(_post(fra, f"/api/documents/{ref}/revisions", issue, HTTP_IF_MATCH=etag), 403)
    revised = _post(chair, f"/api/documents/{ref}/revisions", issue, HTTP_IF_MATCH=etag)
    assert revised.status_code == 201, revised.content
    assert revised["ETag"] == f'"d{draft.pk}-r1"' != etag
    rev1 = _json(revised)
    assert (rev1["reference"], rev1["revision"], rev1["latest"]) == (f"{ref}-REV1", 1, True)
    assert rev1["paragraphs"][0]["en"] == "Allies may diversify their energy supplies."
    assert rev1["paragraphs"][1]["en"] == (
        "The Council will review progress [every six months / yearly]."
    )
    # in the order of the text: the amendment's new bracket b3 is in paragraph 2
    assert [(b["bracket"], b["number"]) for b in rev1["open_brackets"]] == [("b3", 2), ("b2", 3)]
    assert {a["label"]: a["applied_in"] for a in rev1["amendments"]} == {
        "A1": f"{ref}-REV1",
        "A2": None,
    }
    # the same ETag again is stale now: nothing is issued twice
    stale = _post(chair, f"/api/documents/{ref}/revisions", issue, HTTP_IF_MATCH=etag)
    assert _problem(stale, 412)["code"] == "precondition_failed"
    assert draft.revisions.count() == 2
    # an earlier revision is still there, as issued
    old = _json(fra.get(f"/api/documents/{ref}/negotiation?revision=0"))
    assert old["latest"] is False and old["open_brackets"][0]["bracket"] == "b1"
    assert _json(fra.get(f"/api/documents/{ref}-REV0/negotiation"))["revision"] == 0

    # alignment: the English of paragraph 2 changed, the French did not
    assert rev1["paragraphs"][1]["aligned"] is False
    _problem(_post(fra, f"/api/documents/{ref}/paragraphs/p2/alignment"), 403)
    aligned = _post(chair, f"/api/documents/{ref}/paragraphs/p2/alignment")
    assert aligned.status_code == 200 and _json(aligned)["paragraphs"][1]["aligned"] is True

    # the word-level diff
    diff = fra.get(f"/api/documents/{ref}/diff?old=0&new=1")
    assert diff.status_code == 200
    body = _json(diff)
    assert (body["old"], body["new"]) == (0, 1)
    changes = {p["paragraph"]: p for p in body["paragraphs"]}
    assert set(changes) == {"p1", "p2"} and changes["p2"]["change"] == "changed"
    runs = changes["p2"]["en"]
    assert any(r["kind"] == "insert" and "every six months" in r["text"] for r in runs)
    assert any(r["kind"] == "delete" for r in changes["p1"]["en"])
    assert _json(fra.get(f"/api/documents/{ref}/diff?old=1&new=1"))["paragraphs"] == []
    _problem(fra.get(f"/api/documents/{ref}/diff?old=0&new=7"), 404)
    _problem(fra.get(f"/api/documents/{ref}/diff?old=0"), 422)

    assert _written(draft) == [
        "document.registered",
        "text.bracket.held",
        "text.bracket.held",
        "text.bracket.released",
        "text.bracket.held",
        "text.amendment.proposed",
        "text.amendment.proposed",
        "text.paragraph.stance_recorded",
        "text.paragraph.stance_recorded",
        "text.amendment.accepted",
        "text.amendment.rejected",
        "document.revised",
        "text.paragraph.aligned",
    ]


def test_bad_amendments_are_422_problems_and_write_nothing(draft):
    ref = str(draft.reference)
    fra = _client(delegate("FRA"), "write")
    before = _written(draft)
    for data in (
        {**AMENDMENT, "op": "explode"},
        {**AMENDMENT, "rationale": ""},
        {**AMENDMENT, "occurrence": 0},
        {**AMENDMENT, "language": "de"},
        {**AMENDMENT, "old": "not in the text"},
        {**AMENDMENT, "new": "[unbalanced"},
        {"op": "insert_paragraph", "new": " ", "rationale": "r"},
    ):
        _problem(_post(fra, f"/api/documents/{ref}/amendments", data), 422)
    _problem(_post(fra, f"/api/documents/{ref}/amendments", {**AMENDMENT, "paragraph": "p9"}), 404)
    _problem(
        _post(fra, f"/api/documents/{ref}/brackets/b1/holders", {"alternative": 3}),
        422,
    )
    _problem(_post(fra, f"/api/documents/{ref}/paragraphs/p1/stance", {"stance": "maybe"}), 422)
    _problem(
        _post(fra, f"/api/documents/{ref}/amendments", {**AMENDMENT, "state": "DEU"}),
        403,
    )
    _problem(_post(fra, f"/api/documents/{ref}/amendments", {**AMENDMENT, "revision": 3}), 412)
    assert _written(draft) == before and not Amendment.objects.exists()
    draft.refresh_from_db()
    assert draft.last_amendment == 0 and draft.last_bracket == 2


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


def test_exports(draft, council):
    import docx

    ref = str(draft.reference)
    fra = _client(delegate("FRA"))
    texts.issue(by=council.chair, document=draft, cleaned={"b1": 1})
    response = fra.get(f"/api/documents/{ref}/export?format=docx")
    assert response.status_code == 200 and response["Content-Type"] == DOCX
    name = ref.replace("(", "_").replace(")", "_")
    assert response["Content-Disposition"] == f'attachment; filename="{name}-REV1.docx"'
    words = docx.Document(io.BytesIO(response.content))
    header = "\n".join(p.text for p in words.sections[0].header.paragraphs)
    body = "\n".join(p.text for p in words.paragraphs)
    assert "NATO RESTRICTED" in header and f"{ref}-REV1" in body
    assert "Allies will diversify" in body
    original = docx.Document(
        io.BytesIO(fra.get(f"/api/documents/{ref}/export?format=docx&revision=0").content)
    )
    assert "[will / may]" in "\n".join(p.text for p in original.paragraphs)
    pdf = fra.get(f"/api/documents/{ref}/export?format=pdf&language=fr")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "-fr.pdf" in pdf["Content-Disposition"]
    html = fra.get(f"/api/documents/{ref}-REV1/export?format=html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert "NATO RESTRICTED" in html.content.decode()
    _problem(fra.get(f"/api/documents/{ref}/export?format=odt"), 422)
    _problem(fra.get(f"/api/documents/{ref}/export?format=pdf&language=de"), 422)
    _problem(fra.get(f"/api/documents/{ref}/export?format=pdf&revision=5"), 404)

    decision = _adopted(council)
    sheet = fra.get(f"/api/decisions/{decision.number}/export?format=docx")
    assert sheet.status_code == 200 and sheet["Content-Type"] == DOCX
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(sheet.content)).paragraphs)
    assert decision.text_sha256 in text and decision.number in text
    pdf = fra.get(f"/api/decisions/{decision.number}/export")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    _problem(fra.get(f"/api/decisions/{decision.number}/export?format=html"), 422)
    _problem(fra.get("/api/decisions/NONE/export"), 404)


def test_documents_one_may_not_read_are_404_and_nothing_changes(draft, council):
    ref = str(draft.reference)
    texts.propose(
        by=delegate("DEU"), document=draft, rationale="r", op="delete_paragraph", paragraph="p2"
    )
    outsider = _client(
        UserFactory(username="jpn-delegate", role="partner_delegate", state_id="JPN"), "write"
    )
    before = AuditEvent.objects.count()
    for url in (
        f"/api/documents/{ref}/negotiation",
        f"/api/documents/{ref}/negotiation?held_by=JPN",
        f"/api/documents/{ref}/amendments",
        f"/api/documents/{ref}/diff?old=0&new=0",
        f"/api/documents/{ref}/export?format=docx",
        f"/api/documents/{ref}/export?format=pdf",
    ):
        _problem(outsider.get(url), 404)
    for url, data, headers in (
        (f"/api/documents/{ref}/amendments", AMENDMENT, {}),
        (f"/api/documents/{ref}/amendments/A1/decision", {"action": "withdraw"}, {}),
        (f"/api/documents/{ref}/brackets/b1/holders", {"alternative": 1}, {}),
        (f"/api/documents/{ref}/paragraphs/p1/stance", {"stance": "can_agree"}, {}),
        (f"/api/documents/{ref}/paragraphs/p1/alignment", {}, {}),
        (f"/api/documents/{ref}/revisions", {}, {"HTTP_IF_MATCH": f'"d{draft.pk}-r0"'}),
    ):
        _problem(_post(outsider, url, data, **headers), 404)
    assert AuditEvent.objects.count() == before
    assert Amendment.objects.get(document=draft).state == "proposed"
    assert draft.revisions.count() == 1 and not TextMark.objects.exists()
    _problem(outsider.get("/api/documents/PO(1999)0001/negotiation"), 404)
    _problem(outsider.get("/api/documents/nonsense/negotiation"), 404)


def test_amendments_to_a_withheld_paragraph_do_not_show_its_words(draft):
    from concord.documents.models import Paragraph

    ref = str(draft.reference)
    Paragraph.objects.filter(revision__document=draft, key="p2").update(classification=4)
    texts.propose(
        by=delegate("FRA"),
        document=draft,
        rationale="Add the date of the review.",
        **{k: v for k, v in AMENDMENT.items() if k != "rationale"},
    )
    uncleared = _client(delegate("DEU", clearance=2))
    for url in (f"/api/documents/{ref}/negotiation", f"/api/documents/{ref}/amendments"):
        body = uncleared.get(url).content.decode()
        assert '"A1"' in body and "review" not in body and "six months" not in body, url
        assert "Add the date" not in body, url
    cleared = _json(_client(delegate("FRA")).get(f"/api/documents/{ref}/amendments"))
    assert cleared[0]["change"]["old"] == "review progress"
    assert cleared[0]["rationale"] == "Add the date of the review."


def test_a_word_draft_is_registered_through_the_api(council):
    from concord.domain import negotiation as core
    from concord.formats.docx_out import ExportMeta, write_docx

    text = core.parse_text(
        ["Allies [will (FRA) / may (DEU)] act.", "The Council reviews progress."],
        ["Les Alliés [agiront / pourront agir].", "Le Conseil fait le point."],
        holders=True,
    )
    meta = ExportMeta(reference="", title="Imported draft", marking="", body="", issued="")
    en, fr = write_docx(meta, text, core.Language.EN), write_docx(meta, text, core.Language.FR)
    sec = secretary()
    writer = _client(sec, "write")

    def upload(client, data, **fields):
        files = {"draft": io.BytesIO(data), "body": "NAC", "series": "PO", **fields}
        return client.post("/api/documents/import", files)

    read_only = upload(_client(sec), en)
    assert read_only.status_code == 403, read_only.content  # a read token writes nothing
    refused = upload(writer, b"not a word file")
    assert refused.status_code == 422 and "not a readable .docx" in _json(refused)["detail"]
    assert not Document.objects.exists()
    response = writer.post(
        "/api/documents/import",
        {"draft": io.BytesIO(en), "french": io.BytesIO(fr), "body": "NAC", "series": "PO"},
    )
    assert response.status_code == 201, response.content
    body = _json(response)
    assert body["paragraphs"][0]["en"] == "Allies [will / may] act."
    (bracket,) = body["open_brackets"]
    assert [a["holders"] for a in bracket["alternatives"]] == [["FRA"], ["DEU"]]
    assert body["ready_for_decision"] is False
    assert Document.objects.get().title == "Imported draft"


def test_an_amendment_to_a_deleted_secret_paragraph_stays_withheld(draft, council):
    from concord.documents.models import Paragraph

    Paragraph.objects.filter(revision__document=draft, key="p2").update(classification=4)
    fra = delegate("FRA")
    texts.propose(
        by=fra, document=draft, rationale="Secret rationale", op="replace_span",
        paragraph="p2", old="review progress", new="review progress in secret",
    )  # fmt: skip
    texts.propose(
        by=fra, document=draft, rationale="Drop it", op="delete_paragraph", paragraph="p2"
    )
    texts.decide(by=council.chair, document=draft, label="A2", action="accept")
    texts.issue(by=council.chair, document=draft)
    reader = _client(delegate("DEU", clearance=2))
    ref = str(draft.reference)
    for url in (f"/api/documents/{ref}/amendments", f"/api/documents/{ref}/negotiation"):
        body = reader.get(url).content.decode()
        assert "Secret rationale" not in body and "in secret" not in body, url
