"""Typed audit event tags, named by cause in the past tense (``area.subject.happened``)."""

from __future__ import annotations

from enum import StrEnum

from concord.domain.procedures import Action, Kind, PositionKind


class Tag(StrEnum):
    DEMO_SEEDED = "alliance.demo.seeded"
    RECORD_SAVED = "admin.record.saved"
    RECORD_DELETED = "admin.record.deleted"
    DOCUMENT_REGISTERED = "document.registered"
    DOCUMENT_REVISED = "document.revised"
    AMENDMENT_PROPOSED = "text.amendment.proposed"
    AMENDMENT_ACCEPTED = "text.amendment.accepted"
    AMENDMENT_REJECTED = "text.amendment.rejected"
    AMENDMENT_WITHDRAWN = "text.amendment.withdrawn"
    AMENDMENT_MOOT = "text.amendment.moot"
    BRACKET_HELD = "text.bracket.held"
    BRACKET_RELEASED = "text.bracket.released"
    PARAGRAPH_ALIGNED = "text.paragraph.aligned"
    PARAGRAPH_STANCE = "text.paragraph.stance_recorded"
    SILENCE_OPENED = "procedure.silence.opened"
    SILENCE_BROKEN = "procedure.silence.broken"
    SILENCE_EXTENDED = "procedure.silence.extended"
    SILENCE_WITHDRAWN = "procedure.silence.withdrawn"
    SILENCE_EXPIRED = "procedure.silence.expired"
    MEETING_OPENED = "procedure.meeting.opened"
    MEETING_POSITION_RECORDED = "procedure.meeting.position_recorded"
    MEETING_EXTENDED = "procedure.meeting.extended"
    MEETING_WITHDRAWN = "procedure.meeting.withdrawn"
    MEETING_CONCLUDED = "procedure.meeting.concluded"
    MEETING_EXPIRED = "procedure.meeting.expired"
    WRITTEN_OPENED = "procedure.written.opened"
    WRITTEN_REPLIED = "procedure.written.replied"
    WRITTEN_EXTENDED = "procedure.written.extended"
    WRITTEN_WITHDRAWN = "procedure.written.withdrawn"
    WRITTEN_EXPIRED = "procedure.written.expired"
    DELEGATED_OPENED = "procedure.delegated.opened"
    DELEGATED_CALLED_UP = "procedure.delegated.called_up"
    DELEGATED_EXTENDED = "procedure.delegated.extended"
    DELEGATED_WITHDRAWN = "procedure.delegated.withdrawn"
    DELEGATED_EXPIRED = "procedure.delegated.expired"
    OBJECTION_COUNTERSIGNED = "procedure.objection.countersigned"
    AD_REFERENDUM_CONFIRMED = "procedure.ad_referendum.confirmed"
    AD_REFERENDUM_WITHDRAWN = "procedure.ad_referendum.withdrawn"
    DECISION_RECORDED = "decision.recorded"
    SIGNED_IN = "account.signed_in"
    SIGN_IN_FAILED = "account.sign_in_failed"
    SIGNED_OUT = "account.signed_out"
    TOKEN_CREATED = "account.token.created"
    TOKEN_REVOKED = "account.token.revoked"
    ACCESS_REFUSED = "access.refused"
    TOPIC_REGISTERED = "topic.registered"
    CONSULTATION_REQUESTED = "consultation.requested"
    CONSULTATION_CONVENED = "consultation.convened"
    CONSULTATION_CLOSED = "consultation.closed"
    MEASURE_NOTIFIED = "measure.notified"
    OPTIONS_PAPER_CREATED = "options.paper.created"
    OPTIONS_OPTION_ADDED = "options.option.added"
    OPTIONS_OPTION_MARKED = "options.option.marked"
    OPTIONS_PACKAGE_DRAFTED = "options.package.drafted"
    COMMITMENT_CREATED = "commitment.created"
    COMMITMENT_REPORTED = "commitment.reported"
    COMMITMENT_REPORT_ACCEPTED = "commitment.report.accepted"
    COMMITMENT_REPORT_QUERIED = "commitment.report.queried"
    COMMITMENT_REMINDER_SENT = "commitment.reminder.sent"


def procedure_tag(kind: Kind, action: Action, position: PositionKind | None = None) -> Tag:
    """The tag of a procedure event, by its kind and cause."""
    if position is PositionKind.COUNTERSIGNED:
        return Tag.OBJECTION_COUNTERSIGNED
    if position is PositionKind.AD_REF_CONFIRMED:
        return Tag.AD_REFERENDUM_CONFIRMED
    if position is PositionKind.AD_REF_WITHDRAWN:
        return Tag.AD_REFERENDUM_WITHDRAWN
    if action is Action.FILE_POSITION or action is Action.CALL_UP:
        verb = {
            Kind.SILENCE: "broken",
            Kind.MEETING: "position_recorded",
            Kind.WRITTEN: "replied",
            Kind.DELEGATED: "called_up",
        }[kind]
    else:
        verb = {
            Action.EXTEND: "extended",
            Action.WITHDRAW: "withdrawn",
            Action.CONCLUDE: "concluded",
            Action.EXPIRE: "expired",
        }[action]
    return Tag(f"procedure.{kind.value}.{verb}")


def opened_tag(kind: Kind) -> Tag:
    return Tag(f"procedure.{kind.value}.opened")
