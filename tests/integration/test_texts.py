"""Negotiating a text through the services: amendments, holders, stances, alignment, revisions,
and the rule that nothing is agreed until everything is agreed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from concord.documents.models import Amendment, Paragraph, TextMark
from concord.domain import negotiation as core
from concord.domain.errors import (
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    NotFound,
    StaleVersion,
)
from concord.records.models import AuditEvent
from concord.services import audit, documents, procedures, texts
from tests.factories import UserFactory, delegate, secretary

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(council):
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
        ],
        now=T0,
    ).document


@pytest.fixture
def chair(council):
    user = UserFactory(username="nac-chair", role="secretariat_chair")
    council.chair = user
    council.save()
    return user


def _tags(document):
    return list(
        AuditEvent.objects.filter(subject=f"document:{document.reference}")
        .order_by("seq")
        .values_list("tag", flat=True)
    )


def test_registration_parses_brackets_and_gives_identities(draft):
    rows = list(Paragraph.objects.filter(revision__document=draft).order_by("number"))
    assert [r.key for r in rows] == ["p1", "p2"]
    assert rows[0].text == "Allies [will / may] diversify their energy supplies."
    text = texts.working_text(draft.revisions.get())
    (bracket,) = core.open_brackets(text)
    assert bracket.bracket_id == "b1"
    assert [a.en for a in bracket.alternatives] == ["will", "may"]
    assert draft.last_paragraph == 2 and draft.last_bracket == 1


def test_a_procedure_opens_only_on_a_clean_aligned_latest_revision(draft, chair, council):
    revision = draft.revisions.get()
    with pytest.raises(IllegalTransition, match="bracket b1 in paragraph 1 is still open"):
        procedures.open_silence(
            by=chair, body=council, revision=revision, expires_at=T0 + timedelta(days=2), now=T0
        )
    texts.issue(by=chair, document=draft, cleaned={"b1": 1}, now=T0)
    with pytest.raises(IllegalTransition, match="not the latest revision"):
        procedures.open_silence(
            by=chair, body=council, revision=revision, expires_at=T0 + timedelta(days=2), now=T0
        )
    rev1 = draft.revisions.get(number=1)
    assert rev1.paragraphs.get(number=1).text == "Allies will diversify their energy supplies."
    p = procedures.open_silence(
        by=chair, body=council, revision=rev1, expires_at=T0 + timedelta(days=2), now=T0
    )
    assert p.revision == rev1


def test_an_english_only_change_must_be_aligned_before_a_decision(draft, chair, council):
    fra = delegate("FRA")
    texts.propose(
        by=fra,
        document=draft,
        rationale="Stronger wording.",
        op="replace_span",
        paragraph="p2",
        old="review progress",
        new="review progress every six months",
        now=T0,
    )
    texts.decide(by=chair, document=draft, label="A1", action="accept", now=T0)
    rev1 = texts.issue(by=chair, document=draft, cleaned={"b1": 1}, now=T0)
    with pytest.raises(IllegalTransition, match="paragraph 2 is not aligned: the English changed"):
        texts.ready(rev1)
    texts.propose(
        by=fra,
        document=draft,
        rationale="French to match.",
        op="replace_span",
        paragraph="p2",
        language="fr",
        old="fera le point",
        new="fera le point tous les six mois",
        now=T0,
    )
    texts.decide(by=chair, document=draft, label="A2", action="accept", now=T0)
    rev2 = texts.issue(by=chair, document=draft, now=T0)
    with pytest.raises(IllegalTransition, match="not aligned"):
        texts.ready(rev2)
    texts.align(by=chair, document=draft, paragraph="p2", now=T0)
    texts.ready(rev2)  # clean and aligned
    assert rev2.paragraphs.get(key="p2").text_fr == "Le Conseil fera le point tous les six mois."


def test_amendment_lifecycle_is_audited_and_checked(draft, chair):
    fra, deu = delegate("FRA"), delegate("DEU")
    before = audit.verify()
    a = texts.propose(
        by=fra,
        document=draft,
        rationale="Clarity.",
        op="insert_paragraph",
        after="p1",
        new="Allies will [protect / secure] critical energy infrastructure.",
        now=T0,
    )
    assert a.label == "A1" and a.delegation_id == "FRA" and a.state == "proposed"
    assert a.change["paragraph"]["id"] == "p3"
    assert a.change["paragraph"]["en"][1]["bracket"] == "b2"
    with pytest.raises(NotAllowed):
        texts.decide(by=deu, document=draft, label="A1", action="accept", now=T0)
    with pytest.raises(NotAllowed):
        texts.decide(by=deu, document=draft, label="A1", action="withdraw", now=T0)
    with pytest.raises(NotAllowed):
        texts.propose(
            by=deu,
            state="FRA",
            document=draft,
            rationale="x",
            op="delete_paragraph",
            paragraph="p1",
        )
    texts.decide(by=chair, document=draft, label="A1", action="accept", now=T0)
    with pytest.raises(IllegalTransition):
        texts.decide(by=fra, document=draft, label="A1", action="withdraw", now=T0)
    rev1 = texts.issue(by=chair, document=draft, now=T0)
    assert [r.key for r in rev1.paragraphs.order_by("number")] == ["p1", "p3", "p2"]
    assert Amendment.objects.get(pk=a.pk).applied_in == rev1
    assert _tags(draft) == [
        "document.registered",
        "text.amendment.proposed",
        "text.amendment.accepted",
        "document.revised",
    ]
    after = audit.verify()
    assert after.ok and after.checked == before.checked + 3


def test_bad_amendments_change_nothing(draft, chair):
    fra = delegate("FRA")
    events = AuditEvent.objects.count()
    cases = [
        dict(op="replace_span", paragraph="p1", old="not in the text", new="x"),
        dict(op="replace_span", paragraph="p9", old="Allies", new="x"),
        dict(op="replace_span", paragraph="p1", old="Allies", new="[unbalanced"),
        dict(op="insert_paragraph", after="p1", new=""),
        dict(op="explode", paragraph="p1"),
    ]
    for case in cases:
        with pytest.raises(DomainError):
            texts.propose(by=fra, document=draft, rationale="r", now=T0, **case)
    with pytest.raises(InvalidInput, match="rationale"):
        texts.propose(by=fra, document=draft, rationale=" ", op="delete_paragraph", paragraph="p1")
    assert AuditEvent.objects.count() == events
    assert not Amendment.objects.exists()
    draft.refresh_from_db()
    assert draft.last_amendment == 0 and draft.last_paragraph == 2 and draft.last_bracket == 1


def test_holding_and_releasing_alternatives(draft, chair):
    fra, deu = delegate("FRA"), delegate("DEU")
    texts.hold(by=fra, document=draft, bracket="b1", alternative=1, now=T0)
    texts.hold(by=deu, document=draft, bracket="b1", alternative=2, now=T0)
    texts.hold(by=chair, document=draft, bracket="b1", alternative=2, state="TUR", now=T0)
    (b,) = core.open_brackets(texts.working_text(draft.revisions.get()))
    assert [sorted(a.holders) for a in b.alternatives] == [["FRA"], ["DEU", "TUR"]]
    assert [
        x.bracket_id
        for x in core.open_brackets(texts.working_text(draft.revisions.get()), held_by="FRA")
    ] == ["b1"]
    texts.hold(by=fra, document=draft, bracket="b1", alternative=None, now=T0)
    (b,) = core.open_brackets(texts.working_text(draft.revisions.get()))
    assert b.alternatives[0].holders == frozenset()
    with pytest.raises(InvalidInput):
        texts.hold(by=fra, document=draft, bracket="b1", alternative=3, now=T0)
    with pytest.raises(NotAllowed):
        texts.hold(by=fra, document=draft, bracket="b1", alternative=1, state="DEU", now=T0)
    assert TextMark.objects.count() == 4
    # holders are carried into the next revision's text
    rev1 = texts.issue(by=chair, document=draft, now=T0)
    (b,) = core.open_brackets(texts.stored_text(rev1))
    assert [sorted(a.holders) for a in b.alternatives] == [[], ["DEU", "TUR"]]


def test_stances_carry_over_unchanged_paragraphs(draft, chair):
    fra = delegate("FRA")
    texts.record_stance(by=fra, document=draft, paragraph="p1", stance="cannot_agree", now=T0)
    texts.record_stance(by=fra, document=draft, paragraph="p2", stance="can_agree", now=T0)
    snap = texts.snapshot(chair, draft)
    assert core.holding_out(snap.text, snap.stances) == {"p1": ("FRA",)}
    assert core.agreed_so_far(snap.text, snap.stances) == ("p2",)
    texts.issue(by=chair, document=draft, cleaned={"b1": 2}, now=T0)
    snap = texts.snapshot(chair, draft)
    assert [(s.paragraph_id, s.stance.value) for s in snap.stances] == [("p2", "can_agree")]
    with pytest.raises(InvalidInput):
        texts.record_stance(by=fra, document=draft, paragraph="p2", stance="maybe")


def test_a_revision_makes_overtaken_amendments_moot(draft, chair):
    fra, deu = delegate("FRA"), delegate("DEU")
    texts.propose(by=fra, document=draft, rationale="r", op="delete_paragraph", paragraph="p2")
    texts.propose(
        by=deu,
        document=draft,
        rationale="r",
        op="replace_span",
        paragraph="p2",
        old="review",
        new="assess",
    )
    texts.decide(by=chair, document=draft, label="A1", action="accept")
    # accepting a second change to the deleted paragraph is refused at once
    with pytest.raises(IllegalTransition, match="A2"):
        texts.decide(by=chair, document=draft, label="A2", action="accept")
    texts.issue(by=chair, document=draft)
    assert Amendment.objects.get(number=2).state == "moot"
    assert "text.amendment.moot" not in _tags(draft)  # recorded in the revision's event
    revised = AuditEvent.objects.filter(tag="document.revised").last()
    assert '"moot":["A2"]' in revised.payload


def test_stale_revision_is_refused(draft, chair):
    fra = delegate("FRA")
    texts.issue(by=chair, document=draft, now=T0)
    with pytest.raises(StaleVersion):
        texts.propose(
            by=fra,
            document=draft,
            rationale="r",
            op="delete_paragraph",
            paragraph="p2",
            expected_revision=0,
        )
    with pytest.raises(StaleVersion):
        texts.issue(by=chair, document=draft, expected_revision=0)


def test_diff_between_revisions(draft, chair):
    fra = delegate("FRA")
    texts.propose(
        by=fra,
        document=draft,
        rationale="r",
        op="replace_span",
        paragraph="p2",
        old="review progress",
        new="assess progress yearly",
    )
    texts.decide(by=chair, document=draft, label="A1", action="accept")
    texts.issue(by=chair, document=draft, cleaned={"b1": 1})
    d = texts.compare(draft, 0, 1)
    assert [(x.paragraph_id, x.change.value) for x in d.paragraphs] == [
        ("p1", "changed"),
        ("p2", "changed"),
    ]
    assert texts.compare(draft, 1, 1).empty


def test_delegates_of_other_bodies_cannot_touch_the_text(draft, states):
    outsider = UserFactory(username="jpn-x", role="partner_delegate", state_id="JPN")
    with pytest.raises(NotFound, match="no document"):
        texts.propose(
            by=outsider, document=draft, rationale="r", op="delete_paragraph", paragraph="p1"
        )
    assert not Amendment.objects.exists()
