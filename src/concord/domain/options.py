"""Options papers: options across every instrument, delegations' marks, and what all can accept.

For a topic the secretariat drafts :class:`Option` values, each using one :class:`Instrument`
(diplomatic, information, military, economic, legal, cyber) on one :class:`Track`, with a note of
its cost or effort. Each delegation marks each option — *support*, *can live with* or *cannot
accept*, the last with a reason, because a delegation that stands in the way owes the others an
explanation they can work on. Marks are append-only :class:`OptionMark` entries; for each state
and option the latest (by ``seq``) counts, as with positions on paragraphs.

What Concord shows from them:

* :func:`agreeable` — the options every deciding state can live with (support or can live with).
  Consensus is the absence of objection, but an options paper is where objections surface, so a
  deciding state that **has not yet marked** an option is *not* counted as agreeing: an option
  is offered as agreeable only once every deciding state has said it can live with it. With no
  deciding state nothing is agreeable.
* :func:`nearest_misses` — every other option with the states standing in its way (those that
  cannot accept it and those that have not marked it), the options with fewest in the way first.
* :func:`packages` — sets of agreeable options covering several instruments, best first.
* :func:`draft_decision_text` — a chosen package as plain paragraphs, ready to register as a
  document and put under a procedure.
* :func:`by_track` — both tracks side by side.

Marks by states that do not decide (a partner outside the format) are shown elsewhere but never
count here.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from concord.domain.alliance import SPEAKS_FOR_STATE, Actor
from concord.domain.errors import InvalidInput, NotAllowed, NotFound, _
from concord.domain.negotiation.model import check_id, check_state_code
from concord.domain.topics import Instrument, Track


def _check_plain(value: str, what: str, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(_("the {what} may not be empty"), what=what)
    if "[" in text or "]" in text:
        raise InvalidInput(_("the {what} may not contain square brackets"), what=what)
    return text


@dataclass(frozen=True, slots=True)
class Option:
    """One option of an options paper. Its title and cost note go into draft decision texts,
    so neither may hold a square bracket."""

    id: str
    title: str
    instrument: Instrument
    track: Track
    cost_note: str = ""

    def __post_init__(self) -> None:
        check_id(self.id, "option")
        object.__setattr__(self, "title", _check_plain(self.title, "option title"))
        object.__setattr__(
            self, "cost_note", _check_plain(self.cost_note, "cost note", required=False)
        )
        object.__setattr__(self, "instrument", Instrument(self.instrument))
        object.__setattr__(self, "track", Track(self.track))


class Mark(StrEnum):
    SUPPORT = "support"
    CAN_LIVE_WITH = "can_live_with"
    CANNOT_ACCEPT = "cannot_accept"

    @property
    def agrees(self) -> bool:
        return self is not Mark.CANNOT_ACCEPT


@dataclass(frozen=True, slots=True)
class OptionMark:
    """One delegation's mark on one option; append-only, the latest (by ``seq``) counts."""

    seq: int
    state: str
    option_id: str
    mark: Mark
    reason: str = ""

    def __post_init__(self) -> None:
        check_state_code(self.state)
        object.__setattr__(self, "mark", Mark(self.mark))
        if self.mark is Mark.CANNOT_ACCEPT and not self.reason.strip():
            raise InvalidInput(_("a delegation that cannot accept an option says why"))


def check_mark(
    entry: OptionMark, *, actor: Actor, options: Iterable[Option], deciding: Iterable[str]
) -> None:
    """Refuse a mark on an option not in the paper, for a state that does not decide, or by
    someone who may not speak for that state."""
    if entry.option_id not in {o.id for o in options}:
        raise NotFound(_("there is no option {option!r} in this paper"), option=entry.option_id)
    if entry.state not in set(deciding):
        raise NotAllowed(_("{state} does not decide on this options paper"), state=entry.state)
    if actor.role not in SPEAKS_FOR_STATE or actor.state != entry.state:
        raise NotAllowed(
            _("{user} may not speak for {state}"), user=actor.username, state=entry.state
        )


def latest_marks(marks: Iterable[OptionMark]) -> dict[str, dict[str, OptionMark]]:
    """Option id → state → its latest mark on that option."""
    out: dict[str, dict[str, OptionMark]] = {}
    for m in sorted(marks, key=lambda m: m.seq):
        out.setdefault(m.option_id, {})[m.state] = m
    return out


# -- what all can live with -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Miss:
    """An option not (yet) agreeable and who stands in its way."""

    option: Option
    cannot_accept: tuple[str, ...]  # sorted
    not_marked: tuple[str, ...]  # sorted
    reasons: Mapping[str, str] = field(default_factory=dict)  # state → reason for cannot accept

    @property
    def blocking(self) -> tuple[str, ...]:
        return tuple(sorted(self.cannot_accept + self.not_marked))


def _standing(
    option: Option, latest: Mapping[str, Mapping[str, OptionMark]], deciding: Sequence[str]
) -> tuple[list[str], list[str], dict[str, str]]:
    own = latest.get(option.id, {})
    refusing: list[str] = []
    silent: list[str] = []
    reasons: dict[str, str] = {}
    for state in deciding:
        m = own.get(state)
        if m is None:
            silent.append(state)
        elif not m.mark.agrees:
            refusing.append(state)
            reasons[state] = m.reason.strip()
    return refusing, silent, reasons


def _deciding(deciding: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(deciding)))


def agreeable(
    options: Iterable[Option], marks: Iterable[OptionMark], deciding: Iterable[str]
) -> tuple[Option, ...]:
    """The options that every deciding state has marked support or can live with, in paper
    order. A state that has not marked an option does not count as agreeing to it."""
    states = _deciding(deciding)
    if not states:
        return ()
    latest = latest_marks(marks)
    out: list[Option] = []
    for option in options:
        refusing, silent, _reasons = _standing(option, latest, states)
        if not refusing and not silent:
            out.append(option)
    return tuple(out)


def nearest_misses(
    options: Iterable[Option], marks: Iterable[OptionMark], deciding: Iterable[str]
) -> tuple[Miss, ...]:
    """Every option that is not agreeable, with the states in its way: fewest in the way first,
    then fewest that cannot accept (a state yet to mark may still come round), then paper
    order."""
    states = _deciding(deciding)
    if not states:
        return ()
    latest = latest_marks(marks)
    found: list[tuple[int, int, int, Miss]] = []
    for place, option in enumerate(options):
        refusing, silent, reasons = _standing(option, latest, states)
        if refusing or silent:
            miss = Miss(option, tuple(refusing), tuple(silent), reasons)
            found.append((len(refusing) + len(silent), len(refusing), place, miss))
    found.sort(key=lambda f: f[:3])
    return tuple(f[3] for f in found)


# -- packages -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Package:
    """A set of agreeable options, in paper order, with what ranks it."""

    options: tuple[Option, ...]
    instruments: frozenset[Instrument]
    support: int  # marks of support by deciding states, summed over the options

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)


def packages(
    options: Iterable[Option],
    marks: Iterable[OptionMark],
    deciding: Iterable[str],
    *,
    min_instruments: int = 2,
    max_size: int = len(Instrument),
    limit: int = 10,
    beam: int = 64,
) -> tuple[Package, ...]:
    """Up to ``limit`` packages of agreeable options that cover at least ``min_instruments``
    instruments with at most ``max_size`` options, best first: most instruments covered, then
    most support, then fewest options, then paper order.

    The search is a beam search over the agreeable options only: packages are grown one option
    at a time, keeping the ``beam`` best of each size. That is at most ``max_size * beam *
    len(agreeable)`` extensions, so it stays fast with the dozens of options a paper holds.
    The first package is as good as any (same instruments covered, support and size as the best
    possible): a best package of each size extends a best package of the size below (cover the
    instruments whose best option has most support, then add the best-supported of the rest),
    so the best never falls out of the beam. The packages after it are the best the beam met.
    """
    if min_instruments < 1:
        raise InvalidInput(_("a package covers at least one instrument"))
    if max_size < 1 or limit < 1 or beam < 1:
        raise InvalidInput(_("the size of a package and of the search must be positive"))
    marks = tuple(marks)
    states = _deciding(deciding)
    pool = agreeable(options, marks, states)
    if min_instruments > min(max_size, len({o.instrument for o in pool})):
        return ()
    latest = latest_marks(marks)
    support = [
        sum(1 for s in states if latest[o.id][s].mark is Mark.SUPPORT) for o in pool
    ]  # every deciding state has marked every pooled option

    def rank(chosen: frozenset[int]) -> tuple[int, int, int, tuple[int, ...]]:
        covered = len({pool[i].instrument for i in chosen})
        return (-covered, -sum(support[i] for i in chosen), len(chosen), tuple(sorted(chosen)))

    found: dict[frozenset[int], tuple[int, int, int, tuple[int, ...]]] = {}
    layer: list[frozenset[int]] = [frozenset()]
    for _size in range(max_size):
        grown = {c | {i} for c in layer for i in range(len(pool)) if i not in c}
        if not grown:
            break
        ranked = {c: rank(c) for c in grown}
        layer = heapq.nsmallest(beam, ranked, key=ranked.__getitem__)
        for c in layer:
            if -ranked[c][0] >= min_instruments:
                found[c] = ranked[c]
    best = heapq.nsmallest(limit, found, key=found.__getitem__)
    return tuple(
        Package(
            tuple(pool[i] for i in sorted(c)),
            frozenset(pool[i].instrument for i in c),
            sum(support[i] for i in c),
        )
        for c in best
    )


def check_package(
    chosen: Iterable[str],
    options: Iterable[Option],
    marks: Iterable[OptionMark],
    deciding: Iterable[str],
) -> tuple[Option, ...]:
    """The options with ids ``chosen``, in paper order, once every one is known and agreeable;
    refused otherwise, naming the states in the way."""
    wanted = list(dict.fromkeys(chosen))
    if not wanted:
        raise InvalidInput(_("a package holds at least one option"))
    options = tuple(options)
    known = {o.id: o for o in options}
    for option_id in wanted:
        if option_id not in known:
            raise NotFound(_("there is no option {option!r} in this paper"), option=option_id)
    marks = tuple(marks)
    states = _deciding(deciding)
    if not states:
        raise InvalidInput(_("no state decides on this options paper"))
    ok = {o.id for o in agreeable(options, marks, states)}
    latest = latest_marks(marks)
    for option_id in wanted:
        if option_id not in ok:
            refusing, silent, _reasons = _standing(known[option_id], latest, states)
            raise InvalidInput(
                _("not every deciding state can live with {option!r}: {states} stand in the way"),
                option=option_id,
                states=", ".join(sorted(refusing + silent)),
            )
    chosen_ids = set(wanted)
    return tuple(o for o in options if o.id in chosen_ids)


# -- presenting ---------------------------------------------------------------------------------


def by_track(options: Iterable[Option]) -> dict[Track, tuple[Option, ...]]:
    """Both tracks, deterrence and defence first, each with its options in paper order (an
    empty tuple when a track has none), so that a dual-track policy reads side by side."""
    options = tuple(options)
    return {t: tuple(o for o in options if o.track is t) for t in Track}


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".;:,")
    return text[:1].upper() + text[1:] + "."


def _series(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def draft_decision_text(
    topic_title: str, package: Package | Iterable[Option], *, body: str = "the Council"
) -> list[str]:
    """The paragraphs of a draft decision taking ``package``, in plain English.

    The first paragraph states the decision; then one paragraph per option, grouped by
    instrument in the fixed instrument order (paper order within an instrument), each naming
    its instrument and track and ending with its cost or effort note if any. No paragraph holds
    a square bracket, so the draft registers as a clean text.
    """
    title = _check_plain(topic_title, "topic title")
    body = _check_plain(body, "body")
    chosen = tuple(package.options if isinstance(package, Package) else package)
    if not chosen:
        raise InvalidInput(_("a package holds at least one option"))
    order = {instrument: place for place, instrument in enumerate(Instrument)}
    grouped = sorted(chosen, key=lambda o: order[o.instrument])  # stable: paper order kept
    used = [i.label for i in Instrument if any(o.instrument is i for o in chosen)]
    count = "one measure" if len(chosen) == 1 else f"{len(chosen)} measures"
    lead = (
        f"Having consulted on {title}, {body} decides to take the following {count} together, "
        f"as one package using the {_series(used)} "
        f"{'instrument' if len(used) == 1 else 'instruments'}."
    )
    paragraphs = [lead[:1].upper() + lead[1:]]
    for option in grouped:
        text = (
            f"{option.instrument.label.capitalize()} measure ({option.track.label} track): "
            f"{option.title}"
        )
        paragraph = _sentence(text)
        if option.cost_note:
            paragraph += " Cost or effort: " + _sentence(option.cost_note)
        paragraphs.append(paragraph)
    return paragraphs


#: How the French draft names each instrument: as a measure, and among those a package uses.
_FR_MEASURE = {
    Instrument.DIPLOMATIC: "Mesure diplomatique",
    Instrument.INFORMATION: "Mesure d'information",
    Instrument.MILITARY: "Mesure militaire",
    Instrument.ECONOMIC: "Mesure économique",
    Instrument.LEGAL: "Mesure juridique",
    Instrument.CYBER: "Mesure cyber",
}
_FR_MEANS = {
    Instrument.DIPLOMATIC: "la diplomatie",
    Instrument.INFORMATION: "l'information",
    Instrument.MILITARY: "les moyens militaires",
    Instrument.ECONOMIC: "les moyens économiques",
    Instrument.LEGAL: "le droit",
    Instrument.CYBER: "les moyens cyber",
}
_FR_TRACK = {
    Track.DETERRENCE_DEFENCE: "volet dissuasion et défense",
    Track.DIALOGUE: "volet dialogue",
}
_NBSP = "\u00a0"


def _series_fr(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " et " + words[-1]


def draft_decision_text_fr(
    topic_title: str,
    package: Package | Iterable[Option],
    french: Mapping[str, tuple[str, str]],
    *,
    body: str = "le Conseil",
) -> list[str]:
    """The French version of :func:`draft_decision_text`, paragraph for paragraph (the same
    number of paragraphs, the options in the same order), so that the two register as aligned.

    ``french`` gives each option's French title and cost note by option id; an option without a
    French title, or with a cost note but no French for it, is refused: a draft is not made in
    one language only."""
    title = _check_plain(topic_title, "French topic title")
    body = _check_plain(body, "body")
    chosen = tuple(package.options if isinstance(package, Package) else package)
    if not chosen:
        raise InvalidInput(_("a package holds at least one option"))
    order = {instrument: place for place, instrument in enumerate(Instrument)}
    grouped = sorted(chosen, key=lambda o: order[o.instrument])
    used = [_FR_MEANS[i] for i in Instrument if any(o.instrument is i for o in chosen)]
    count = "la mesure suivante" if len(chosen) == 1 else f"les {len(chosen)} mesures suivantes"
    lead = (
        f"Ayant tenu des consultations sur {title}, {body} décide de prendre ensemble {count}, "
        f"en un seul ensemble mobilisant {_series_fr(used)}."
    )
    paragraphs = [lead[:1].upper() + lead[1:]]
    for option in grouped:
        title_fr, cost_fr = french.get(option.id, ("", ""))
        title_fr = _check_plain(title_fr, f"French title of option {option.id}", required=False)
        cost_fr = _check_plain(cost_fr, f"French cost note of option {option.id}", required=False)
        if not title_fr:
            raise InvalidInput(_("option {option} has no French title"), option=option.id)
        if option.cost_note and not cost_fr:
            raise InvalidInput(_("option {option} has no French cost note"), option=option.id)
        head = f"{_FR_MEASURE[option.instrument]} ({_FR_TRACK[option.track]}){_NBSP}: "
        paragraph = head + _sentence(title_fr)
        if option.cost_note:
            paragraph += f" Coût ou effort{_NBSP}: " + _sentence(cost_fr)
        paragraphs.append(paragraph)
    return paragraphs
