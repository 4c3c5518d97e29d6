"""The pages of topics, options papers and commitments through Django's test client: what a
member's delegate, a partner and the secretariat see and may do, refusals that change nothing,
query counts that do not grow with the data, the spending chart and the exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from concord.domain.alliance import Role
from concord.domain.events import Tag
from concord.policy.models import (
    CommitmentReport,
    ConsultationRequest,
    MeasureNotification,
    OptionMark,
    ReportReview,
)
from concord.records.models import AuditEvent
from concord.services import demo, policy
from tests.factories import BodyFactory, delegate, partner_format, secretary, verified_login

NOW = datetime.now(UTC)
DECIDING = ("DEU", "FRA", "POL", "TUR")
INSTRUMENTS = ("diplomatic", "information", "military", "economic", "legal", "cyber")


@pytest.fixture
def council(db):
    demo.seed_states()
    body = BodyFactory(code="NAC", name="North Atlantic Council", kind="council")
    body.secretary = secretary()
    body.save(update_fields=["secretary"])
    body.member_states.set(DECIDING)
    partner_format(body, ("JPN",))
    return body


@pytest.fixture
def topic(council):
    return policy.register_topic(
        by=council.secretary,
        code="eastern-build-up",
        title="A neighbour's build-up on the eastern flank",
        title_fr="le renforcement d'un voisin sur le flanc est",
        threats=["military_build_up"],
        tracks=["deterrence_defence", "dialogue"],
        body=council,
    )


def _paper(topic, options: int = 4, states=DECIDING, refuse: dict[int, str] | None = None):
    """A paper with ``options`` options across the instruments, marked by ``states``: every
    option support, except those in ``refuse`` (option -> state that cannot accept)."""
    sec = topic.body.secretary
    paper = policy.create_paper(by=sec, topic=topic, title="Options on the build-up")
    for i in range(options):
        policy.add_option(
            by=sec,
            paper=paper,
            title=f"Option number {i + 1}",
            instrument=INSTRUMENTS[i % len(INSTRUMENTS)],
            track="dialogue" if i % 2 else "deterrence_defence",
            cost_note="Staff time",
        )
    refuse = refuse or {}
    for n in range(1, options + 1):
        for state in states:
            against = refuse.get(n) == state
            policy.mark_option(
                by=delegate(state),
                paper=paper,
                option=n,
                state=state,
                mark="cannot_accept" if against else "support",
                reason="Our exporters would bear it" if against else "",
            )
    return paper


def _spending(council, states=DECIDING, topic=None):
    c = policy.create_commitment(
        by=council.secretary,
        kind="spending",
        title="Defence spending of at least 2 % of GDP",
        due=date(NOW.year + 2, 12, 31),
        states=states,
        target="2.0",
        baseline_on=date(NOW.year - 3, 1, 1),
        baselines={s: "1.2" for s in states},
        topic=topic,
    )
    for i, state in enumerate(states):
        for year, share in ((NOW.year - 2, 1.3), (NOW.year - 1, 1.5 + 0.3 * (i % 3))):
            policy.report_progress(
                by=council.secretary,
                commitment=c,
                state=state,
                figure=str(share),
                year=year,
                evidence="Published estimate",
            )
    return c


def _standard(council, topic=None):
    c = policy.create_commitment(
        by=council.secretary,
        kind="standard",
        title="Ratify the common standard on secure messaging",
        due=date(NOW.year + 1, 6, 30),
        states=DECIDING,
        topic=topic,
    )
    policy.report_progress(
        by=delegate("FRA"), commitment=c, state="FRA", evidence="Ratified", delivered=True
    )
    return c


def _get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def _events() -> int:
    return AuditEvent.objects.count()


# -- every page, for each kind of reader ------------------------------------------------------


def test_every_page_renders_for_a_member_a_partner_and_the_secretariat(client, council, topic):
    paper = _paper(topic)
    spending = _spending(council, topic=topic)
    standard = _standard(council)
    policy.request_consultations(
        by=delegate("POL"), topic=topic, state="POL", grounds="Troops massed at the border"
    )
    policy.notify_measure(
        by=delegate("DEU"),
        topic=topic,
        state="DEU",
        description="Closing the airspace to military overflights",
        effective_on=NOW.date() + timedelta(days=2),
    )
    pages = [
        "/topics/",
        "/topics/?threat=military_build_up&track=dialogue",
        f"/topics/{topic.code}/",
        f"/topics/{topic.code}/live/",
        f"/options/{paper.pk}/",
        f"/options/{paper.pk}/?package=1&package=2",
        f"/options/{paper.pk}/live/?package=1",
        "/commitments/",
        "/commitments/?kind=spending",
        f"/commitments/{spending.pk}/",
        f"/commitments/{spending.pk}/live/",
        "/desk/",
        "/desk/live/",
    ]
    for user in (delegate("FRA"), delegate("JPN", Role.PARTNER_DELEGATE), council.secretary):
        client.logout()
        verified_login(client, user)
        partner = user.role == Role.PARTNER_DELEGATE
        for url in pages + ([] if partner else [f"/commitments/{standard.pk}/"]):
            html = _get(client, url)
            if "/live/" not in url:
                title = html.split("<title>")[1].split("</title>")[0]
                assert "<" not in title and title.endswith("· Concord"), (url, title)
        topic_page = _get(client, f"/topics/{topic.code}/")
        assert "dual-track" in topic_page
        assert "Troops massed at the border" in topic_page
        assert "Closing the airspace" in topic_page
        # the meeting convened, for those who see it (not a partner: it is among allies)
        assert ("Consultations requested by POL" in topic_page) is not partner
        assert 'id="h-track-dialogue"' in topic_page and 'id="h-track-deterrence_defence"' in (
            topic_page
        )
        desk = _get(client, "/desk/")
        assert "Closing the airspace" in desk and "requested by POL" in desk
        if partner:
            # it sees the topic (its state sits in the Council's format) but may not act
            assert 'action="/topics/eastern-build-up/consultations/"' not in topic_page
            # the standalone commitment binds no partner: hidden from it
            _get(client, f"/commitments/{standard.pk}/", 404)
            assert f"/commitments/{standard.pk}/" not in _get(client, "/commitments/")


def test_who_may_not_see_a_topic_gets_404_and_does_not_find_it(client, council, topic):
    paper = _paper(topic, options=2)
    spending = _spending(council, topic=topic)
    verified_login(client, delegate("MNG", Role.PARTNER_DELEGATE))  # in no format of the Council
    assert topic.code not in _get(client, "/topics/")
    for url in (
        f"/topics/{topic.code}/",
        f"/topics/{topic.code}/live/",
        f"/options/{paper.pk}/",
        f"/options/{paper.pk}/live/",
        f"/commitments/{spending.pk}/",
        f"/commitments/{spending.pk}/export/csv/",
        f"/commitments/{spending.pk}/export/pdf/",
        "/topics/no-such-topic/",
        "/options/999999/",
        "/commitments/999999/",
    ):
        _get(client, url, 404)
    assert client.get(f"/live/topic:{topic.code}/").status_code == 404
    assert client.get(f"/live/options:{paper.pk}/").status_code == 404
    assert client.get(f"/live/commitment:{spending.pk}/").status_code == 404
    # a member that does not sit in the body sees neither (the body lists its members)
    client.logout()
    verified_login(client, delegate("ITA"))
    _get(client, f"/topics/{topic.code}/", 404)
    _get(client, f"/options/{paper.pk}/", 404)


def test_the_topic_list_filters_by_threat_and_track(client, council, topic):
    policy.register_topic(
        by=council.secretary,
        code="hospital-cyber",
        title="Cyber attacks on hospitals",
        threats=["cyber_attack"],
        tracks=["deterrence_defence"],
        body=council,
    )
    verified_login(client, delegate("FRA"))
    both = _get(client, "/topics/")
    assert 'data-topic="eastern-build-up"' in both and 'data-topic="hospital-cyber"' in both
    dialogue = _get(client, "/topics/?track=dialogue")
    assert 'data-topic="eastern-build-up"' in dialogue and "hospital-cyber" not in dialogue
    cyber = _get(client, "/topics/?threat=cyber_attack")
    assert "hospital-cyber" in cyber and 'data-topic="eastern-build-up"' not in cyber


def test_the_pages_speak_french(client, council, topic):
    paper = _paper(topic, options=2)
    user = delegate("FRA")
    user.language = "fr"
    user.save(update_fields=["language"])
    verified_login(client, user)
    client.cookies["django_language"] = "fr"
    html = _get(client, f"/topics/{topic.code}/")
    assert '<html lang="fr"' in html
    assert "le renforcement d&#x27;un voisin sur le flanc est" in html
    _get(client, f"/options/{paper.pk}/")


# -- forms that work, refusals that change nothing --------------------------------------------


def test_the_secretariat_registers_a_topic_and_a_delegate_may_not(client, council):
    form = {
        "code": "pandemic-2",
        "title": "A new pandemic",
        "threats": ["pandemic"],
        "tracks": ["dialogue"],
        "body": "NAC",
    }
    verified_login(client, delegate("FRA"))
    before = _events()
    response = client.post("/topics/register/", form, follow=True)
    assert "only the secretariat may register topics" in response.content.decode()
    assert not policy.topics(council.secretary).filter(code="pandemic-2").exists()
    assert _events() == before + 1  # only the refusal is logged
    client.logout()
    verified_login(client, council.secretary)
    response = client.post("/topics/register/", form)
    assert response.status_code == 302 and response["Location"] == "/topics/pandemic-2/"
    response = client.post("/topics/register/", {**form, "code": "x", "threats": []}, follow=True)
    assert "a topic names at least one kind of threat" in response.content.decode()
    assert not policy.topics(council.secretary).filter(code="x").exists()


def test_a_member_requests_consultations_and_the_meeting_is_convened(client, council, topic):
    verified_login(client, delegate("POL"))
    response = client.post(
        f"/topics/{topic.code}/consultations/", {"grounds": "Troops at the border"}, follow=True
    )
    html = response.content.decode()
    assert "Consultations requested" in html
    request = ConsultationRequest.objects.get(topic=topic)
    assert request.meeting is not None and request.state_id == "POL"
    assert f"/procedures/{request.meeting.pk}/" in html
    # a second request while the first is open is refused, and nothing is written
    before = (ConsultationRequest.objects.count(), _events())
    html = client.post(
        f"/topics/{topic.code}/consultations/", {"grounds": "Again"}, follow=True
    ).content.decode()
    assert 'class="message error"' in html
    assert (ConsultationRequest.objects.count(), _events()) == before
    # the requesting delegation withdraws it
    client.post(f"/topics/{topic.code}/consultations/{request.pk}/close/")
    request.refresh_from_db()
    assert request.closed_at is not None


def test_a_partner_may_not_request_consultations_nor_notify_measures(client, council, topic):
    verified_login(client, delegate("JPN", Role.PARTNER_DELEGATE))
    before = (ConsultationRequest.objects.count(), MeasureNotification.objects.count())
    client.post(f"/topics/{topic.code}/consultations/", {"grounds": "We worry"})
    client.post(
        f"/topics/{topic.code}/measures/",
        {"description": "Sanctions", "effective_on": NOW.date().isoformat()},
    )
    assert (ConsultationRequest.objects.count(), MeasureNotification.objects.count()) == before
    assert AuditEvent.objects.filter(tag=Tag.ACCESS_REFUSED).count() == 2


def test_a_member_notifies_a_measure(client, council, topic):
    verified_login(client, delegate("DEU"))
    response = client.post(
        f"/topics/{topic.code}/measures/",
        {"description": "Closing the airspace", "effective_on": "2030-01-01"},
        follow=True,
    )
    assert "Closing the airspace" in response.content.decode()
    assert MeasureNotification.objects.get(topic=topic).state_id == "DEU"
    html = client.post(
        f"/topics/{topic.code}/measures/", {"description": "x", "effective_on": "soon"}, follow=True
    ).content.decode()
    assert 'class="message error"' in html and MeasureNotification.objects.count() == 1


def test_a_delegation_marks_options_and_the_analysis_follows(client, council, topic):
    paper = _paper(topic, options=3)
    verified_login(client, delegate("TUR"))
    html = _get(client, f"/options/{paper.pk}/")
    assert 'data-option="2"' in html.split('id="h-agreeable"')[1].split("</section>")[0]
    # cannot accept without a reason is refused and changes nothing
    before = OptionMark.objects.count()
    client.post(f"/options/{paper.pk}/marks/", {"option": "2", "mark": "cannot_accept"})
    assert OptionMark.objects.count() == before
    response = client.post(
        f"/options/{paper.pk}/marks/",
        {"option": "2", "mark": "cannot_accept", "reason": "It would strain our trade"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#option-2")
    html = _get(client, f"/options/{paper.pk}/")
    agreeable = html.split('id="h-agreeable"')[1].split("</section>")[0]
    misses = html.split('id="h-misses"')[1].split("</section>")[0]
    assert 'data-option="2"' not in agreeable and 'data-option="2"' in misses
    assert "TUR" in misses and "It would strain our trade" in misses
    # marking for another state is refused
    before = OptionMark.objects.count()
    client.post(f"/options/{paper.pk}/marks/", {"option": "1", "mark": "support", "state": "FRA"})
    assert OptionMark.objects.count() == before


def test_the_package_builder_and_the_draft_decision(client, council, topic):
    paper = _paper(topic, options=4, refuse={3: "TUR"})
    verified_login(client, delegate("FRA"))
    html = _get(client, f"/options/{paper.pk}/?package=1&package=2")
    verdict = html.split('<section id="verdict"')[1].split("</section>")[0]
    assert "Every deciding member can live with this package." in verdict
    assert "diplomatic, information" in verdict
    assert "Draft a decision" not in verdict  # delegations do not draft
    html = _get(client, f"/options/{paper.pk}/?package=1&package=3")
    verdict = html.split('<section id="verdict"')[1].split("</section>")[0]
    assert "Not every deciding member can live with this package." in verdict and "TUR" in verdict
    packages = html.split('id="h-packages"')[1].split("</section>")[0]
    assert "package=1&amp;package=2" in packages or "package=1&amp;package=4" in packages
    # a delegate may not draft
    client.post(f"/options/{paper.pk}/draft/", {"options": ["1", "2"]})
    paper.refresh_from_db()
    assert paper.document_id is None
    client.logout()
    verified_login(client, council.secretary)
    html = _get(client, f"/options/{paper.pk}/?package=1&package=2")
    assert "Draft a decision from this package" in html
    # a package with an option someone cannot accept is refused
    client.post(f"/options/{paper.pk}/draft/", {"options": ["1", "3"]})
    paper.refresh_from_db()
    assert paper.document_id is None
    response = client.post(f"/options/{paper.pk}/draft/", {"options": ["1", "2"]})
    paper.refresh_from_db()
    assert paper.document_id is not None
    assert response.status_code == 302 and response["Location"].endswith("/text/")
    assert "/documents/PO(" in response["Location"]
    assert str(paper.document.reference) in _get(client, f"/options/{paper.pk}/")


def test_the_secretariat_adds_options_and_papers(client, council, topic):
    verified_login(client, council.secretary)
    response = client.post(f"/topics/{topic.code}/papers/", {"title": "More options"})
    assert response.status_code == 302
    pk = int(response["Location"].strip("/").split("/")[-1])
    client.post(
        f"/options/{pk}/options/",
        {"title": "Expel intelligence officers", "instrument": "diplomatic", "track": "dialogue"},
    )
    assert "Expel intelligence officers" in _get(client, f"/options/{pk}/")
    client.logout()
    verified_login(client, delegate("FRA"))
    client.post(
        f"/options/{pk}/options/",
        {"title": "Not mine to add", "instrument": "diplomatic", "track": "dialogue"},
    )
    assert "Not mine to add" not in _get(client, f"/options/{pk}/")


def test_reports_and_reviews_through_the_commitment_page(client, council, topic):
    c = _spending(council, topic=topic)
    verified_login(client, delegate("POL"))
    client.post(
        f"/commitments/{c.pk}/reports/",
        {"figure": "2.4", "year": str(NOW.year), "evidence": "Budget law", "delivered": "on"},
    )
    report = CommitmentReport.objects.filter(commitment=c, state_id="POL").latest("id")
    assert report.figure == Decimal("2.4") and report.delivered and report.year == NOW.year
    html = _get(client, f"/commitments/{c.pk}/")
    row = html.split('data-state="POL"')[2].split("</tr>")[0]  # the per-state table's row
    assert "delivered" in row
    # for another state, or without evidence: refused, nothing written
    before = CommitmentReport.objects.count()
    client.post(f"/commitments/{c.pk}/reports/", {"state": "FRA", "figure": "3", "evidence": "x"})
    client.post(f"/commitments/{c.pk}/reports/", {"figure": "2.1", "evidence": ""})
    client.post(f"/commitments/{c.pk}/reports/{report.pk}/review/", {"verdict": "accepted"})
    assert CommitmentReport.objects.count() == before and not ReportReview.objects.exists()
    client.logout()
    verified_login(client, council.secretary)
    client.post(f"/commitments/{c.pk}/reports/{report.pk}/review/", {"verdict": "queried"})
    assert not ReportReview.objects.exists()  # a query says what is missing
    client.post(
        f"/commitments/{c.pk}/reports/{report.pk}/review/",
        {"verdict": "queried", "note": "Which budget law?"},
    )
    assert ReportReview.objects.get(report=report).verdict == "queried"
    assert "Which budget law?" in _get(client, f"/commitments/{c.pk}/")


# -- the chart and the exports ----------------------------------------------------------------


def test_the_spending_chart_is_inline_svg_with_its_text_and_a_table(client, council, topic):
    c = _spending(council, topic=topic)
    verified_login(client, delegate("FRA"))
    html = _get(client, f"/commitments/{c.pk}/")
    svg = html.split('<svg xmlns="http://www.w3.org/2000/svg" id="spending-chart"')[1]
    svg = svg.split("</svg>")[0]
    assert 'role="img"' in svg and 'aria-labelledby="spending-chart-title spending-chart-desc"'
    assert '<title id="spending-chart-title">Defence spending as a share of GDP' in svg
    assert '<desc id="spending-chart-desc">One small chart per state (4)' in svg
    assert svg.count("<polyline") == len(DECIDING)
    assert 'stroke-dasharray="4 3"' in svg  # the guideline
    assert "style=" not in svg and "<script>" not in html
    table = html.split('data-testid="series"')[1].split("</table>")[0]
    assert f'<th scope="col">{NOW.year - 1}</th>' in table and "1.30" in table
    # a standard shows its ratification grid and no line chart
    s = _standard(council, topic=topic)
    html = _get(client, f"/commitments/{s.pk}/")
    assert 'id="spending-chart"' not in html and 'data-testid="status-grid"' in html
    assert 'class="status-delivered" data-state="FRA"' in html
    assert '<title id="status-chart-title">' in html


def test_csv_and_pdf_exports(client, council, topic):
    c = _spending(council, topic=topic)
    verified_login(client, delegate("FRA"))
    response = client.get(f"/commitments/{c.pk}/export/csv/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert text == policy.dashboard_csv(c)
    assert text.splitlines()[0].startswith("state,name,status,figure,expected,reported_at")
    response = client.get(f"/commitments/{c.pk}/export/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert client.get(f"/commitments/{c.pk}/export/docx/").status_code == 404


def test_the_dashboard_pdf_has_the_title_date_table_and_chart():
    from concord.formats.dashboard import DashboardSheet, StateRow, dashboard_pdf

    sheet = DashboardSheet(
        title="Defence spending of at least 2 % of GDP",
        kind="spending",
        on="2026-05-04",
        due="2024-12-31",
        target=2.0,
        rows=(
            StateRow("FRA", "France", "delivered", 2.06, 2.0),
            StateRow("DEU", "Germany", "late"),
        ),
        series={"FRA": {2014: 1.82, 2024: 2.06}, "DEU": {2014: 1.19}},
    )
    data = dashboard_pdf(sheet, compress=False)
    for words in (b"Defence spending of at least 2 % of GDP", b"Status on 2026-05-04", b"France"):
        assert words in data
    assert b"Status per state" in data and b"target 2 %" in data


# -- query counts that do not grow --------------------------------------------------------------


def test_the_options_page_queries_do_not_grow_with_options_marks_or_states(client, council, topic):
    """Measured on a small paper (2 options, 4 deciding states, 2 of them marking), then on a
    large one once the Council has 8 members (9 options, every state marking)."""
    small = _paper(topic, options=2, states=DECIDING[:2])
    verified_login(client, council.secretary)  # officer: a state menu on every option

    def measure(paper) -> tuple[int, int]:
        return (
            _queries(client, f"/options/{paper.pk}/?package=1&package=2"),
            _queries(client, f"/options/{paper.pk}/live/?package=2"),
        )

    before = measure(small)
    larger = (*DECIDING, "ITA", "ESP", "NLD", "NOR")
    council.member_states.set(larger)
    large = _paper(topic, options=9, states=larger, refuse={2: "TUR"})
    assert len(policy.analysis(large)["deciding"]) == len(larger)
    assert measure(large) == before


def test_the_commitment_pages_queries_do_not_grow_with_states_or_reports(client, council, topic):
    few = _spending(council, states=DECIDING[:2], topic=topic)
    many = _spending(
        council, states=(*DECIDING, "ITA", "ESP", "NLD", "NOR", "BEL", "DNK"), topic=topic
    )
    _standard(council, topic=topic)
    verified_login(client, council.secretary)
    pages = [_queries(client, f"/commitments/{c.pk}/") for c in (few, many)]
    fragments = [_queries(client, f"/commitments/{c.pk}/live/") for c in (few, many)]
    assert pages[0] == pages[1], pages
    assert fragments[0] == fragments[1], fragments
    listing = _queries(client, "/commitments/")
    _spending(council, states=DECIDING, topic=topic)
    assert _queries(client, "/commitments/") == listing
    topic_page = _queries(client, f"/topics/{topic.code}/")
    _paper(topic, options=3)
    _spending(council, states=DECIDING, topic=topic)
    assert _queries(client, f"/topics/{topic.code}/") == topic_page


def _decided(council, body=None, title="Decision on a deployable cyber team"):
    """A decision adopted yesterday under silence in ``body`` (default: the council)."""
    from datetime import timedelta

    from concord.records.models import Decision
    from concord.services import documents, procedures

    body = body or council
    revision = documents.register(
        by=council.secretary,
        body=body,
        series_code="PO",
        title=title,
        paragraphs=[("Allies will each offer a cyber team.", "Chaque Allié offrira une équipe.")],
    )
    p = procedures.open_silence(
        by=body.chair,
        body=body,
        revision=revision,
        expires_at=NOW - timedelta(days=1),
        now=NOW - timedelta(days=2),
    )
    procedures.record_due_outcomes(NOW)
    return Decision.objects.get(procedure=p)


def test_the_secretariat_creates_a_commitment_from_a_decision(client, council):
    from concord.policy.models import Commitment

    decision = _decided(council)
    url = f"/decisions/{decision.number}/"
    form = {"kind": "capability", "title": "Offer a cyber team", "due": "2027-06-30"}
    # a delegate sees no form, and posting one changes nothing
    verified_login(client, delegate("FRA"))
    assert "decision-commitment" not in client.get(url).content.decode() and (
        f'action="{url}commitments/"' not in client.get(url).content.decode()
    )
    client.post(f"{url}commitments/", form)
    assert not Commitment.objects.exists()
    client.logout()
    verified_login(client, council.secretary)
    page = client.get(url).content.decode()
    assert f'action="{url}commitments/"' in page and "None yet." in page
    bad = client.post(f"{url}commitments/", {**form, "due": "next year"})
    assert bad.status_code == 302 and not Commitment.objects.exists()
    done = client.post(f"{url}commitments/", form)
    made = Commitment.objects.get()
    assert done["Location"] == f"/commitments/{made.pk}/"
    assert made.decision == decision and sorted(made.states) == sorted(decision.bound)
    assert "Offer a cyber team" in client.get(url).content.decode()
