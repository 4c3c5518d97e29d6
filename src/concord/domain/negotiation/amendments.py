"""Amendments, their lifecycle, applying and reverting them, and the chair's rolling revisions.

An amendment is proposed by a delegation with a rationale and carries one *change*:

* :class:`InsertParagraph`: a new paragraph (a full :class:`Paragraph`, with the new id chosen by
  the caller: ids are never reused) after a paragraph id, or at the start (``after=None``);
* :class:`ReplaceSpan` / :class:`DeleteSpan`: words of one language version of a paragraph,
  found by **paragraph id + exact old text + occurrence** (counted from 1, left to right, without
  overlap, within the plain text between brackets: a span never crosses or contains a bracket).
  The replacement may itself contain brackets (a delegation's proposal shown in brackets);
* :class:`DeleteParagraph`;
* :class:`ReplaceParagraph`: the paragraph with that id becomes exactly the given value (both
  language versions and its alignment). Reverting any span change uses it.

A batch of changes (:func:`issue_revision`) is applied *against the text it is issued from*:
every span is found in that text, in the order of the amendments' ``seq`` (then id); an amendment
that no longer applies there, or touches what an earlier one in the batch already changes
(overlapping words, a deleted or replaced paragraph), raises :class:`Overtaken` naming it, and
the chair marks it moot before issuing. Paragraphs inserted after the same anchor keep that order.
Then the cleaned brackets are resolved to their chosen wording in both languages (a bracket cleaned
to deletion takes a doubled space with it). A paragraph left with no wording by cleaning is
dropped. A paragraph changed only by cleaning brackets present in both languages stays aligned if
it was; any other change leaves it to be aligned again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeAlias

from concord.domain.errors import DomainError, IllegalTransition, InvalidInput, NotFound, _
from concord.domain.negotiation.model import (
    RESERVED_IN_TEXT,
    Bracket,
    Language,
    Paragraph,
    Segment,
    Text,
    check_id,
    check_state_code,
    normalise_segments,
)

# -- lifecycle --------------------------------------------------------------------------------


class AmendmentState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MOOT = "moot"

    @property
    def final(self) -> bool:
        return self not in (AmendmentState.PROPOSED, AmendmentState.ACCEPTED)


class AmendmentAction(StrEnum):
    ACCEPT = "accept"  # the chair takes it into the next revision
    REJECT = "reject"  # the chair (or the room) turns it down
    WITHDRAW = "withdraw"  # the proposing delegation takes it back
    OVERTAKE = "overtake"  # it no longer applies: its paragraph or words changed meanwhile


#: The transition table. An accepted amendment can still be overtaken before the revision that
#: would carry it is issued (another accepted amendment changed the same words first).
AMENDMENT_TRANSITIONS: Mapping[AmendmentState, Mapping[AmendmentAction, AmendmentState]] = {
    AmendmentState.PROPOSED: {
        AmendmentAction.ACCEPT: AmendmentState.ACCEPTED,
        AmendmentAction.REJECT: AmendmentState.REJECTED,
        AmendmentAction.WITHDRAW: AmendmentState.WITHDRAWN,
        AmendmentAction.OVERTAKE: AmendmentState.MOOT,
    },
    AmendmentState.ACCEPTED: {AmendmentAction.OVERTAKE: AmendmentState.MOOT},
    AmendmentState.REJECTED: {},
    AmendmentState.WITHDRAWN: {},
    AmendmentState.MOOT: {},
}


def check_amendment_transition(state: AmendmentState, action: AmendmentAction) -> AmendmentState:
    """The state ``action`` leads to from ``state``; raises :class:`IllegalTransition`."""
    target = AMENDMENT_TRANSITIONS[state].get(action)
    if target is None:
        raise IllegalTransition(
            _("the amendment is {state}: it cannot be {action}"),
            state=state.value,
            action={
                AmendmentAction.ACCEPT: "accepted",
                AmendmentAction.REJECT: "rejected",
                AmendmentAction.WITHDRAW: "withdrawn",
                AmendmentAction.OVERTAKE: "made moot",
            }[action],
        )
    return target


class Overtaken(IllegalTransition):
    """An amendment no longer applies to the text (it is moot); ``cause`` says why."""

    def __init__(self, amendment: str, cause: DomainError) -> None:
        self.amendment = amendment
        self.cause = cause
        super().__init__(
            _("amendment {amendment} no longer applies: {reason}"),
            amendment=amendment,
            reason=str(cause),
        )

    def translated(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.template).format(
            amendment=self.amendment, reason=self.cause.translated(gettext)
        )


# -- changes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InsertParagraph:
    paragraph: Paragraph
    after: str | None = None  # a paragraph id; None: at the start


def _check_old(old: str, occurrence: int) -> None:
    if not old:
        raise InvalidInput(_("the words to change are empty"))
    if not RESERVED_IN_TEXT.isdisjoint(old):
        raise InvalidInput(_("the words to change cannot contain a bracket"))
    if occurrence < 1:
        raise InvalidInput(_("an occurrence is counted from 1"))


@dataclass(frozen=True, slots=True)
class ReplaceSpan:
    paragraph_id: str
    old: str
    new: str | tuple[Segment, ...]
    occurrence: int = 1
    language: Language = Language.EN

    def __post_init__(self) -> None:
        _check_old(self.old, self.occurrence)
        object.__setattr__(self, "language", Language(self.language))
        new = normalise_segments((self.new,) if isinstance(self.new, str) else self.new)
        if any(isinstance(s, str) and not RESERVED_IN_TEXT.isdisjoint(s) for s in new):
            raise InvalidInput(
                _("square brackets are reserved for brackets: {new!r}"), new=self.new
            )
        object.__setattr__(self, "new", new)

    @property
    def replacement(self) -> tuple[Segment, ...]:
        return (self.new,) if isinstance(self.new, str) else self.new


@dataclass(frozen=True, slots=True)
class DeleteSpan:
    paragraph_id: str
    old: str
    occurrence: int = 1
    language: Language = Language.EN

    def __post_init__(self) -> None:
        _check_old(self.old, self.occurrence)
        object.__setattr__(self, "language", Language(self.language))


@dataclass(frozen=True, slots=True)
class DeleteParagraph:
    paragraph_id: str


@dataclass(frozen=True, slots=True)
class ReplaceParagraph:
    paragraph: Paragraph


Change: TypeAlias = InsertParagraph | ReplaceSpan | DeleteSpan | DeleteParagraph | ReplaceParagraph


@dataclass(frozen=True, slots=True)
class Amendment:
    """A delegation's proposed change, with its rationale; ``seq`` orders a revision's batch."""

    id: str
    delegation: str
    rationale: str
    change: Change
    seq: int = 0
    state: AmendmentState = AmendmentState.PROPOSED

    def __post_init__(self) -> None:
        check_id(self.id, "amendment")
        check_state_code(self.delegation)
        if not self.rationale.strip():
            raise InvalidInput(_("an amendment needs a rationale"))
        object.__setattr__(self, "state", AmendmentState(self.state))

    def move(self, action: AmendmentAction) -> Amendment:
        return replace(self, state=check_amendment_transition(self.state, action))


# -- the batch engine -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Edit:
    segment: int
    start: int
    end: int
    new: tuple[Segment, ...]
    label: str


class _Gap:
    """Where a bracket cleaned to deletion was."""


_GAP = _Gap()
_CLOSING = frozenset(".,;:!?)")


def _locate(segments: tuple[Segment, ...], old: str, occurrence: int) -> tuple[int, int] | None:
    remaining = occurrence
    for i, s in enumerate(segments):
        if isinstance(s, str):
            at = s.find(old)
            while at != -1:
                remaining -= 1
                if remaining == 0:
                    return i, at
                at = s.find(old, at + len(old))
    return None


@dataclass
class _Plan:
    """A batch of changes resolved against ``base``; :meth:`build` makes the new paragraphs."""

    base: Text
    index: dict[str, int] = field(init=False)
    bracket_index: dict[str, int] = field(init=False)
    edits: dict[tuple[str, Language], list[_Edit]] = field(default_factory=dict)
    replaced: dict[str, tuple[Paragraph, str]] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)
    inserts: dict[str | None, list[Paragraph]] = field(default_factory=dict)
    new_ids: set[str] = field(default_factory=set)
    cleaned: dict[str, int] = field(default_factory=dict)
    cleaned_in: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = self.base.positions()
        self.bracket_index = self.base.bracket_index()

    def _require(self, paragraph_id: str) -> int:
        index = self.index.get(paragraph_id)
        if index is None:
            raise NotFound(_("paragraph {paragraph} is not in the text"), paragraph=paragraph_id)
        claimed = self.deleted.get(paragraph_id)
        if claimed is None and paragraph_id in self.replaced:
            claimed = self.replaced[paragraph_id][1]
        if claimed is not None:
            raise IllegalTransition(
                _("amendment {other} already deletes or replaces paragraph {number}"),
                other=claimed,
                number=index + 1,
            )
        return index

    def _untouched(self, paragraph_id: str, index: int) -> None:
        for language in Language:
            edits = self.edits.get((paragraph_id, language))
            if edits:
                raise IllegalTransition(
                    _("amendment {other} already changes words of paragraph {number}"),
                    other=edits[0].label,
                    number=index + 1,
                )

    def _check_new_brackets(self, segments: Iterable[Segment], paragraph: Paragraph | None) -> None:
        """New brackets need new ids, except the other language's copy of one in ``paragraph``."""
        for s in segments:
            if not isinstance(s, Bracket):
                continue
            if s.id not in self.bracket_index:
                continue
            if paragraph is not None and paragraph.bracket_copies(s.id):
                continue  # a copy in the other language: the paragraph checks it matches
            raise InvalidInput(_("bracket id {bracket} is already used"), bracket=s.id)

    def add(self, change: Change, label: str) -> None:
        if isinstance(change, InsertParagraph):
            p = change.paragraph
            if p.id in self.index or p.id in self.new_ids:
                raise InvalidInput(_("paragraph id {paragraph} is already used"), paragraph=p.id)
            after = change.after
            if after is not None and after not in self.index and after not in self.new_ids:
                raise NotFound(_("paragraph {paragraph} is not in the text"), paragraph=after)
            self._check_new_brackets((*p.en, *p.fr), None)
            self.inserts.setdefault(after, []).append(p)
            self.new_ids.add(p.id)
        elif isinstance(change, DeleteParagraph | ReplaceParagraph):
            pid = (
                change.paragraph_id if isinstance(change, DeleteParagraph) else change.paragraph.id
            )
            index = self._require(pid)
            self._untouched(pid, index)
            if isinstance(change, DeleteParagraph):
                self.deleted[pid] = label
            else:
                old = self.base.paragraphs[index]
                self._check_new_brackets((*change.paragraph.en, *change.paragraph.fr), old)
                self.replaced[pid] = (change.paragraph, label)
        else:
            pid, language = change.paragraph_id, change.language
            index = self._require(pid)
            paragraph = self.base.paragraphs[index]
            segments = paragraph.segments(language)
            found = _locate(segments, change.old, change.occurrence)
            if found is None:
                raise InvalidInput(
                    _(
                        "{old!r} does not occur {occurrence} time(s) in the {language} of "
                        "paragraph {number}, outside brackets"
                    ),
                    old=change.old,
                    occurrence=change.occurrence,
                    language=language.label,
                    number=index + 1,
                )
            segment, start = found
            end = start + len(change.old)
            new = change.replacement if isinstance(change, ReplaceSpan) else ()
            self._check_new_brackets(new, paragraph)
            edits = self.edits.setdefault((pid, language), [])
            for e in edits:
                if e.segment == segment and start < e.end and e.start < end:
                    raise IllegalTransition(
                        _("amendment {other} already changes these words of paragraph {number}"),
                        other=e.label,
                        number=index + 1,
                    )
            edits.append(_Edit(segment, start, end, new, label))

    def clean(self, cleaned: Mapping[str, int]) -> None:
        for bracket_id, choice in cleaned.items():
            index = self.bracket_index.get(bracket_id)
            if index is None:
                raise NotFound(_("bracket {bracket} is not in the text"), bracket=bracket_id)
            bracket = self.base.paragraphs[index].brackets_by_id()[bracket_id]
            if not 0 <= choice < len(bracket.alternatives):
                raise InvalidInput(
                    _("bracket {bracket} has no alternative {number}"),
                    bracket=bracket_id,
                    number=choice + 1,
                )
            pid = self.base.paragraphs[index].id
            if pid in self.deleted or pid in self.replaced:
                raise IllegalTransition(
                    _(
                        "bracket {bracket} cannot be cleaned: an amendment deletes or replaces "
                        "its paragraph {number}"
                    ),
                    bracket=bracket_id,
                    number=index + 1,
                )
            self.cleaned[bracket_id] = choice
            self.cleaned_in.setdefault(pid, []).append(bracket_id)

    def build(self) -> tuple[Paragraph, ...]:
        out: list[Paragraph] = []
        self._emit_inserts(None, out)
        for number, p in enumerate(self.base.paragraphs, start=1):
            if p.id in self.replaced:
                out.append(self.replaced[p.id][0])
            elif p.id not in self.deleted:
                rebuilt = self._rebuild(p, number)
                if rebuilt is not None:
                    out.append(rebuilt)
            self._emit_inserts(p.id, out)
        return tuple(out)

    def _emit_inserts(self, anchor: str | None, out: list[Paragraph]) -> None:
        stack = list(reversed(self.inserts.get(anchor, ())))
        while stack:
            p = stack.pop()
            out.append(p)
            stack.extend(reversed(self.inserts.get(p.id, ())))

    def _rebuild(self, p: Paragraph, number: int) -> Paragraph | None:
        edits = {lang: self.edits.get((p.id, lang), []) for lang in Language}
        cleaned = self.cleaned_in.get(p.id, [])
        if not cleaned and not edits[Language.EN] and not edits[Language.FR]:
            return p
        was_aligned = not p.misaligned
        en = self._segments(p.en, edits[Language.EN])
        fr = self._segments(p.fr, edits[Language.FR])
        if not en and not fr:
            if edits[Language.EN] or edits[Language.FR]:
                raise InvalidInput(
                    _("the change would leave paragraph {number} empty: delete it instead"),
                    number=number,
                )
            return None
        new = Paragraph(p.id, en, fr, p.aligned)
        symmetric = not edits[Language.EN] and not edits[Language.FR]
        symmetric = symmetric and all(len(p.bracket_copies(b)) == 2 for b in cleaned)
        if was_aligned and symmetric:
            new = replace(new, aligned=new.digests())
        return new

    def _segments(self, segments: tuple[Segment, ...], edits: list[_Edit]) -> tuple[Segment, ...]:
        by_segment: dict[int, list[_Edit]] = {}
        for e in edits:
            by_segment.setdefault(e.segment, []).append(e)
        items: list[Segment | _Gap] = []
        for i, s in enumerate(segments):
            if isinstance(s, str):
                cursor = 0
                for e in sorted(by_segment.get(i, ()), key=lambda e: e.start):
                    items.append(s[cursor : e.start])
                    items.extend(self._cleaned(n) for n in e.new)
                    cursor = e.end
                items.append(s[cursor:])
            else:
                items.append(self._cleaned(s))
        return _close_gaps(items)

    def _cleaned(self, segment: Segment) -> Segment | _Gap:
        """A bracket being cleaned becomes its chosen wording (a gap for deletion)."""
        if isinstance(segment, str) or segment.id not in self.cleaned:
            return segment
        return segment.alternatives[self.cleaned[segment.id]].wording or _GAP


def _close_gaps(items: Iterable[Segment | _Gap]) -> tuple[Segment, ...]:
    """Join the pieces; where a bracket was cleaned to deletion, leave one space, not two, and
    none before closing punctuation or at either end."""
    out: list[Segment] = []
    gap = False
    for item in items:
        if isinstance(item, _Gap):
            gap = True
            continue
        if isinstance(item, str) and not item:
            continue
        if gap:
            gap = False
            left = out[-1] if out else None
            if isinstance(item, str):
                left_space = left is None or (isinstance(left, str) and left[-1].isspace())
                if item[0].isspace() and left_space:
                    item = item.lstrip()
                elif item[0] in _CLOSING and isinstance(left, str) and left[-1].isspace():
                    out[-1] = left.rstrip()
                    if not out[-1]:
                        out.pop()
                if not item:
                    continue
        if isinstance(item, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + item
        else:
            out.append(item)
    if gap and out and isinstance(out[-1], str):
        out[-1] = out[-1].rstrip()
        if not out[-1]:
            out.pop()
    return normalise_segments(out)


# -- applying, reverting, issuing -------------------------------------------------------------


def _change_of(amendment: Amendment | Change) -> tuple[Change, str | None]:
    if isinstance(amendment, Amendment):
        return amendment.change, amendment.id
    return amendment, None


def apply(text: Text, amendment: Amendment | Change) -> Text:
    """The text with one amendment (in any state: a preview) or change applied; the revision
    number is unchanged. An amendment that does not apply raises :class:`Overtaken`."""
    change, label = _change_of(amendment)
    plan = _Plan(text)
    try:
        plan.add(change, label or "")
        paragraphs = plan.build()
    except DomainError as exc:
        if label is None:
            raise
        raise Overtaken(label, exc) from exc
    return Text(paragraphs, text.revision)


def applies(text: Text, amendment: Amendment | Change) -> bool:
    try:
        apply(text, amendment)
    except DomainError:
        return False
    return True


def inverse(text: Text, amendment: Amendment | Change) -> Change:
    """The change that undoes ``amendment`` once applied to ``text``: applied to the result, it
    gives back exactly ``text``."""
    change, _label = _change_of(amendment)
    apply(text, amendment)  # refuses what does not apply
    if isinstance(change, InsertParagraph):
        return DeleteParagraph(change.paragraph.id)
    if isinstance(change, DeleteParagraph):
        index = text.positions()[change.paragraph_id]
        after = text.paragraphs[index - 1].id if index > 0 else None
        return InsertParagraph(text.paragraphs[index], after)
    pid = change.paragraph.id if isinstance(change, ReplaceParagraph) else change.paragraph_id
    return ReplaceParagraph(text.paragraph(pid))


def revert(applied: Text, amendment: Amendment | Change, original: Text) -> Text:
    """Undo ``amendment``, which was applied to ``original`` to give ``applied``."""
    return apply(applied, inverse(original, amendment))


def overtaken(text: Text, amendments: Iterable[Amendment]) -> tuple[str, ...]:
    """The ids of the open (proposed or accepted) amendments that no longer apply to ``text``,
    e.g. after a revision: each is to be moved to moot."""
    return tuple(a.id for a in amendments if not a.state.final and not applies(text, a))


def issue_revision(
    text: Text,
    accepted_amendments: Iterable[Amendment],
    cleaned_brackets: Mapping[str, int] | None = None,
) -> Text:
    """The next revision: the accepted amendments applied (in ``seq`` order, each found in
    ``text``) and the cleaned brackets (bracket id → chosen alternative, 0-based) resolved.
    ``text`` itself is unchanged."""
    amendments = sorted(accepted_amendments, key=lambda a: (a.seq, a.id))
    seen: set[str] = set()
    for a in amendments:
        if a.id in seen:
            raise InvalidInput(_("amendment {amendment} is given twice"), amendment=a.id)
        seen.add(a.id)
        if a.state is not AmendmentState.ACCEPTED:
            raise IllegalTransition(
                _("amendment {amendment} is {state}, not accepted"),
                amendment=a.id,
                state=a.state.value,
            )
    plan = _Plan(text)
    for a in amendments:
        try:
            plan.add(a.change, a.id)
        except DomainError as exc:
            raise Overtaken(a.id, exc) from exc
    plan.clean(cleaned_brackets or {})
    return Text(plan.build(), text.revision + 1)
