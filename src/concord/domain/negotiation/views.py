"""What the text comes to: positions on paragraphs, the clean text, what is agreed so far, the
open brackets and their holders, whether a decision may be taken on it, and word-level diffs."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from concord.domain import texts
from concord.domain.errors import IllegalTransition, _
from concord.domain.negotiation.model import (
    Bracket,
    BracketKind,
    Language,
    Paragraph,
    Text,
    check_state_code,
    render,
)

# -- positions on paragraphs ------------------------------------------------------------------


class ParagraphStance(StrEnum):
    CAN_AGREE = "can_agree"
    CANNOT_AGREE = "cannot_agree"
    AWAITING_INSTRUCTIONS = "awaiting_instructions"


#: The stances that keep a paragraph from being agreed.
HOLDING_OUT = frozenset({ParagraphStance.CANNOT_AGREE, ParagraphStance.AWAITING_INSTRUCTIONS})


@dataclass(frozen=True, slots=True)
class ParagraphPosition:
    """One delegation's stance on one paragraph; append-only, the latest (by ``seq``) counts."""

    seq: int
    state: str
    paragraph_id: str
    stance: ParagraphStance

    def __post_init__(self) -> None:
        check_state_code(self.state)
        object.__setattr__(self, "stance", ParagraphStance(self.stance))


def latest_positions(
    positions: Iterable[ParagraphPosition],
) -> dict[str, dict[str, ParagraphStance]]:
    """Paragraph id → state → its latest stance on that paragraph."""
    out: dict[str, dict[str, ParagraphStance]] = {}
    for p in sorted(positions, key=lambda p: p.seq):
        out.setdefault(p.paragraph_id, {})[p.state] = p.stance
    return out


def holding_out(text: Text, positions: Iterable[ParagraphPosition]) -> dict[str, tuple[str, ...]]:
    """Paragraph id → the states that cannot agree or await instructions on it (sorted), for
    the paragraphs of ``text`` that have any."""
    latest = latest_positions(positions)
    out: dict[str, tuple[str, ...]] = {}
    for p in text.paragraphs:
        states = sorted(s for s, v in latest.get(p.id, {}).items() if v in HOLDING_OUT)
        if states:
            out[p.id] = tuple(states)
    return out


def agreed_so_far(text: Text, positions: Iterable[ParagraphPosition] = ()) -> tuple[str, ...]:
    """The ids of the paragraphs with no bracket in either language and no delegation whose
    latest stance on them is cannot agree or awaiting instructions, in text order."""
    out = holding_out(text, positions)
    return tuple(p.id for p in text.paragraphs if not p.bracketed and p.id not in out)


# -- open brackets ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenAlternative:
    """One alternative of an open bracket: its wording in each language (``None`` where the
    bracket has no copy in that language; ``""`` is deletion) and who holds it."""

    en: str | None
    fr: str | None
    holders: frozenset[str]


@dataclass(frozen=True, slots=True)
class OpenBracket:
    bracket_id: str
    paragraph_id: str
    number: int
    kind: BracketKind
    note: str
    alternatives: tuple[OpenAlternative, ...]

    @property
    def holders(self) -> frozenset[str]:
        return frozenset().union(*(a.holders for a in self.alternatives))


def _open(p: Paragraph, number: int, bracket: Bracket) -> OpenBracket:
    copies = p.bracket_copies(bracket.id)
    en, fr = copies.get(Language.EN), copies.get(Language.FR)
    alternatives = tuple(
        OpenAlternative(
            en.alternatives[i].wording if en is not None else None,
            fr.alternatives[i].wording if fr is not None else None,
            a.holders,
        )
        for i, a in enumerate(bracket.alternatives)
    )
    return OpenBracket(bracket.id, p.id, number, bracket.kind, bracket.note, alternatives)


def open_brackets(text: Text, *, held_by: str | None = None) -> tuple[OpenBracket, ...]:
    """Every bracket still in the text, in reading order, with its holders; with ``held_by``,
    only those where that state holds an alternative ("my brackets")."""
    out: list[OpenBracket] = []
    for number, p in enumerate(text.paragraphs, start=1):
        if not p.bracketed:
            continue
        for b in p.brackets():
            if held_by is None or held_by in b.holders:
                out.append(_open(p, number, b))
    return tuple(out)


# -- clean text and readiness -----------------------------------------------------------------


def _first_bracket(text: Text) -> tuple[Paragraph, int, Bracket] | None:
    for number, p in enumerate(text.paragraphs, start=1):
        if p.bracketed:
            return p, number, p.brackets()[0]
    return None


def clean_text(text: Text) -> tuple[texts.Paragraph, ...]:
    """The text as plain numbered paragraphs (English and French), as a decision records and
    hashes it (:func:`concord.domain.texts.text_sha256`). Only a text with no bracket left has
    one: otherwise :class:`IllegalTransition` names the first open bracket."""
    first = _first_bracket(text)
    if first is not None:
        p, number, bracket = first
        raise IllegalTransition(
            _("the text is not clean: bracket {bracket} in paragraph {number} is still open"),
            bracket=bracket.id,
            paragraph=p.id,
            number=number,
        )
    out: list[texts.Paragraph] = []
    for number, p in enumerate(text.paragraphs, start=1):
        en = "".join(s for s in p.en if isinstance(s, str))
        fr = "".join(s for s in p.fr if isinstance(s, str))
        out.append(texts.Paragraph(number, en, fr))
    return tuple(out)


def check_ready_for_decision(text: Text) -> None:
    """Nothing is agreed until everything is agreed: a silence procedure or a meeting decision
    may be opened on a text only with no open bracket and both languages aligned everywhere.
    Raises :class:`IllegalTransition` naming the first blocker, in reading order."""
    if not text.paragraphs:
        raise IllegalTransition(_("the text has no paragraphs"))
    for number, p in enumerate(text.paragraphs, start=1):
        if p.bracketed:
            raise IllegalTransition(
                _(
                    "nothing is agreed until everything is agreed: bracket {bracket} in "
                    "paragraph {number} is still open"
                ),
                bracket=p.brackets()[0].id,
                paragraph=p.id,
                number=number,
            )
        if p.aligned is None:
            raise IllegalTransition(
                _("paragraph {number} has never been aligned in English and French"),
                paragraph=p.id,
                number=number,
            )
        if p.misaligned:
            raise IllegalTransition(
                _("paragraph {number} is not aligned: the {languages} changed since"),
                paragraph=p.id,
                number=number,
                languages=" and ".join(lang.label for lang in p.changed_since_aligned()),
            )


def ready_for_decision(text: Text) -> bool:
    return bool(text.paragraphs) and not any(p.bracketed or p.misaligned for p in text.paragraphs)


# -- word-level diff --------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")


class RunKind(StrEnum):
    EQUAL = "equal"
    INSERT = "insert"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Run:
    kind: RunKind
    text: str


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> tuple[Run, ...]:
    """Word-level runs from ``old`` to ``new``: the equal and deleted runs spell ``old``, the
    equal and inserted runs spell ``new``. Between two changes, a lone space is folded into
    them, and a deletion comes before the insertion that replaces it."""
    if old == new:
        return (Run(RunKind.EQUAL, old),) if old else ()
    a, b = _tokens(old), _tokens(new)
    # Words match whatever space follows them; the space is compared afterwards.
    keys_a = [t.rstrip() or t for t in a]
    keys_b = [t.rstrip() or t for t in b]
    ops: list[tuple[RunKind, str]] = []
    i = j = 0
    for bi, bj, size in _coalesce(sorted(_matching_blocks(keys_a, keys_b))):
        if i < bi:
            ops.append((RunKind.DELETE, "".join(a[i:bi])))
        if j < bj:
            ops.append((RunKind.INSERT, "".join(b[j:bj])))
        _equal(ops, a[bi : bi + size], b[bj : bj + size])
        i, j = bi + size, bj + size
    if i < len(a):
        ops.append((RunKind.DELETE, "".join(a[i:])))
    if j < len(b):
        ops.append((RunKind.INSERT, "".join(b[j:])))
    return _merge(ops)


def _equal(ops: list[tuple[RunKind, str]], a: list[str], b: list[str]) -> None:
    """Tokens matched as words: equal, but for the space after some of them."""
    old = "".join(a)
    if old == "".join(b):
        ops.append((RunKind.EQUAL, old))
        return
    for x, y in zip(a, b, strict=True):
        if x == y:
            ops.append((RunKind.EQUAL, x))
            continue
        word = x.rstrip()
        ops.append((RunKind.EQUAL, word))
        if len(x) > len(word):
            ops.append((RunKind.DELETE, x[len(word) :]))
        if len(y) > len(word):
            ops.append((RunKind.INSERT, y[len(word) :]))


def _coalesce(blocks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Adjacent blocks joined into one."""
    out: list[tuple[int, int, int]] = []
    for i, j, n in blocks:
        if out and out[-1][0] + out[-1][2] == i and out[-1][1] + out[-1][2] == j:
            pi, pj, pn = out[-1]
            out[-1] = (pi, pj, pn + n)
        else:
            out.append((i, j, n))
    return out


def _matching_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """Blocks ``(i, j, n)`` with ``a[i:i+n] == b[j:j+n]``, increasing in both, patience style:
    common ends first, then the tokens found once on each side (their longest increasing run)
    split the rest; where no token is unique, :class:`difflib.SequenceMatcher` decides."""
    blocks: list[tuple[int, int, int]] = []
    ranges = [(0, len(a), 0, len(b))]
    while ranges:
        alo, ahi, blo, bhi = ranges.pop()
        n = 0
        while alo + n < ahi and blo + n < bhi and a[alo + n] == b[blo + n]:
            n += 1
        if n:
            blocks.append((alo, blo, n))
            alo, blo = alo + n, blo + n
        m = 0
        while ahi - m > alo and bhi - m > blo and a[ahi - 1 - m] == b[bhi - 1 - m]:
            m += 1
        if m:
            blocks.append((ahi - m, bhi - m, m))
            ahi, bhi = ahi - m, bhi - m
        if alo == ahi or blo == bhi:
            continue
        anchors = _anchors(a, alo, ahi, b, blo, bhi)
        if not anchors:
            matcher = SequenceMatcher(str.isspace, a[alo:ahi], b[blo:bhi], autojunk=False)
            blocks.extend(
                (alo + x, blo + y, size) for x, y, size in matcher.get_matching_blocks() if size
            )
            continue
        i, j = alo, blo
        for x, y in anchors:
            if x == i and y == j and blocks and blocks[-1][0] + blocks[-1][2] == x:
                bx, by, size = blocks[-1]
                if by + size == y:  # extends the previous anchor
                    blocks[-1] = (bx, by, size + 1)
                    i, j = x + 1, y + 1
                    continue
            if i < x and j < y:
                ranges.append((i, x, j, y))
            blocks.append((x, y, 1))
            i, j = x + 1, y + 1
        if i < ahi and j < bhi:
            ranges.append((i, ahi, j, bhi))
    return blocks


def _anchors(
    a: list[str], alo: int, ahi: int, b: list[str], blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Pairs of positions of the tokens found exactly once in each range, the longest run of
    them in the same order on both sides."""
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    unique = {t for t, c in count_a.items() if c == 1 and count_b.get(t) == 1}
    if not unique:
        return []
    where_b = {t: blo + k for k, t in enumerate(b[blo:bhi]) if t in unique}
    pairs = [(alo + k, where_b[t]) for k, t in enumerate(a[alo:ahi]) if t in unique]
    ys = [y for _x, y in pairs]
    if ys == sorted(ys):  # the usual case: nothing moved
        return pairs
    # Longest increasing subsequence of the b positions (patience sorting).
    tops: list[int] = []
    top_pair: list[int] = []
    back: list[int] = []
    for index, (_x, y) in enumerate(pairs):
        pile = bisect_left(tops, y)
        if pile == len(tops):
            tops.append(y)
            top_pair.append(index)
        else:
            tops[pile] = y
            top_pair[pile] = index
        back.append(top_pair[pile - 1] if pile else -1)
    chain: list[tuple[int, int]] = []
    at = top_pair[-1]
    while at != -1:
        chain.append(pairs[at])
        at = back[at]
    chain.reverse()
    return chain


def _merge(ops: list[tuple[RunKind, str]]) -> tuple[Run, ...]:
    runs: list[Run] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            runs.append(Run(RunKind.DELETE, "".join(deleted)))
        if inserted:
            runs.append(Run(RunKind.INSERT, "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for i, (kind, chunk) in enumerate(ops):
        if kind is RunKind.EQUAL:
            between = 0 < i < len(ops) - 1 and ops[i + 1][0] is not RunKind.EQUAL
            if between and chunk.isspace() and (deleted or inserted):
                deleted.append(chunk)
                inserted.append(chunk)
                continue
            flush()
            if runs and runs[-1].kind is RunKind.EQUAL:
                runs[-1] = Run(RunKind.EQUAL, runs[-1].text + chunk)
            else:
                runs.append(Run(RunKind.EQUAL, chunk))
        elif kind is RunKind.DELETE:
            deleted.append(chunk)
        else:
            inserted.append(chunk)
    flush()
    return tuple(runs)


class ParagraphChange(StrEnum):
    INSERTED = "inserted"
    DELETED = "deleted"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class ParagraphDiff:
    """One paragraph that differs between two revisions, by identity; ``en`` and ``fr`` are the
    word-level runs of each language version in the notation (brackets as ``[a / b]``)."""

    paragraph_id: str
    change: ParagraphChange
    old_number: int | None
    new_number: int | None
    en: tuple[Run, ...]
    fr: tuple[Run, ...]


@dataclass(frozen=True, slots=True)
class TextDiff:
    old_revision: int
    new_revision: int
    paragraphs: tuple[ParagraphDiff, ...]

    @property
    def empty(self) -> bool:
        return not self.paragraphs


def _whole(kind: RunKind, p: Paragraph, language: Language) -> tuple[Run, ...]:
    wording = render(p.segments(language))
    return (Run(kind, wording),) if wording else ()


def _changed(old: Paragraph, new: Paragraph, language: Language) -> tuple[Run, ...] | None:
    """The runs of one language version, or None if its wording did not change."""
    a, b = old.segments(language), new.segments(language)
    if a == b:
        return None
    ra, rb = render(a), render(b)
    if ra == rb:  # holders, kind or note only
        return None
    return word_diff(ra, rb)


def diff(old: Text, new: Text) -> TextDiff:
    """The paragraphs inserted, deleted or changed in wording from ``old`` to ``new``, matched
    by id, in the order of ``new`` (a deleted paragraph follows its former predecessor). A
    paragraph only renumbered, or whose holders or alignment only changed, is not listed."""
    old_numbers = old.numbers()
    new_numbers = new.numbers()
    deleted_after: dict[str | None, list[Paragraph]] = {}
    anchor: str | None = None
    for p in old.paragraphs:
        if p.id in new_numbers:
            anchor = p.id
        else:
            deleted_after.setdefault(anchor, []).append(p)
    old_by_id = {p.id: p for p in old.paragraphs}
    out: list[ParagraphDiff] = []

    def deletions(after: str | None) -> None:
        for p in deleted_after.get(after, ()):
            out.append(
                ParagraphDiff(
                    p.id,
                    ParagraphChange.DELETED,
                    old_numbers[p.id],
                    None,
                    _whole(RunKind.DELETE, p, Language.EN),
                    _whole(RunKind.DELETE, p, Language.FR),
                )
            )

    deletions(None)
    for number, p in enumerate(new.paragraphs, start=1):
        before = old_by_id.get(p.id)
        if before is None:
            out.append(
                ParagraphDiff(
                    p.id,
                    ParagraphChange.INSERTED,
                    None,
                    number,
                    _whole(RunKind.INSERT, p, Language.EN),
                    _whole(RunKind.INSERT, p, Language.FR),
                )
            )
        elif before is not p:
            en = _changed(before, p, Language.EN)
            fr = _changed(before, p, Language.FR)
            if en is not None or fr is not None:
                out.append(
                    ParagraphDiff(
                        p.id,
                        ParagraphChange.CHANGED,
                        old_numbers[p.id],
                        number,
                        en if en is not None else _whole(RunKind.EQUAL, p, Language.EN),
                        fr if fr is not None else _whole(RunKind.EQUAL, p, Language.FR),
                    )
                )
        deletions(p.id)
    return TextDiff(old.revision, new.revision, tuple(out))
