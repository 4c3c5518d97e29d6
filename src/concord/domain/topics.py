"""The issues-and-threats register: topics, consultations on request and national measures.

**Topics.** The alliance follows a register of topics (a neighbour's military build-up,
terrorism, a rising power's influence, a pandemic, cyber attacks, disinformation campaigns …).
Each :class:`Topic` carries one or more :class:`Threat` kinds — a closed vocabulary rather than
free tags, so that registers, filters and exports agree across bodies and languages, with
:attr:`Threat.OTHER` for what fits none — and the :class:`Track` or tracks on which the alliance
answers it. A *dual-track* policy (deterrence and defence together with dialogue, as in the
Harmel Report of 1967 or the double-track decision of 1979) carries both tracks, and its options
are shown side by side.

**Consultations on request.** Under Article 4 of the North Atlantic Treaty any *member* may ask
for consultations whenever, in its opinion, the territorial integrity, political independence or
security of any member is threatened; the Council then meets promptly, within the time the
body's settings give (e.g. 24 hours). The right
belongs to the allies: a partner may take part when the format includes it, but it cannot
request consultations under that article (DOMAIN.md §8). A request must state its grounds. A
state with a request still open on a topic may not file a second one on the same topic; another
state may (several allies often request together, each in its own name).
:func:`convene_by` gives the latest instant for the meeting, from the body's setting.

**National measures.** So that allies consult before acting alone, a member notifies the
measures it is taking nationally on a topic (sanctions, troop movements, closing an airspace …)
with the date they take effect. A notification made after the measure took effect is accepted
— late information is better than none — and :attr:`MeasureNotification.in_advance` says which
it was.

Every refusal is a :class:`~concord.domain.errors.DomainError` with a translatable template.
Nothing here reads the clock: instants are arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from concord.domain.alliance import SPEAKS_FOR_STATE, Actor, Membership, MembershipKind
from concord.domain.canonical import format_instant
from concord.domain.errors import InvalidInput, NotAllowed, _
from concord.domain.negotiation.model import check_id, check_state_code


class Track(StrEnum):
    """The two tracks of the alliance's answer to a threat."""

    DETERRENCE_DEFENCE = "deterrence_defence"
    DIALOGUE = "dialogue"

    @property
    def label(self) -> str:
        return _TRACK_LABELS[self]


_TRACK_LABELS = {
    Track.DETERRENCE_DEFENCE: _("deterrence and defence"),
    Track.DIALOGUE: _("dialogue"),
}


class Instrument(StrEnum):
    """The instruments of power an option uses; in this order on every page and in drafts."""

    DIPLOMATIC = "diplomatic"
    INFORMATION = "information"
    MILITARY = "military"
    ECONOMIC = "economic"
    LEGAL = "legal"
    CYBER = "cyber"

    @property
    def label(self) -> str:
        return _INSTRUMENT_LABELS[self]


_INSTRUMENT_LABELS = {
    Instrument.DIPLOMATIC: _("diplomatic"),
    Instrument.INFORMATION: _("information"),
    Instrument.MILITARY: _("military"),
    Instrument.ECONOMIC: _("economic"),
    Instrument.LEGAL: _("legal"),
    Instrument.CYBER: _("cyber"),
}


class Threat(StrEnum):
    """What kind of issue or threat a topic is about; a topic may be several at once."""

    MILITARY_BUILD_UP = "military_build_up"
    TERRORISM = "terrorism"
    RISING_POWER = "rising_power"
    PANDEMIC = "pandemic"
    CYBER_ATTACK = "cyber_attack"
    DISINFORMATION = "disinformation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _THREAT_LABELS[self]


_THREAT_LABELS = {
    Threat.MILITARY_BUILD_UP: _("military build-up"),
    Threat.TERRORISM: _("terrorism"),
    Threat.RISING_POWER: _("a rising power's influence"),
    Threat.PANDEMIC: _("pandemic"),
    Threat.CYBER_ATTACK: _("cyber attack"),
    Threat.DISINFORMATION: _("disinformation and propaganda"),
    Threat.OTHER: _("other"),
}


def _check_plain_text(value: str, what: str) -> str:
    """``value`` stripped; refused when blank or when it holds a square bracket (texts drafted
    from it must never read as unagreed wording)."""
    text = value.strip()
    if not text:
        raise InvalidInput(_("the {what} may not be empty"), what=what)
    if "[" in text or "]" in text:
        raise InvalidInput(_("the {what} may not contain square brackets"), what=what)
    return text


def _check_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(_("the {what} must carry a time zone"), what=what)


@dataclass(frozen=True, slots=True)
class Topic:
    """An issue or threat the alliance follows. ``tracks`` holds both tracks for a dual-track
    policy."""

    id: str
    title: str
    threats: frozenset[Threat]
    tracks: frozenset[Track] = frozenset({Track.DETERRENCE_DEFENCE})

    def __post_init__(self) -> None:
        check_id(self.id, "topic")
        object.__setattr__(self, "title", _check_plain_text(self.title, "topic title"))
        object.__setattr__(self, "threats", frozenset(Threat(t) for t in self.threats))
        object.__setattr__(self, "tracks", frozenset(Track(t) for t in self.tracks))
        if not self.threats:
            raise InvalidInput(_("a topic names at least one kind of threat"))
        if not self.tracks:
            raise InvalidInput(_("a topic is on at least one track"))

    @property
    def dual_track(self) -> bool:
        return len(self.tracks) == len(Track)


# -- who is a member --------------------------------------------------------------------------


def _membership_kind(memberships: Iterable[Membership], state: str, on: date) -> MembershipKind:
    """MEMBER if ``state`` is an ally on ``on``, PARTNER if only a partner; refused otherwise."""
    kinds = {m.kind for m in memberships if m.state == state and m.valid_on(on)}
    if MembershipKind.MEMBER in kinds:
        return MembershipKind.MEMBER
    if MembershipKind.PARTNER in kinds:
        return MembershipKind.PARTNER
    raise NotAllowed(_("{state} is not a member of the alliance"), state=state)


def _check_speaks_for(actor: Actor, state: str) -> None:
    if actor.role not in SPEAKS_FOR_STATE or actor.state != state:
        raise NotAllowed(_("{user} may not speak for {state}"), user=actor.username, state=state)


# -- consultations on request -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsultationRequest:
    """A member's request for consultations on a topic, with its grounds.

    It is *open* from ``requested_at`` until ``closed_at`` (the consultations were held and the
    item closed, or the request was withdrawn); ``None`` means still open.
    """

    state: str
    topic: str
    grounds: str
    requested_at: datetime
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        check_state_code(self.state)
        check_id(self.topic, "topic")
        _check_aware(self.requested_at, "request time")
        if self.closed_at is not None:
            _check_aware(self.closed_at, "closing time")
            if self.closed_at < self.requested_at:
                raise InvalidInput(_("a request cannot close before it was made"))

    def open_at(self, at: datetime) -> bool:
        return self.requested_at <= at and (self.closed_at is None or at < self.closed_at)


def convene_by(requested_at: datetime, within: timedelta) -> datetime:
    """The latest instant at which the Council meets on a request made at ``requested_at``,
    when the body's setting says it meets ``within`` a given time (e.g. 24 hours)."""
    _check_aware(requested_at, "request time")
    if within <= timedelta(0):
        raise InvalidInput(_("the time within which the Council meets must be positive"))
    return requested_at + within


def check_request(
    request: ConsultationRequest,
    *,
    actor: Actor,
    memberships: Iterable[Membership],
    requests: Iterable[ConsultationRequest] = (),
) -> None:
    """Refuse a request that the rules do not allow; silence means it may be recorded.

    ``requests`` are those already recorded (any state, any topic). Membership is judged on the
    UTC day of the request.
    """
    _check_speaks_for(actor, request.state)
    kind = _membership_kind(memberships, request.state, request.requested_at.date())
    if kind is not MembershipKind.MEMBER:
        raise NotAllowed(
            _("{state} is a partner: only members may request consultations"),
            state=request.state,
        )
    if not request.grounds.strip():
        raise InvalidInput(_("a request for consultations states its grounds"))
    for earlier in requests:
        if (
            earlier.state == request.state
            and earlier.topic == request.topic
            and earlier.open_at(request.requested_at)
        ):
            raise InvalidInput(
                _("{state} already has an open request on this topic, made at {at}"),
                state=request.state,
                at=format_instant(earlier.requested_at),
            )


# -- national measures ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeasureNotification:
    """A member's notice of a national measure it takes on a topic, from ``effective_on``."""

    state: str
    topic: str
    description: str
    effective_on: date
    notified_at: datetime

    def __post_init__(self) -> None:
        check_state_code(self.state)
        check_id(self.topic, "topic")
        _check_aware(self.notified_at, "notification time")

    @property
    def in_advance(self) -> bool:
        """Whether allies heard of the measure before the (UTC) day it took effect."""
        return self.notified_at.date() < self.effective_on


def check_measure(
    notification: MeasureNotification, *, actor: Actor, memberships: Iterable[Membership]
) -> None:
    """Refuse a notification from someone who may not make it, or one with no description."""
    _check_speaks_for(actor, notification.state)
    kind = _membership_kind(memberships, notification.state, notification.notified_at.date())
    if kind is not MembershipKind.MEMBER:
        raise NotAllowed(
            _("{state} is a partner: only members notify national measures"),
            state=notification.state,
        )
    if not notification.description.strip():
        raise InvalidInput(_("a notification describes the measure"))
