"""The shapes of what the API reads and writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema


class Problem(Schema):
    """An error, as RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    code: str = ""


class StateOut(Schema):
    iso3: str
    name_en: str
    name_fr: str
    population_millions: str


class MembershipOut(Schema):
    state: str
    kind: Literal["member", "partner"]
    since: date
    until: date | None


class FormatOut(Schema):
    code: str
    name: str
    name_fr: str
    partners: list[str]


class BodyOut(Schema):
    code: str
    name: str
    name_fr: str
    kind: str
    parent: str | None
    chair: str | None
    seat_timezone: str
    rule: dict[str, Any]
    minimum_silence_seconds: int
    ministerial_objections: bool
    coalitions_within: bool
    delegated_authority: bool
    members: list[str] | None = Field(description="the states listed; null: every ally")
    formats: list[FormatOut]


class ParagraphOut(Schema):
    number: int
    text: str
    text_fr: str
    marking: str
    withheld: bool = Field(description="true: the reader may not see this paragraph")


class RevisionOut(Schema):
    reference: str
    number: int
    note: str
    created_at: datetime
    paragraphs: list[ParagraphOut]


class DocumentOut(Schema):
    reference: str
    title: str
    title_fr: str
    classification: str
    marking: str
    releasable_to: list[str]
    body: str
    latest_revision: int
    created_at: datetime


class DocumentDetailOut(DocumentOut):
    revision: RevisionOut


class ParagraphIn(Schema):
    text: str = Field(min_length=1, max_length=20000)
    text_fr: str = Field("", max_length=20000)


class DocumentIn(Schema):
    series: str = Field(min_length=1, max_length=16)
    title: str = Field(min_length=1, max_length=300)
    title_fr: str = Field("", max_length=300)
    body: str = Field(min_length=1, max_length=20)
    classification: Literal[
        "PUBLIC", "UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "COSMIC_TOP_SECRET"
    ] = "UNCLASSIFIED"
    releasable_to: list[str] = Field(default_factory=list, max_length=50)
    paragraphs: list[ParagraphIn] = Field(min_length=1, max_length=5000)


class TextIn(Schema):
    paragraphs: list[ParagraphIn] = Field(min_length=1, max_length=5000)
    note: str = Field("", max_length=300)


class ParticipantOut(Schema):
    state: str
    stance: str
    latest: str | None
    pending: bool


class PositionOut(Schema):
    seq: int
    state: str
    kind: str
    grounds: str | None
    statement: str
    paragraph: int | None
    filed_by: str
    ministerial: bool
    at: str


class OutcomeOut(Schema):
    state: str
    decided_at: str | None
    final: bool
    recorded: bool
    called_up_by: list[str]
    bound: list[str]


class DecisionBrief(Schema):
    number: str
    reference: str
    text_sha256: str
    adopted_at: str | None
    bound: list[str]
    standing_aside: list[str]
    footnotes: list[dict[str, Any]]
    statements: list[dict[str, Any]]


class ProcedureOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    format: str | None
    document: str | None
    state: str
    state_label: str
    recorded_state: str
    opened_at: str | None
    expires_at: str | None
    expiry_text: str
    decided_at: str | None
    objecting: list[str]
    pending: list[str]


class ProcedureDetailOut(ProcedureOut):
    rule: dict[str, Any]
    ministerial_objections: bool
    coalitions_within: bool
    participants: list[ParticipantOut]
    positions: list[PositionOut]
    outcome: OutcomeOut
    decision: DecisionBrief | None
    version: int = Field(description="changes with every change; send it back in If-Match")


class ProcedureIn(Schema):
    kind: Literal["silence", "meeting", "written", "delegated"]
    body: str = Field(min_length=1, max_length=20)
    document: str | None = Field(None, max_length=40)
    expires_at: datetime
    title: str = Field("", max_length=300)
    format: str | None = Field(None, max_length=30)


class PositionIn(Schema):
    state: str = Field(min_length=3, max_length=3)
    kind: Literal[
        "break",
        "join",
        "object",
        "ad_referendum",
        "stand_aside",
        "footnote",
        "footnote_withdrawn",
        "statement",
        "approve",
        "abstain",
        "scrutiny_reservation",
        "call_up",
        "countersigned",
        "ad_ref_confirmed",
        "ad_ref_withdrawn",
    ]
    statement: str = Field("", max_length=10000)
    paragraph: int | None = Field(None, ge=1, le=100000)
    grounds: Literal["", "objection", "amendment"] = ""


class PositionFiledOut(Schema):
    """The answer to a position filed with ``Prefer: return=minimal``."""

    id: int = Field(description="the procedure")
    position: int = Field(description="the position just filed")
    state: str
    pending: list[str]
    version: int = Field(description="the procedure's version after it (also its ETag)")


class ExtendIn(Schema):
    expires_at: datetime


class DecisionOut(Schema):
    number: str
    procedure: int
    title: str
    body: str
    reference: str
    text_sha256: str
    adopted_at: datetime
    bound: list[str]
    standing_aside: list[str]
    footnotes: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    timeline: list[dict[str, Any]]


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    procedure: int | None
    created_at: datetime
    read_at: datetime | None


class ReadIn(Schema):
    ids: list[Annotated[int, Field(ge=1, le=2**53)]] | None = Field(None, max_length=1000)


class CountOut(Schema):
    count: int


class VerifyOut(Schema):
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="shown once; only its digest is kept")


class TokenIn(Schema):
    name: str = Field("", max_length=100)
    scope: Literal["read", "write"] = "read"
    days: int = Field(90, ge=1, le=366)


def page_of(item: type) -> type:
    """A page of ``item``: the items and the cursor of the next page (null at the end)."""
    return type(
        f"{item.__name__}Page",
        (Schema,),
        {
            "__annotations__": {"items": list[item], "next_cursor": str | None},
        },
    )


# -- negotiated texts ---------------------------------------------------------------------------


class NegotiatedParagraphOut(Schema):
    id: str = Field(description="stable identity across revisions (numbering may change)")
    number: int
    withheld: bool
    en: str = Field(description="the English in the bracket notation: [a / b]")
    fr: str
    segments_en: list[Any] = Field(description="plain strings and brackets with their holders")
    segments_fr: list[Any]
    aligned: bool = Field(description="false: English and French changed since last aligned")
    holding_out: list[str] = Field(description="states that cannot agree or await instructions")
    stances: dict[str, str]


class AlternativeOut(Schema):
    en: str | None
    fr: str | None
    holders: list[str]


class OpenBracketOut(Schema):
    bracket: str
    paragraph: str
    number: int
    kind: str
    note: str
    alternatives: list[AlternativeOut]


class AmendmentOut(Schema):
    label: str
    delegation: str
    rationale: str
    state: Literal["proposed", "accepted", "rejected", "withdrawn", "moot"]
    change: dict[str, Any]
    paragraph_number: int | None = None
    proposed_against: str
    proposed_by: str
    proposed_at: datetime
    applied_in: str | None


class NegotiationOut(Schema):
    reference: str
    revision: int
    latest: bool
    ready_for_decision: bool
    blocker: str = Field(description="why a procedure cannot yet be opened on this text")
    agreed_so_far: list[str]
    paragraphs: list[NegotiatedParagraphOut]
    open_brackets: list[OpenBracketOut]
    amendments: list[AmendmentOut]


class AmendmentIn(Schema):
    op: Literal["replace_span", "delete_span", "insert_paragraph", "delete_paragraph"]
    rationale: str = Field(min_length=1, max_length=5000)
    state: str | None = Field(None, max_length=3, description="officers: the delegation")
    paragraph: str = Field("", max_length=64)
    language: Literal["en", "fr"] = "en"
    old: str = Field("", max_length=2000)
    new: str = Field("", max_length=5000)
    occurrence: int = Field(1, ge=1, le=999)
    after: str | None = Field(None, max_length=64)
    french: str = Field("", max_length=5000)
    revision: int | None = Field(None, ge=0, le=9999)


class AmendmentDecisionIn(Schema):
    action: Literal["accept", "reject", "withdraw", "overtake"]


class HoldIn(Schema):
    alternative: int | None = Field(None, ge=1, le=50)
    state: str | None = Field(None, max_length=3)


class StanceIn(Schema):
    stance: Literal["can_agree", "cannot_agree", "awaiting_instructions"]
    state: str | None = Field(None, max_length=3)


class IssueIn(Schema):
    cleaned: dict[str, int] = Field(default_factory=dict)
    note: str = Field("", max_length=300)


class RunOut(Schema):
    kind: Literal["equal", "insert", "delete"]
    text: str


class ParagraphDiffOut(Schema):
    paragraph: str
    change: Literal["inserted", "deleted", "changed"]
    old_number: int | None
    new_number: int | None
    withheld: bool
    en: list[RunOut]
    fr: list[RunOut]


class DiffOut(Schema):
    old: int
    new: int
    paragraphs: list[ParagraphDiffOut]


# -- topics, consultations, options papers, commitments ------------------------------------------

Threat = Literal[
    "military_build_up",
    "terrorism",
    "rising_power",
    "pandemic",
    "cyber_attack",
    "disinformation",
    "other",
]
TrackName = Literal["deterrence_defence", "dialogue"]
InstrumentName = Literal["diplomatic", "information", "military", "economic", "legal", "cyber"]
MarkName = Literal["support", "can_live_with", "cannot_accept"]
StatusName = Literal["due", "delivered", "late", "off_track"]
CommitmentKind = Literal["spending", "standard", "capability"]
OptionNumber = Annotated[int, Field(ge=1, le=32767)]


class TopicOut(Schema):
    code: str
    title: str
    title_fr: str
    threats: list[str]
    tracks: list[str]
    dual_track: bool = Field(description="on both tracks: a dual-track policy")
    body: str
    created_at: datetime


class ConsultationOut(Schema):
    id: int
    topic: str
    state: str
    grounds: str
    requested_at: datetime
    convene_by: datetime = Field(description="the latest instant the body meets by")
    meeting: int | None = Field(description="the procedure convened for it")
    closed_at: datetime | None


class MeasureOut(Schema):
    id: int
    topic: str
    state: str
    description: str
    effective_on: date
    notified_at: datetime
    in_advance: bool = Field(description="notified before it took effect")


class PaperBrief(Schema):
    id: int
    title: str
    title_fr: str
    document: str | None = Field(description="the draft decision made from it, if any")


class CommitmentOut(Schema):
    id: int
    kind: CommitmentKind
    title: str
    title_fr: str
    due: date
    target: float | None
    states: list[str]
    topic: str | None
    decision: str | None


class TopicDetailOut(TopicOut):
    requests: list[ConsultationOut]
    measures: list[MeasureOut]
    papers: list[PaperBrief]
    commitments: list[CommitmentOut]


class TopicIn(Schema):
    code: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=300)
    title_fr: str = Field("", max_length=300)
    threats: list[Threat] = Field(min_length=1, max_length=7)
    tracks: list[TrackName] = Field(min_length=1, max_length=2)
    body: str = Field("NAC", min_length=1, max_length=20)


class ConsultationIn(Schema):
    grounds: str = Field(min_length=1, max_length=5000)
    state: str | None = Field(None, min_length=3, max_length=3, description="default: yours")
    format: str | None = Field(None, max_length=30, description="one of the body's formats")


class MeasureIn(Schema):
    description: str = Field(min_length=1, max_length=5000)
    effective_on: date
    state: str | None = Field(None, min_length=3, max_length=3, description="default: yours")


class MarkData(Schema):
    mark: MarkName
    reason: str


class OptionOut(Schema):
    number: int
    title: str
    title_fr: str
    instrument: InstrumentName
    track: TrackName
    cost_note: str
    marks: dict[str, MarkData] = Field(description="each state's latest mark")
    support: int
    can_live_with: int
    cannot_accept: int
    not_marked: int


class MissOut(Schema):
    option: int
    title: str
    cannot_accept: list[str]
    not_marked: list[str]
    reasons: dict[str, str]


class PackageOut(Schema):
    options: list[int]
    instruments: list[str]
    support: int


class OptionsPaperOut(Schema):
    paper: int
    title: str
    topic: str
    topic_title: str
    dual_track: bool
    document: str | None
    deciding: list[str] = Field(description="the states whose marks count")
    options: list[OptionOut]
    agreeable: list[int] = Field(description="the options every deciding state can live with")
    nearest_misses: list[MissOut]
    packages: list[PackageOut]
    by_track: dict[str, list[int]]


class MarkIn(Schema):
    option: OptionNumber
    mark: MarkName
    reason: str = Field("", max_length=2000, description="required to cannot_accept")
    state: str | None = Field(None, min_length=3, max_length=3, description="default: yours")


class MarkOut(Schema):
    paper: int
    option: int
    state: str
    mark: MarkName
    reason: str
    at: datetime


class DraftIn(Schema):
    options: list[OptionNumber] = Field(min_length=1, max_length=50)


class DraftOut(Schema):
    reference: str = Field(description="the draft decision registered, e.g. PO(2026)0007")
    title: str
    languages: list[str]


class DashboardStateOut(Schema):
    state: str
    name: str
    status: StatusName
    figure: float | None
    expected: float | None = Field(description="spending: the share expected on the trajectory")
    reported_at: str | None
    delivered: bool


class DashboardOut(Schema):
    on: date
    counts: dict[str, int]
    states: list[DashboardStateOut]
    years: list[int]
    series: dict[str, dict[str, float]] = Field(description="spending: state -> year -> share")


class ReviewOut(Schema):
    report: int
    verdict: Literal["accepted", "queried"]
    note: str
    at: datetime
    by: str


class ReportOut(Schema):
    id: int
    state: str
    at: datetime
    year: int | None
    figure: float | None
    evidence: str
    delivered: bool
    by: str
    review: ReviewOut | None


class CommitmentDetailOut(CommitmentOut):
    dashboard: DashboardOut
    reports: list[ReportOut]


class CommitmentIn(Schema):
    kind: CommitmentKind
    title: str = Field(min_length=1, max_length=300)
    title_fr: str = Field("", max_length=300)
    due: date
    target: float | None = Field(None, gt=0, le=100, description="spending: % of GDP")
    decision: str | None = Field(
        None, max_length=40, description="the decision it follows from, e.g. NAC-DS(2026)0001"
    )
    states: list[Annotated[str, Field(min_length=3, max_length=3)]] | None = Field(
        None, max_length=100, description="default with a decision: the states it binds"
    )
    topic: str | None = Field(None, max_length=64)


class ReportIn(Schema):
    evidence: str = Field(min_length=1, max_length=10000)
    figure: float | None = Field(None, ge=0, le=1_000_000, description="spending: % of GDP")
    year: int | None = Field(None, ge=1900, le=2200, description="spending: the year it is for")
    delivered: bool = False
    state: str | None = Field(None, min_length=3, max_length=3, description="default: yours")


class ReviewIn(Schema):
    verdict: Literal["accepted", "queried"]
    note: str = Field("", max_length=2000, description="required to query")
