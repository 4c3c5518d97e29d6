"""Topics, consultations on request, national measures, options papers and commitments through
the services: what each writes, its audit event, refusals that change nothing, and who sees what."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from concord.documents.models import Document
from concord.domain.errors import IllegalTransition, InvalidInput, NotAllowed, NotFound
from concord.domain.procedures import Kind
from concord.notifications.models import Notification
from concord.policy.models import (
    Commitment,
    CommitmentReport,
    ConsultationRequest,
    MeasureNotification,
    OptionMark,
    ReminderSent,
    Topic,
)
from concord.procedures.models import Procedure
from concord.records.models import AuditEvent
from concord.services import audit, notifications, policy, texts
from tests.factories import BodyFactory, delegate, partner_format, secretary
from tests.integration.conftest import T0

H = timedelta(hours=1)
DAY = timedelta(days=1)


def tags() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("tag", flat=True))


@pytest.fixture
def topic(council):
    return policy.register_topic(
        by=secretary(),
        code="eastern-build-up",
        title="A neighbour's build-up on the eastern flank",
        title_fr="le renforcement d'un voisin sur le flanc est",
        threats=["military_build_up"],
        tracks=["deterrence_defence", "dialogue"],
        body=council,
        now=T0,
    )


# -- the register ---------------------------------------------------------------------------------


def test_the_secretariat_registers_a_topic_with_its_event(topic):
    assert topic.tracks == ["deterrence_defence", "dialogue"] and topic.to_domain().dual_track
    event = AuditEvent.objects.get(tag="topic.registered")
    assert event.subject == "topic:eastern-build-up" and event.actor == "secretary"


def test_refused_topics_write_nothing(council, topic):
    before = tags()
    for kwargs, error in (
        ({"by": delegate("FRA"), "code": "x"}, NotAllowed),
        ({"by": secretary(), "code": "eastern-build-up"}, InvalidInput),  # taken
        ({"by": secretary(), "code": "y", "threats": ["weather"]}, InvalidInput),
        ({"by": secretary(), "code": "z", "title": "A [bracketed] title"}, InvalidInput),
    ):
        args = {
            "title": "Terrorism",
            "threats": ["terrorism"],
            "tracks": ["dialogue"],
            "body": council,
            "now": T0,
        } | kwargs
        with pytest.raises(error):
            policy.register_topic(**args)
    assert tags() == before and Topic.objects.count() == 1


# -- consultations on request -------------------------------------------------------------------


def test_a_member_requesting_consultations_convenes_the_council_and_everyone_is_told(topic):
    people = [delegate(s) for s in ("POL", "FRA", "USA", "EST")]
    request = policy.request_consultations(
        by=people[0], topic=topic, state="POL", grounds="Troops massed at our border.", now=T0
    )
    meeting = request.meeting
    assert meeting.kind == Kind.MEETING and meeting.revision_id is None
    assert meeting.title == f"Consultations requested by POL: {topic.title}"
    assert meeting.opened_by == topic.body.chair and meeting.expires_at == T0 + 24 * H
    assert request.convene_by == T0 + 24 * H
    assert meeting.participants.count() == 32
    assert tags()[-3:] == [
        "consultation.requested",
        "procedure.meeting.opened",
        "consultation.convened",
    ]
    notifications.process_events(T0 + H)
    told = set(
        Notification.objects.filter(procedure=meeting).values_list("user__username", flat=True)
    )
    assert {p.username for p in people} <= told
    assert audit.verify().ok


def test_the_body_setting_decides_how_soon_the_council_meets(topic):
    body = topic.body
    body.consultation_within = timedelta(hours=2)
    body.save()
    topic.refresh_from_db()
    request = policy.request_consultations(
        by=delegate("EST"), topic=topic, state="EST", grounds="Airspace violations.", now=T0
    )
    assert request.meeting.expires_at == T0 + 2 * H


def test_refused_requests_write_nothing(topic):
    partner_format(topic.body)
    policy.request_consultations(
        by=delegate("POL"), topic=topic, state="POL", grounds="Troops.", now=T0
    )
    before, meetings = tags(), Procedure.objects.count()
    cases = (
        (delegate("JPN", "partner_delegate"), "JPN", "Concern.", NotAllowed),  # a partner
        (delegate("FRA"), "POL", "Concern.", NotAllowed),  # not its state
        (delegate("FRA"), "FRA", "   ", InvalidInput),  # no grounds
        (delegate("POL"), "POL", "Again.", InvalidInput),  # POL's request is still open
        (delegate("FRA"), "XXX", "Concern.", NotFound),
    )
    for user, state, grounds, error in cases:
        with pytest.raises(error):
            policy.request_consultations(
                by=user, topic=topic, state=state, grounds=grounds, now=T0 + H
            )
    assert tags() == before and Procedure.objects.count() == meetings
    assert ConsultationRequest.objects.count() == 1


def test_closing_a_request_lets_the_state_request_again(topic):
    pol = delegate("POL")
    request = policy.request_consultations(
        by=pol, topic=topic, state="POL", grounds="Troops.", now=T0
    )
    with pytest.raises(NotAllowed):
        policy.close_consultation(by=delegate("FRA"), request_id=request.pk, now=T0 + H)
    closed = policy.close_consultation(by=topic.body.chair, request_id=request.pk, now=T0 + H)
    assert closed.closed_at == T0 + H and tags()[-1] == "consultation.closed"
    with pytest.raises(IllegalTransition):
        policy.close_consultation(by=pol, request_id=request.pk, now=T0 + 2 * H)
    again = policy.request_consultations(
        by=pol, topic=topic, state="POL", grounds="More troops.", now=T0 + 3 * H
    )
    withdrawn = policy.close_consultation(by=pol, request_id=again.pk, now=T0 + 4 * H)
    assert withdrawn.closed_by == pol
    assert '"withdrawn":true' in AuditEvent.objects.filter(tag="consultation.closed").last().payload


def test_members_notify_national_measures_partners_may_not(topic):
    notice = policy.notify_measure(
        by=delegate("FIN"),
        topic=topic,
        state="FIN",
        description="Two border crossings close for ninety days.",
        effective_on=(T0 + 2 * DAY).date(),
        now=T0,
    )
    assert '"in_advance":true' in AuditEvent.objects.get(tag="measure.notified").payload
    assert notice.to_domain().in_advance
    with pytest.raises(NotAllowed):
        policy.notify_measure(
            by=delegate("JPN", "partner_delegate"),
            topic=topic,
            state="JPN",
            description="Export controls.",
            effective_on=T0.date(),
            now=T0,
        )
    assert MeasureNotification.objects.count() == 1


# -- who sees the register ---------------------------------------------------------------------


def test_a_partner_sees_a_topic_only_when_the_body_has_a_format_with_it(topic):
    jpn = delegate("JPN", "partner_delegate")
    assert not policy.topics(jpn).exists()
    with pytest.raises(NotFound):
        policy.get_topic(topic.code, jpn)
    partner_format(topic.body)
    assert list(policy.topics(jpn)) == [topic]
    assert list(policy.topics(delegate("MNG", "partner_delegate"))) == []
    assert list(policy.topics(delegate("FRA"))) == [topic]


def test_a_member_outside_a_restricted_body_does_not_see_its_topics(states):
    small = BodyFactory(code="SWG", kind="working_group")
    small.member_states.set(["FRA", "DEU"])
    topic = policy.register_topic(
        by=secretary(),
        code="pandemic",
        title="A pandemic",
        threats=["pandemic"],
        tracks=["dialogue"],
        body=small,
        now=T0,
    )
    assert policy.may_see_topic(delegate("FRA"), topic)
    assert not policy.may_see_topic(delegate("POL"), topic)
    assert policy.may_see_topic(secretary(), topic)
    opts = policy.create_paper(by=secretary(), topic=topic, title="Options", now=T0)
    assert not policy.papers(delegate("POL")).filter(pk=opts.pk).exists()


# -- options papers ---------------------------------------------------------------------------------


@pytest.fixture
def small_topic(states):
    body = BodyFactory(code="SWG", kind="working_group")
    body.member_states.set(["DEU", "FRA", "POL"])
    return policy.register_topic(
        by=secretary(),
        code="build-up",
        title="the build-up",
        title_fr="le renforcement",
        threats=["military_build_up"],
        tracks=["deterrence_defence", "dialogue"],
        body=body,
        now=T0,
    )


OPTIONS = (
    (
        "Send an envoy",
        "Envoyer un émissaire",
        "diplomatic",
        "dialogue",
        "Two weeks",
        "Deux semaines",
    ),
    (
        "Reinforce air policing",
        "Renforcer la police du ciel",
        "military",
        "deterrence_defence",
        "",
        "",
    ),
    ("Restrict exports", "Restreindre les exportations", "economic", "deterrence_defence", "", ""),
    ("Send a cyber team", "", "cyber", "deterrence_defence", "", ""),
)


@pytest.fixture
def opts(small_topic):
    sec = secretary()
    opts = policy.create_paper(by=sec, topic=small_topic, title="Options", now=T0)
    for title, title_fr, instrument, track, cost, cost_fr in OPTIONS:
        policy.add_option(
            by=sec,
            paper=opts,
            title=title,
            title_fr=title_fr,
            instrument=instrument,
            track=track,
            cost_note=cost,
            cost_note_fr=cost_fr,
            now=T0,
        )
    return opts


def _mark_all(opts, option, mark="can_live_with", skip=()):
    for state in ("DEU", "FRA", "POL"):
        if state not in skip:
            policy.mark_option(
                by=delegate(state), paper=opts, option=option, state=state, mark=mark, now=T0 + H
            )


def test_options_are_numbered_and_audited(opts):
    assert list(opts.options.values_list("number", flat=True)) == [1, 2, 3, 4]
    assert tags().count("options.option.added") == 4 and "options.paper.created" in tags()


def test_only_the_secretariat_drafts_options(small_topic, opts):
    before = tags()
    with pytest.raises(NotAllowed):
        policy.create_paper(by=delegate("FRA"), topic=small_topic, title="Mine", now=T0)
    with pytest.raises(NotAllowed):
        policy.add_option(
            by=delegate("FRA"), paper=opts, title="X", instrument="legal", track="dialogue"
        )
    with pytest.raises(InvalidInput):
        policy.add_option(
            by=secretary(), paper=opts, title="X", instrument="nuclear", track="dialogue"
        )
    assert tags() == before


def test_marks_analysis_and_refusals(opts, small_topic):
    _mark_all(opts, 1, "support")
    _mark_all(opts, 2)
    _mark_all(opts, 3, skip=("DEU",))
    policy.mark_option(
        by=delegate("DEU"),
        paper=opts,
        option=3,
        state="DEU",
        mark="cannot_accept",
        reason="It would hurt our exporters.",
        now=T0 + H,
    )
    chair = small_topic.body.chair
    policy.mark_option(by=chair, paper=opts, option=4, state="POL", mark="support", now=T0 + H)
    assert (
        '"on_behalf":true' in AuditEvent.objects.filter(tag="options.option.marked").last().payload
    )
    before, marks = tags(), OptionMark.objects.count()
    for by, state, option, mark, reason, error in (
        (delegate("FRA"), "DEU", 1, "support", "", NotAllowed),  # not its state
        (delegate("USA"), "USA", 1, "support", "", NotAllowed),  # not in the body
        (delegate("FRA"), "FRA", 9, "support", "", NotFound),  # no such option
        (delegate("FRA"), "FRA", 1, "cannot_accept", " ", InvalidInput),  # no reason
        (delegate("FRA"), "FRA", 1, "veto", "", InvalidInput),
    ):
        with pytest.raises(error):
            policy.mark_option(
                by=by, paper=opts, option=option, state=state, mark=mark, reason=reason
            )
    assert tags() == before and OptionMark.objects.count() == marks

    data = policy.analysis(opts, now=T0 + 2 * H)
    assert data["deciding"] == ["DEU", "FRA", "POL"]
    assert data["agreeable"] == [1, 2]
    misses = {m["option"]: m for m in data["nearest_misses"]}
    assert misses[4]["not_marked"] == ["DEU", "FRA"]
    assert misses[3]["cannot_accept"] == ["DEU"]
    assert misses[3]["reasons"] == {"DEU": "It would hurt our exporters."}
    assert data["packages"][0] == {
        "options": [1, 2],
        "instruments": ["diplomatic", "military"],
        "support": 3,
    }
    assert data["by_track"] == {"deterrence_defence": [2, 3, 4], "dialogue": [1]}
    assert data["options"][0]["support"] == 3 and data["options"][2]["cannot_accept"] == 1


def test_a_package_becomes_a_draft_in_both_languages_ready_for_a_procedure(opts):
    _mark_all(opts, 1)
    _mark_all(opts, 2, "support")
    revision = policy.draft_decision(by=secretary(), paper=opts, options=[2, 1], now=T0 + 2 * H)
    opts.refresh_from_db()
    assert opts.document == revision.document
    paragraphs = list(revision.paragraphs.order_by("number"))
    assert len(paragraphs) == 3 and all(p.text_fr for p in paragraphs)
    assert paragraphs[1].text.startswith("Diplomatic measure (dialogue track): Send an envoy.")
    assert paragraphs[1].text_fr.startswith("Mesure diplomatique (volet dialogue)")
    texts.ready(revision)  # no bracket, both languages aligned: a procedure may open on it
    assert tags()[-2:] == ["document.registered", "options.package.drafted"]


def test_a_draft_without_french_is_english_only_and_refusals_register_nothing(opts):
    _mark_all(opts, 1)
    _mark_all(opts, 4)
    _mark_all(opts, 3, skip=("POL",))
    before, documents = tags(), Document.objects.count()
    with pytest.raises(InvalidInput, match="POL stand in the way"):
        policy.draft_decision(by=secretary(), paper=opts, options=[1, 3])
    with pytest.raises(NotAllowed):
        policy.draft_decision(by=delegate("FRA"), paper=opts, options=[1])
    with pytest.raises(NotFound):
        policy.draft_decision(by=secretary(), paper=opts, options=[7])
    assert tags() == before and Document.objects.count() == documents
    revision = policy.draft_decision(by=secretary(), paper=opts, options=[1, 4], now=T0 + H)
    assert not any(p.text_fr for p in revision.paragraphs.all())  # option 4 has no French
    with pytest.raises(IllegalTransition):
        texts.ready(revision)


# -- commitments --------------------------------------------------------------------------------


@pytest.fixture
def pledge(states):
    return policy.create_commitment(
        by=secretary(),
        kind="spending",
        title="At least 2 % of GDP by 2024",
        due=date(2024, 12, 31),
        target="2.0",
        states=["FRA", "DEU", "POL"],
        baseline_on=date(2014, 9, 5),
        baselines={"FRA": "1.82", "DEU": "1.19", "POL": "1.88"},
        now=T0 - timedelta(days=4000),
    )


def _report(commitment, state, figure, year, at, delivered=None, by=None):
    return policy.report_progress(
        by=by or delegate(state),
        commitment=commitment,
        state=state,
        figure=figure,
        year=year,
        delivered=Decimal(figure) >= 2 if delivered is None else delivered,
        evidence=f"Published figures for {year}",
        now=at,
    )


def test_commitments_reports_reviews_and_the_dashboard(pledge):
    from datetime import UTC, datetime

    def at(year):
        return datetime(year, 12, 1, tzinfo=UTC)

    _report(pledge, "FRA", "1.78", 2017, at(2017))
    _report(pledge, "FRA", "2.06", 2024, at(2024))
    _report(pledge, "DEU", "1.23", 2017, at(2017))
    late = _report(pledge, "DEU", "2.12", 2024, at(2024))
    policy.review_report(
        by=secretary(), report_id=late.pk, verdict="queried", note="Source?", now=at(2024) + H
    )
    _report(pledge, "POL", "1.89", 2017, at(2017), by=secretary())  # recorded on its behalf
    assert tags().count("commitment.reported") == 5
    assert tags()[-1] == "commitment.reported" and "commitment.report.queried" in tags()

    board = policy.dashboard(pledge, on=date(2026, 3, 2))
    rows = {r["state"]: r for r in board["states"]}
    assert rows["FRA"]["status"] == "delivered" and rows["FRA"]["figure"] == 2.06
    assert rows["DEU"]["status"] == "late" and rows["DEU"]["figure"] == 1.23  # query undoes 2024
    assert rows["POL"]["status"] == "late"
    assert board["counts"] == {"due": 0, "delivered": 1, "late": 2, "off_track": 0}
    assert board["series"]["FRA"] == {"2017": 1.78, "2024": 2.06}
    assert board["series"]["DEU"] == {"2017": 1.23}
    early = {r["state"]: r for r in policy.dashboard(pledge, on=date(2018, 1, 1))["states"]}
    assert early["DEU"]["status"] == "off_track" and early["DEU"]["expected"] > 1.23
    csv_text = policy.dashboard_csv(pledge, on=date(2026, 3, 2))
    assert csv_text.splitlines()[0] == "state,name,status,figure,expected,reported_at,2017,2024"
    assert csv_text.splitlines()[2].startswith("FRA,France,delivered,2.06,")


def test_refused_commitments_reports_and_reviews_change_nothing(pledge):
    report = _report(pledge, "FRA", "1.90", 2023, T0)
    policy.review_report(by=secretary(), report_id=report.pk, verdict="accepted", now=T0 + H)
    before, reports = tags(), CommitmentReport.objects.count()
    with pytest.raises(NotAllowed):
        policy.create_commitment(
            by=delegate("FRA"), kind="standard", title="X", due=date(2027, 1, 1), states=["FRA"]
        )
    with pytest.raises(InvalidInput):  # spending without target
        policy.create_commitment(
            by=secretary(), kind="spending", title="X", due=date(2027, 1, 1), states=["FRA"]
        )
    with pytest.raises(InvalidInput):  # standalone with no states
        policy.create_commitment(by=secretary(), kind="standard", title="X", due=date(2027, 1, 1))
    for kwargs, error in (
        ({"state": "USA", "by": delegate("USA")}, NotAllowed),  # not bound
        ({"state": "DEU", "by": delegate("FRA")}, NotAllowed),  # not its state
        ({"state": "FRA", "figure": None}, InvalidInput),  # spending needs a figure
        ({"state": "FRA", "figure": "1.5", "delivered": True}, InvalidInput),
        ({"state": "FRA", "figure": "abc"}, InvalidInput),
        ({"state": "FRA", "evidence": " "}, InvalidInput),
    ):
        args = {"by": delegate("FRA"), "commitment": pledge, "figure": "1.9", "evidence": "e"}
        with pytest.raises(error):
            policy.report_progress(**(args | kwargs))
    with pytest.raises(IllegalTransition):  # reviewed already
        policy.review_report(by=secretary(), report_id=report.pk, verdict="queried", note="n")
    other = CommitmentReport.objects.get(pk=report.pk)
    with pytest.raises(NotAllowed):
        policy.review_report(by=delegate("DEU"), report_id=other.pk, verdict="accepted")
    with pytest.raises(NotFound):
        policy.review_report(by=secretary(), report_id=999, verdict="accepted")
    assert tags() == before and CommitmentReport.objects.count() == reports
    assert Commitment.objects.count() == 1


def test_a_commitment_from_a_decision_binds_the_states_it_binds(council):
    from concord.services import documents
    from concord.services import procedures as procedure_service

    revision = documents.register(
        by=secretary(),
        body=council,
        series_code="PO",
        title="Tanker aircraft",
        paragraphs=[("Allies will pool tanker aircraft.", "Les Alliés mettront en commun.")],
        now=T0,
    )
    meeting = procedure_service.open_procedure(
        by=council.chair,
        kind=Kind.MEETING,
        body=council,
        revision=revision,
        expires_at=T0 + DAY,
        now=T0,
    )
    meeting = procedure_service.conclude(procedure_id=meeting.pk, by=council.chair, now=T0 + H)
    made = policy.create_commitment(
        by=secretary(),
        kind="capability",
        title="Contribute an air-to-air refuelling aircraft",
        due=date(2027, 6, 30),
        decision=meeting.decision,
        now=T0 + H,
    )
    assert made.states == sorted(meeting.decision.bound) and len(made.states) == 32
    assert made.decision == meeting.decision
    assert meeting.decision.number in AuditEvent.objects.get(tag="commitment.created").payload


def test_reminders_go_once_to_the_delegations_of_states_not_delivered(states):
    people = [
        delegate("FRA", language="fr"),
        delegate("FRA", "delegation_deputy"),
        delegate("DEU"),
    ]
    standard = policy.create_commitment(
        by=secretary(),
        kind="standard",
        title="Ratify the data-sharing standard",
        title_fr="Ratifier la norme d'échange de données",
        due=(T0 + 20 * DAY).date(),
        states=["FRA", "DEU", "POL"],
        now=T0,
    )
    policy.report_progress(
        by=people[2], commitment=standard, state="DEU", evidence="Ratified.", delivered=True, now=T0
    )
    assert policy.send_commitment_reminders(T0) == 2  # FRA and POL: the 30-day lead is reached
    assert policy.send_commitment_reminders(T0 + H) == 0  # each once
    assert ReminderSent.objects.count() == 2
    told = Notification.objects.filter(kind="commitment.reminder.sent")
    assert sorted(told.values_list("user__username", flat=True)) == [
        "fra-delegation_deputy",
        "fra-delegation_head",
    ]
    # each in the recipient's language
    french = told.get(user__username="fra-delegation_head")
    assert french.title.startswith("Ratifier la norme d'échange de données : échéance le")
    assert "n'a pas déclaré cet engagement tenu" in french.body
    english = told.get(user__username="fra-delegation_deputy")
    assert english.title.startswith("Ratify the data-sharing standard: due")
    assert tags().count("commitment.reminder.sent") == 2
    assert policy.send_commitment_reminders(T0 + 14 * DAY) == 2  # the 7-day lead
    assert policy.send_commitment_reminders(T0 + 21 * DAY) == 0  # past due: no more
    assert audit.verify().ok


def test_commitments_follow_the_topic_and_partners_see_only_what_binds_them(topic, pledge):
    jpn = delegate("JPN", "partner_delegate")
    bound = policy.create_commitment(
        by=secretary(),
        kind="capability",
        title="Share maritime patrol data",
        due=date(2027, 1, 1),
        states=["JPN", "FRA"],
        now=T0,
    )
    on_topic = policy.create_commitment(
        by=secretary(),
        kind="standard",
        title="Harden hospital networks",
        due=date(2027, 1, 1),
        states=["FRA"],
        topic=topic,
        now=T0,
    )
    assert set(policy.commitments(jpn)) == {bound}
    assert set(policy.commitments(delegate("FRA"))) == {pledge, bound, on_topic}
    partner_format(topic.body)
    assert set(policy.commitments(jpn)) == {bound, on_topic}
