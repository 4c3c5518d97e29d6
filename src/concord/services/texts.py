"""Negotiating a document's text: amendments, brackets and their holders, alignment of the two
languages, stances on paragraphs, and the chair's rolling revisions.

Every change locks the document's row (one text, one writer at a time), asks the pure model in
:mod:`concord.domain.negotiation` whether it is allowed and what it comes to, then writes the
change and its audit event in one transaction. A revision is immutable; what changes between
revisions (who holds which alternative, which paragraphs are aligned) is kept as
:class:`~concord.documents.models.TextMark` rows applied on top of it, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import datetime
from typing import Any

from django.db import transaction

from concord.alliance.models import User
from concord.documents.models import Amendment, Document, Paragraph, ParagraphPosition, Revision
from concord.documents.models import TextMark as Mark
from concord.domain import negotiation as core
from concord.domain.alliance import SECRETARIAT, SPEAKS_FOR_STATE
from concord.domain.errors import InvalidInput, NotAllowed, NotFound, StaleVersion, _
from concord.domain.events import Tag
from concord.domain.negotiation.serial import change_to_data, paragraph_from_data
from concord.services import access, audit, common
from concord.services.documents import with_fresh_ids, write_revision

#: What a delegation may propose, as typed in forms and the API.
OPS = ("replace_span", "delete_span", "insert_paragraph", "delete_paragraph")

_TAGS = {
    core.AmendmentAction.ACCEPT: Tag.AMENDMENT_ACCEPTED,
    core.AmendmentAction.REJECT: Tag.AMENDMENT_REJECTED,
    core.AmendmentAction.WITHDRAW: Tag.AMENDMENT_WITHDRAWN,
    core.AmendmentAction.OVERTAKE: Tag.AMENDMENT_MOOT,
}


# -- reading ----------------------------------------------------------------------------------


def stored_text(revision: Revision, rows: Iterable[Paragraph] | None = None) -> core.Text:
    """A revision's text as it was issued."""
    rows = revision.paragraphs.order_by("number") if rows is None else rows
    return core.Text(tuple(paragraph_from_data(r.structure) for r in rows), revision.number)


def _marked(text: core.Text, marks: Iterable[Mark]) -> core.Text:
    for m in marks:
        if m.action == Mark.Action.HOLD:
            text = core.hold(text, m.target, m.alternative or 0, m.state_id or "")
        elif m.action == Mark.Action.RELEASE:
            text = core.release(text, m.target, m.state_id or "")
        else:
            text = core.align(text, m.target)
    return text


def working_text(revision: Revision, rows: Iterable[Paragraph] | None = None) -> core.Text:
    """A revision's text as it stands now: who holds what, and what has been aligned since."""
    return _marked(stored_text(revision, rows), revision.marks.order_by("pk"))


def to_domain(a: Amendment) -> core.Amendment:
    from concord.domain.negotiation.serial import change_from_data

    return core.Amendment(
        a.label,
        a.delegation_id,
        a.rationale,
        change_from_data(a.change),
        a.number,
        core.AmendmentState(a.state),
    )


def readable_keys(user: User, document: Document) -> dict[str, bool]:
    """Paragraph identity → whether ``user`` may read it, over every revision of the document
    (a paragraph marked above the reader in any revision stays withheld)."""
    rows = list(Paragraph.objects.filter(revision__document=document).only("key", "classification"))
    keys: dict[str, bool] = {}
    for row, shown in access.visible_paragraphs(user, document, rows):
        keys[row.key] = keys.get(row.key, True) and shown
    return keys


def amendment_visible(a: Amendment, keys: Mapping[str, bool]) -> bool:
    """Whether a reader sees an amendment's words and rationale: as they see the paragraph it
    changes (a paragraph it would insert carries no marking of its own yet)."""
    if a.change.get("op") == "insert_paragraph":
        return True
    return keys.get(a.change.get("paragraph_id") or "", False)


def _check_readable(user: User, document: Document, *paragraphs: str | None) -> None:
    """A paragraph the user may not read is, for them, not in the text: the refusal says no
    more than it would of a paragraph that does not exist."""
    keys = readable_keys(user, document)
    for paragraph in paragraphs:
        if paragraph and not keys.get(paragraph, True):
            raise NotFound(_("paragraph {paragraph} is not in the text"), paragraph=paragraph)


@dataclass
class Snapshot:
    """What a page or the API shows of a document's text, read with a fixed number of queries."""

    document: Document
    revision: Revision
    revisions: list[Revision]
    rows: list[Paragraph]
    text: core.Text
    amendments: list[Amendment]
    stances: list[core.ParagraphPosition]
    visible: dict[str, bool] = field(default_factory=dict)
    #: every paragraph identity of the document's revisions → whether the reader may read it
    keys: dict[str, bool] = field(default_factory=dict)

    @property
    def latest(self) -> bool:
        return self.revision.number == self.revisions[-1].number

    def open_amendments(self) -> list[Amendment]:
        return [a for a in self.amendments if a.state == "proposed"]

    def pending(self) -> list[Amendment]:
        """Accepted, waiting for the next revision."""
        return [a for a in self.amendments if a.state == "accepted" and a.applied_in_id is None]

    def open_brackets(self, held_by: str | None = None) -> tuple[core.OpenBracket, ...]:
        return tuple(
            b
            for b in core.open_brackets(self.text, held_by=held_by)
            if self.visible.get(b.paragraph_id, True)
        )


def snapshot(user: User, document: Document, number: int | None = None) -> Snapshot:
    revisions = list(document.revisions.order_by("number"))
    if not revisions:
        raise NotFound(_("{reference} has no text"), reference=str(document.reference))
    revision = (
        revisions[-1]
        if number is None
        else next((r for r in revisions if r.number == number), None)
    )
    if revision is None:
        raise NotFound(
            _("{reference} has no revision {number}"),
            reference=str(document.reference),
            number=number,
        )
    rows = list(revision.paragraphs.order_by("number"))
    text = working_text(revision, rows)
    amendments = list(
        document.amendments.select_related(
            "proposed_by",
            "decided_by",
            "revision__document__series",
            "applied_in__document__series",
        )
    )
    stances = [
        core.ParagraphPosition(s.pk, s.state_id, s.key, core.ParagraphStance(s.stance))
        for s in revision.stances.order_by("pk")
    ]
    visible = {row.key: shown for row, shown in access.visible_paragraphs(user, document, rows)}
    keys = readable_keys(user, document)
    return Snapshot(document, revision, revisions, rows, text, amendments, stances, visible, keys)


def revision_text(document: Document, number: int) -> core.Text:
    revision = document.revisions.filter(number=number).first()
    if revision is None:
        raise NotFound(
            _("{reference} has no revision {number}"),
            reference=str(document.reference),
            number=number,
        )
    return working_text(revision)


def compare(document: Document, old: int, new: int) -> core.TextDiff:
    """The word-level differences between two revisions, paragraph by paragraph identity."""
    return core.diff(revision_text(document, old), revision_text(document, new))


# -- who may do what --------------------------------------------------------------------------


def is_officer(user: User, document: Document) -> bool:
    """The chair or secretary of the owning body, or the secretariat (it serves every body)."""
    body = document.body
    return user.pk in (body.chair_id, body.secretary_id) or user.role in SECRETARIAT


def _check_officer(user: User, document: Document) -> None:
    if not is_officer(user, document):
        raise NotAllowed(
            _("{user} neither chairs nor serves {body}: only its officers may do this"),
            user=user.username,
            body=document.body.code,
        )


def _check_reader(user: User, document: Document) -> None:
    if not access.may_read_document(user, document):
        raise NotFound(_("no document {reference!r}"), reference=str(document.reference))


def _speaking(user: User, document: Document, state: str | None) -> str:
    """The state ``user`` speaks for here: their own, or (for the body's officers, recording
    what a delegation says in the room) the one named."""
    if is_officer(user, document):
        if not state:
            raise InvalidInput(_("name the delegation (e.g. FRA)"))
        return common.state(state).iso3
    if user.role not in SPEAKS_FOR_STATE or user.state_id is None:
        raise NotAllowed(_("{user} does not speak for a delegation"), user=user.username)
    if state and common.state(state).iso3 != user.state_id:
        raise NotAllowed(
            _("{user} speaks for {own}, not {state}"),
            user=user.username,
            own=user.state_id,
            state=state.upper(),
        )
    return user.state_id


def _locked(document: Document, expected_revision: int | None) -> tuple[Document, Revision]:
    locked = (
        Document.objects.select_related("body", "series").select_for_update().get(pk=document.pk)
    )
    latest = locked.revisions.order_by("-number").first()
    if latest is None:
        raise NotFound(_("{reference} has no text"), reference=str(locked.reference))
    if expected_revision is not None and latest.number != expected_revision:
        raise StaleVersion(
            _("{reference} has changed since revision {number}: reload it and try again"),
            reference=str(locked.reference),
            number=expected_revision,
        )
    return locked, latest


def _subject(document: Document) -> str:
    return f"document:{document.reference}"


# -- amendments -------------------------------------------------------------------------------


def _change(
    document: Document,
    text: core.Text,
    *,
    op: str,
    paragraph: str,
    language: str,
    old: str,
    new: str,
    occurrence: int,
    after: str | None,
    french: str,
) -> core.Change:
    """The change a form or an API call describes, with new paragraph and bracket ids taken
    from the document's counters (the caller holds its lock)."""
    if op not in OPS:
        raise InvalidInput(
            _("an amendment replaces or deletes words, or inserts or deletes a paragraph")
        )
    try:
        lang = core.Language(language or "en")
    except ValueError:
        raise InvalidInput(_("the language is 'en' or 'fr'")) from None
    if op == "insert_paragraph":
        if not new.strip():
            raise InvalidInput(_("the new paragraph has no wording"))
        if after:
            text.paragraph(after)
        parsed = core.parse_text([new.strip()], [french.strip()] if french.strip() else None)
        document.last_paragraph += 1
        inserted = with_fresh_ids(document, parsed.paragraphs[0], f"p{document.last_paragraph}")
        # A delegation's own translation is not yet checked by the language services.
        return core.InsertParagraph(dataclass_replace(inserted, aligned=None), after or None)
    target = text.paragraph(paragraph)
    if op == "delete_paragraph":
        return core.DeleteParagraph(target.id)
    if occurrence < 1:
        raise InvalidInput(_("an occurrence is counted from 1"))
    if op == "delete_span":
        return core.DeleteSpan(target.id, old, occurrence, lang)

    def next_id() -> str:
        document.last_bracket += 1
        return f"b{document.last_bracket}"

    segments = (
        core.parse_paragraph(new, number=text.number(target.id), next_id=next_id, language=lang)
        if new
        else ()
    )
    return core.ReplaceSpan(target.id, old, segments, occurrence, lang)


def propose(
    *,
    by: User,
    document: Document,
    rationale: str,
    op: str,
    state: str | None = None,
    paragraph: str = "",
    language: str = "en",
    old: str = "",
    new: str = "",
    occurrence: int = 1,
    after: str | None = None,
    french: str = "",
    expected_revision: int | None = None,
    now: datetime | None = None,
) -> Amendment:
    """A delegation proposes an amendment to the latest revision. ``new`` is in the bracket
    notation: a delegation may propose its wording in brackets."""
    _check_reader(by, document)
    iso3 = _speaking(by, document, state)
    if not rationale.strip():
        raise InvalidInput(_("an amendment needs a rationale"))
    with transaction.atomic():
        at = now or common.now()
        locked, latest = _locked(document, expected_revision)
        _check_readable(by, locked, paragraph, after)
        text = working_text(latest)
        change = _change(
            locked,
            text,
            op=op,
            paragraph=paragraph,
            language=language,
            old=old,
            new=new,
            occurrence=occurrence,
            after=after,
            french=french,
        )
        core.apply(text, change)  # refuses, naming why, what does not apply to the text
        locked.last_amendment += 1
        locked.save(update_fields=["last_amendment", "last_paragraph", "last_bracket"])
        amendment = Amendment.objects.create(
            document=locked,
            revision=latest,
            number=locked.last_amendment,
            delegation_id=iso3,
            rationale=rationale.strip(),
            change=change_to_data(change),
            proposed_by=by,
            proposed_at=at,
        )
        audit.append(
            actor=by.username,
            tag=Tag.AMENDMENT_PROPOSED,
            subject=_subject(locked),
            payload={
                "reference": latest.reference,
                "amendment": amendment.label,
                "delegation": iso3,
                "rationale": amendment.rationale,
                "change": amendment.change,
            },
            at=at,
        )
    return amendment


def amendment(document: Document, label: str) -> Amendment:
    text = label.strip().upper().removeprefix("A")
    found = (
        document.amendments.filter(number=int(text)).select_related("revision").first()
        if text.isdecimal()
        else None
    )
    if found is None:
        raise NotFound(
            _("{reference} has no amendment {amendment}"),
            reference=str(document.reference),
            amendment=label,
        )
    return found


def decide(
    *,
    by: User,
    document: Document,
    label: str,
    action: str,
    now: datetime | None = None,
) -> Amendment:
    """The chair accepts, rejects or marks moot an amendment; its delegation withdraws it."""
    _check_reader(by, document)
    try:
        move = core.AmendmentAction(action)
    except ValueError:
        raise InvalidInput(
            _("an amendment is accepted, rejected, withdrawn or made moot ('overtake')")
        ) from None
    with transaction.atomic():
        at = now or common.now()
        locked, latest = _locked(document, None)
        row = amendment(locked, label)  # the document's row lock covers its amendments
        if move is core.AmendmentAction.WITHDRAW:
            if _speaking(by, locked, row.delegation_id) != row.delegation_id:
                raise NotAllowed(_("only the proposing delegation withdraws its amendment"))
        else:
            _check_officer(by, locked)
        if row.applied_in_id is not None:
            raise InvalidInput(
                _("amendment {amendment} is already in {reference}"),
                amendment=row.label,
                reference=row.applied_in.reference,
            )
        moved = to_domain(row).move(move)
        if move is core.AmendmentAction.ACCEPT:
            # Accepting checks at once that the amendment still applies, together with the
            # amendments already accepted: the chair learns now, not when issuing.
            text = working_text(latest)
            others = [
                to_domain(a) for a in locked.amendments.filter(state="accepted", applied_in=None)
            ]
            core.issue_revision(text, [*others, moved])
        row.state = moved.state.value
        row.decided_by, row.decided_at = by, at
        row.save(update_fields=["state", "decided_by", "decided_at"])
        audit.append(
            actor=by.username,
            tag=_TAGS[move],
            subject=_subject(locked),
            payload={
                "reference": latest.reference,
                "amendment": row.label,
                "delegation": row.delegation_id,
                "state": row.state,
            },
            at=at,
        )
    return row


# -- brackets, alignment, stances -------------------------------------------------------------


def hold(
    *,
    by: User,
    document: Document,
    bracket: str,
    alternative: int | None,
    state: str | None = None,
    now: datetime | None = None,
) -> None:
    """A delegation holds alternative ``alternative`` (counted from 1) of a bracket, or, with
    ``None``, no longer holds any."""
    _check_reader(by, document)
    iso3 = _speaking(by, document, state)
    with transaction.atomic():
        at = now or common.now()
        locked, latest = _locked(document, None)
        text = working_text(latest)
        index, _bracket = text.locate_bracket(bracket)
        _check_readable(by, locked, text.paragraphs[index].id)
        if alternative is None:
            core.release(text, bracket, iso3)
            action, tag = Mark.Action.RELEASE, Tag.BRACKET_RELEASED
        else:
            core.hold(text, bracket, alternative - 1, iso3)
            action, tag = Mark.Action.HOLD, Tag.BRACKET_HELD
        Mark.objects.create(
            revision=latest,
            action=action,
            target=bracket,
            state_id=iso3,
            alternative=None if alternative is None else alternative - 1,
            by=by,
            at=at,
        )
        audit.append(
            actor=by.username,
            tag=tag,
            subject=_subject(locked),
            payload={
                "reference": latest.reference,
                "bracket": bracket,
                "state": iso3,
                "alternative": alternative,
            },
            at=at,
        )


def align(*, by: User, document: Document, paragraph: str, now: datetime | None = None) -> None:
    """The language services confirm that a paragraph's English and French agree as they
    now stand."""
    _check_reader(by, document)
    _check_officer(by, document)
    with transaction.atomic():
        at = now or common.now()
        locked, latest = _locked(document, None)
        _check_readable(by, locked, paragraph)
        text = working_text(latest)
        core.align(text, paragraph)
        Mark.objects.create(
            revision=latest, action=Mark.Action.ALIGN, target=paragraph, by=by, at=at
        )
        audit.append(
            actor=by.username,
            tag=Tag.PARAGRAPH_ALIGNED,
            subject=_subject(locked),
            payload={
                "reference": latest.reference,
                "paragraph": paragraph,
                "number": text.number(paragraph),
            },
            at=at,
        )


def record_stance(
    *,
    by: User,
    document: Document,
    paragraph: str,
    stance: str,
    state: str | None = None,
    now: datetime | None = None,
) -> None:
    """A delegation can agree, cannot agree, or awaits instructions on a paragraph."""
    _check_reader(by, document)
    iso3 = _speaking(by, document, state)
    try:
        value = core.ParagraphStance(stance)
    except ValueError:
        raise InvalidInput(
            _("a stance is can_agree, cannot_agree or awaiting_instructions")
        ) from None
    with transaction.atomic():
        at = now or common.now()
        locked, latest = _locked(document, None)
        _check_readable(by, locked, paragraph)
        number = working_text(latest).number(paragraph)
        ParagraphPosition.objects.create(
            revision=latest, key=paragraph, state_id=iso3, stance=value.value, by=by, at=at
        )
        audit.append(
            actor=by.username,
            tag=Tag.PARAGRAPH_STANCE,
            subject=_subject(locked),
            payload={
                "reference": latest.reference,
                "paragraph": paragraph,
                "number": number,
                "state": iso3,
                "stance": value.value,
            },
            at=at,
        )


# -- revisions --------------------------------------------------------------------------------


def issue(
    *,
    by: User,
    document: Document,
    cleaned: Mapping[str, int] | None = None,
    note: str = "",
    expected_revision: int | None = None,
    now: datetime | None = None,
) -> Revision:
    """The chair issues the next revision: the accepted amendments applied, the cleaned brackets
    (bracket id → chosen alternative, counted from 1) resolved. Open amendments that the new
    text overtakes become moot; stances on paragraphs that did not change carry over."""
    _check_reader(by, document)
    _check_officer(by, document)
    with transaction.atomic():
        at = now or common.now()
        locked, latest = _locked(document, expected_revision)
        rows = list(latest.paragraphs.order_by("number"))
        text = working_text(latest, rows)
        accepted_rows = list(locked.amendments.filter(state="accepted", applied_in=None))
        choices = {}
        for bracket_id, chosen in (cleaned or {}).items():
            if not isinstance(chosen, int) or isinstance(chosen, bool):
                raise InvalidInput(_("a cleaned bracket names the alternative it keeps"))
            choices[bracket_id] = chosen - 1
        new = core.issue_revision(text, [to_domain(a) for a in accepted_rows], choices)
        portions = {r.key: r.classification for r in rows}
        revision = write_revision(locked, latest.number + 1, new, by, at, note.strip(), portions)
        for a in accepted_rows:
            a.applied_in = revision
            a.save(update_fields=["applied_in"])
        proposed = list(locked.amendments.filter(state="proposed"))
        moot = set(core.overtaken(new, [to_domain(a) for a in proposed]))
        for a in proposed:
            if a.label in moot:
                a.state, a.decided_at = core.AmendmentState.MOOT.value, at
                a.save(update_fields=["state", "decided_at"])
        _carry_stances(latest, revision, text, new, by, at)
        wordings = {
            b.id: b.alternatives[i].wording
            for (_p, b) in text.brackets()
            for i in [choices.get(b.id, -1)]
            if i >= 0
        }
        audit.append(
            actor=by.username,
            tag=Tag.DOCUMENT_REVISED,
            subject=_subject(locked),
            payload={
                "reference": revision.reference,
                "note": revision.note,
                "paragraphs": len(new.paragraphs),
                "amendments": [a.label for a in accepted_rows],
                "cleaned": wordings,
                "moot": sorted(moot, key=lambda label: int(label[1:])),
                "open_brackets": len(new.brackets()),
            },
            at=at,
        )
    return revision


def _carry_stances(
    old_revision: Revision,
    new_revision: Revision,
    old: core.Text,
    new: core.Text,
    by: User,
    at: datetime,
) -> None:
    before = {p.id: p.digests() for p in old.paragraphs}
    unchanged = {p.id for p in new.paragraphs if before.get(p.id) == p.digests()}
    latest: dict[tuple[str, str], str] = {}
    for s in old_revision.stances.order_by("pk"):
        latest[(s.key, s.state_id)] = s.stance
    ParagraphPosition.objects.bulk_create(
        ParagraphPosition(
            revision=new_revision, key=key, state_id=state, stance=stance, by=by, at=at
        )
        for (key, state), stance in latest.items()
        if key in unchanged
    )


def ready(revision: Revision) -> None:
    """Nothing is agreed until everything is agreed: raises, naming the first blocker, unless
    the revision has no open bracket and both languages aligned everywhere."""
    core.check_ready_for_decision(working_text(revision))


def describe(a: Amendment, text: core.Text | None = None) -> dict[str, Any]:
    """An amendment as plain data (the API and pages show it)."""
    change = a.change
    number = None
    if text is not None and change.get("paragraph_id"):
        number = text.numbers().get(change["paragraph_id"])
    return {
        "label": a.label,
        "delegation": a.delegation_id,
        "rationale": a.rationale,
        "state": a.state,
        "change": change,
        "paragraph_number": number,
        "proposed_against": a.revision.reference,
        "proposed_by": a.proposed_by.username,
        "proposed_at": a.proposed_at,
        "applied_in": a.applied_in.reference if a.applied_in_id else None,
    }
