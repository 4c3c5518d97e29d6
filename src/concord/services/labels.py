"""Words shown to people for the core's values, in the active language."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from concord.domain.errors import DomainError
from concord.domain.procedures import Evaluation, Kind, PositionKind, State
from concord.domain.rules import Stance


def kind_label(kind: Kind | str) -> str:
    return {
        Kind.SILENCE: _("silence procedure"),
        Kind.MEETING: _("consensus at a meeting"),
        Kind.WRITTEN: _("written procedure"),
        Kind.DELEGATED: _("delegated authority"),
    }[Kind(kind)]


def state_label(kind: str, ev: Evaluation) -> str:
    if kind == Kind.SILENCE and ev.state is State.NOT_ADOPTED:
        return _("not adopted (silence broken)")
    if kind == Kind.SILENCE and ev.state is State.OPEN and ev.objecting:
        return _("open (silence broken)")
    return {
        State.OPEN: pgettext("procedure", "open"),
        State.AWAITING_CONFIRMATION: _("awaiting confirmation"),
        State.ADOPTED: _("adopted"),
        State.NOT_ADOPTED: _("not adopted"),
        State.CALLED_UP: _("called up"),
        State.WITHDRAWN: _("withdrawn"),
    }[ev.state]


def stance_label(stance: Stance) -> str:
    return {
        Stance.CONSENT: _("consents"),
        Stance.ABSTAIN: _("abstains"),
        Stance.OBJECT: _("objects"),
        Stance.OUTSTANDING: _("outstanding"),
        Stance.STAND_ASIDE: _("stands aside"),
    }[stance]


def position_label(kind: PositionKind | str) -> str:
    return {
        PositionKind.BREAK: _("break of silence"),
        PositionKind.JOIN: _("joins consensus"),
        PositionKind.OBJECT: _("objects"),
        PositionKind.AD_REFERENDUM: _("agrees ad referendum"),
        PositionKind.STAND_ASIDE: _("stands aside"),
        PositionKind.FOOTNOTE: _("footnote"),
        PositionKind.FOOTNOTE_WITHDRAWN: _("footnote withdrawn"),
        PositionKind.STATEMENT: _("interpretative statement"),
        PositionKind.APPROVE: _("approves"),
        PositionKind.ABSTAIN: _("abstains"),
        PositionKind.SCRUTINY_RESERVATION: _("scrutiny reservation"),
        PositionKind.CALL_UP: _("calls up"),
        PositionKind.COUNTERSIGNED: _("objection countersigned"),
        PositionKind.AD_REF_CONFIRMED: _("ad referendum confirmed"),
        PositionKind.AD_REF_WITHDRAWN: _("ad referendum withdrawn"),
    }[PositionKind(kind)]


def event_label(tag: str) -> str:
    labels = {
        "procedure.silence.opened": _("silence procedure opened"),
        "procedure.silence.broken": _("silence broken"),
        "procedure.silence.extended": _("expiry extended"),
        "procedure.silence.withdrawn": _("withdrawn by the chair"),
        "procedure.silence.expired": _("silence period expired"),
        "procedure.meeting.opened": _("item opened"),
        "procedure.meeting.position_recorded": _("position recorded"),
        "procedure.meeting.extended": _("deadline extended"),
        "procedure.meeting.withdrawn": _("withdrawn by the chair"),
        "procedure.meeting.concluded": _("concluded by the chair"),
        "procedure.meeting.expired": _("deadline passed"),
        "procedure.written.opened": _("written procedure opened"),
        "procedure.written.replied": _("reply received"),
        "procedure.written.extended": _("expiry extended"),
        "procedure.written.withdrawn": _("withdrawn by the chair"),
        "procedure.written.expired": _("written procedure expired"),
        "procedure.delegated.opened": _("decision taken under delegated authority"),
        "procedure.delegated.called_up": _("called up"),
        "procedure.delegated.extended": _("call-up period extended"),
        "procedure.delegated.withdrawn": _("withdrawn by the chair"),
        "procedure.delegated.expired": _("call-up period expired"),
        "procedure.objection.countersigned": _("objection countersigned"),
        "procedure.ad_referendum.confirmed": _("ad referendum confirmed"),
        "procedure.ad_referendum.withdrawn": _("ad referendum withdrawn"),
        "decision.recorded": _("decision recorded"),
    }
    return labels.get(tag, tag)


def error_text(exc: DomainError) -> str:
    return exc.translated(_) if hasattr(exc, "translated") else str(exc)
