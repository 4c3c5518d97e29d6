"""The policy routes of the REST API through Django's test client: each route, read and write
tokens, and the problems (403, 404, 422) that leave everything as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.test import Client

from concord.domain.alliance import Role
from concord.policy.models import (
    CommitmentReport,
    ConsultationRequest,
    MeasureNotification,
    OptionMark,
    ReportReview,
    Topic,
)
from concord.records.models import AuditEvent
from concord.services import policy, tokens
from tests.factories import delegate
from tests.functional.test_policy_web import (
    DECIDING,
    _decided,
    _paper,
    _spending,
    _standard,
    council,
    topic,
)

NOW = datetime.now(UTC)
__all__ = ["council", "topic"]  # fixtures


def _client(user, scope="read") -> Client:
    plain, _token = tokens.create(user=user, scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def _json(response):
    assert response["Content-Type"].startswith("application/"), response["Content-Type"]
    return json.loads(response.content)


def _post(client, path, data):
    return client.post(f"/api/{path.lstrip('/')}", data, content_type="application/json")


def _problem(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    return _json(response)


def _events() -> int:
    return AuditEvent.objects.exclude(tag="access.refused").count()


def test_topics_list_filter_and_detail(council, topic):
    policy.register_topic(
        by=council.secretary,
        code="hospital-cyber",
        title="Cyber attacks on hospitals",
        threats=["cyber_attack"],
        tracks=["deterrence_defence"],
        body=council,
    )
    policy.notify_measure(
        by=delegate("DEU"),
        topic=topic,
        state="DEU",
        description="Airspace closed",
        effective_on=NOW.date(),
    )
    paper = _paper(topic, options=2)
    c = _spending(council, topic=topic)
    client = _client(delegate("FRA"))
    listed = _json(client.get("/api/topics"))
    assert [t["code"] for t in listed["items"]] == ["hospital-cyber", "eastern-build-up"]
    assert listed["items"][1]["dual_track"] is True
    assert [t["code"] for t in _json(client.get("/api/topics?track=dialogue"))["items"]] == [
        "eastern-build-up"
    ]
    assert [t["code"] for t in _json(client.get("/api/topics?threat=cyber_attack"))["items"]] == [
        "hospital-cyber"
    ]
    _problem(client.get("/api/topics?threat=volcano"), 422)
    detail = _json(client.get(f"/api/topics/{topic.code}"))
    assert detail["measures"][0]["description"] == "Airspace closed"
    assert detail["papers"][0]["id"] == paper.pk
    assert detail["commitments"][0]["id"] == c.pk
    _problem(client.get("/api/topics/no-such-topic"), 404)
    # a partner outside the Council's formats sees nothing of it
    stranger = _client(delegate("MNG", Role.PARTNER_DELEGATE))
    assert _json(stranger.get("/api/topics"))["items"] == []
    _problem(stranger.get(f"/api/topics/{topic.code}"), 404)
    _problem(stranger.get(f"/api/options/{paper.pk}"), 404)
    _problem(stranger.get(f"/api/commitments/{c.pk}"), 404)


def test_register_a_topic(council):
    body = {
        "code": "pandemic",
        "title": "A new pandemic",
        "threats": ["pandemic"],
        "tracks": ["dialogue"],
    }
    _problem(_post(_client(council.secretary), "/topics", body), 403)  # read token
    _problem(_post(_client(delegate("FRA"), "write"), "/topics", body), 403)  # not secretariat
    assert not Topic.objects.exists()
    writer = _client(council.secretary, "write")
    made = _post(writer, "/topics", body)
    assert made.status_code == 201 and _json(made)["code"] == "pandemic"
    _problem(_post(writer, "/topics", body), 422)  # the code is taken
    _problem(_post(writer, "/topics", {**body, "code": "x", "tracks": []}), 422)
    _problem(_post(writer, "/topics", {**body, "code": "x", "body": "NOPE"}), 404)
    assert Topic.objects.count() == 1


def test_request_consultations_and_notify_a_measure(council, topic):
    reader = _client(delegate("POL"))
    _problem(_post(reader, f"/topics/{topic.code}/consultations", {"grounds": "Troops"}), 403)
    assert not ConsultationRequest.objects.exists()
    writer = _client(delegate("POL"), "write")
    made = _post(writer, f"/topics/{topic.code}/consultations", {"grounds": "Troops"})
    assert made.status_code == 201
    body = _json(made)
    assert body["state"] == "POL" and body["meeting"] is not None
    # the meeting is an ordinary procedure in the Council
    meeting = _json(_client(delegate("FRA")).get(f"/api/procedures/{body['meeting']}"))
    assert meeting["title"].startswith("Consultations requested by POL")
    partner = _client(delegate("JPN", Role.PARTNER_DELEGATE), "write")
    before = _events()
    _problem(_post(writer, f"/topics/{topic.code}/consultations", {"grounds": "Again"}), 422)
    _problem(_post(writer, f"/topics/{topic.code}/consultations", {"grounds": ""}), 422)
    _problem(
        _post(writer, f"/topics/{topic.code}/consultations", {"grounds": "x", "format": "NOPE"}),
        404,
    )
    _problem(_post(writer, "/topics/nowhere/consultations", {"grounds": "x"}), 404)
    _problem(_post(partner, f"/topics/{topic.code}/consultations", {"grounds": "x"}), 403)
    assert ConsultationRequest.objects.count() == 1 and _events() == before

    measure = {"description": "Airspace closed", "effective_on": NOW.date().isoformat()}
    _problem(_post(reader, f"/topics/{topic.code}/measures", measure), 403)
    made = _post(writer, f"/topics/{topic.code}/measures", measure)
    assert made.status_code == 201 and _json(made)["in_advance"] is True
    _problem(_post(writer, f"/topics/{topic.code}/measures", {**measure, "state": "FRA"}), 403)
    _problem(_post(writer, f"/topics/{topic.code}/measures", {"description": "x"}), 422)
    _problem(_post(partner, f"/topics/{topic.code}/measures", measure), 403)
    assert MeasureNotification.objects.count() == 1


def test_an_options_paper_its_analysis_and_marks(council, topic):
    paper = _paper(topic, options=3, refuse={3: "TUR"})
    client = _client(delegate("FRA"))
    data = _json(client.get(f"/api/options/{paper.pk}"))
    assert data["deciding"] == sorted(DECIDING)
    assert data["agreeable"] == [1, 2]
    assert data["nearest_misses"][0]["cannot_accept"] == ["TUR"]
    assert data["nearest_misses"][0]["reasons"]["TUR"] == "Our exporters would bear it"
    assert data["packages"][0]["options"] == [1, 2]
    _problem(client.get("/api/options/999999"), 404)

    mark = {"option": 1, "mark": "cannot_accept", "reason": "Too costly"}
    _problem(_post(client, f"/options/{paper.pk}/marks", mark), 403)
    writer = _client(delegate("FRA"), "write")
    before = OptionMark.objects.count()
    _problem(_post(writer, f"/options/{paper.pk}/marks", {**mark, "reason": ""}), 422)
    _problem(_post(writer, f"/options/{paper.pk}/marks", {**mark, "option": 99}), 404)
    _problem(_post(writer, f"/options/{paper.pk}/marks", {**mark, "state": "DEU"}), 403)
    _problem(_post(writer, f"/options/{paper.pk}/marks", {**mark, "mark": "maybe"}), 422)
    assert OptionMark.objects.count() == before
    made = _post(writer, f"/options/{paper.pk}/marks", mark)
    assert made.status_code == 201 and _json(made)["mark"] == "cannot_accept"
    assert _json(client.get(f"/api/options/{paper.pk}"))["agreeable"] == [2]


def test_draft_a_decision_from_a_package(council, topic):
    paper = _paper(topic, options=3, refuse={3: "TUR"})
    _problem(_post(_client(council.secretary), f"/options/{paper.pk}/draft", {"options": [1]}), 403)
    _problem(
        _post(_client(delegate("FRA"), "write"), f"/options/{paper.pk}/draft", {"options": [1]}),
        403,
    )
    writer = _client(council.secretary, "write")
    _problem(_post(writer, f"/options/{paper.pk}/draft", {"options": [1, 3]}), 422)
    _problem(_post(writer, f"/options/{paper.pk}/draft", {"options": []}), 422)
    paper.refresh_from_db()
    assert paper.document_id is None
    made = _post(writer, f"/options/{paper.pk}/draft", {"options": [1, 2]})
    assert made.status_code == 201
    reference = _json(made)["reference"]
    assert reference.startswith("PO(")
    assert _json(writer.get(f"/api/options/{paper.pk}"))["document"] == reference
    assert _json(writer.get(f"/api/documents/{reference}"))["title"].startswith("Draft decision")


def test_commitments_their_dashboard_and_exports(council, topic):
    c = _spending(council, topic=topic)
    s = _standard(council)
    client = _client(delegate("FRA"))
    listed = _json(client.get("/api/commitments"))
    assert {x["id"] for x in listed["items"]} == {c.pk, s.pk}
    assert [x["id"] for x in _json(client.get("/api/commitments?kind=standard"))["items"]] == [s.pk]
    detail = _json(client.get(f"/api/commitments/{c.pk}"))
    assert detail["kind"] == "spending" and detail["target"] == 2.0
    board = detail["dashboard"]
    assert {r["state"] for r in board["states"]} == set(DECIDING)
    assert board["years"] == [NOW.year - 2, NOW.year - 1]
    assert board["series"]["FRA"][str(NOW.year - 2)] == 1.3
    assert len(detail["reports"]) == 2 * len(DECIDING)
    past = _json(client.get(f"/api/commitments/{c.pk}?on=2000-01-01"))["dashboard"]
    assert past["years"] == []
    _problem(client.get(f"/api/commitments/{c.pk}?on=0001-01-01"), 422)
    _problem(client.get("/api/commitments/999999"), 404)
    # exports
    csv = client.get(f"/api/commitments/{c.pk}/export?format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode() == policy.dashboard_csv(c)
    pdf = client.get(f"/api/commitments/{c.pk}/export?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    _problem(client.get(f"/api/commitments/{c.pk}/export?format=docx"), 422)
    # a partner bound by nothing sees neither the standalone commitment nor its export
    partner = _client(delegate("JPN", Role.PARTNER_DELEGATE))
    _problem(partner.get(f"/api/commitments/{s.pk}"), 404)
    _problem(partner.get(f"/api/commitments/{s.pk}/export?format=csv"), 404)


def test_report_progress_and_review(council, topic):
    c = _spending(council, topic=topic)
    report = {"figure": 2.3, "year": NOW.year, "evidence": "Budget law", "delivered": True}
    path = f"/commitments/{c.pk}/reports"
    _problem(_post(_client(delegate("POL")), path, report), 403)
    writer = _client(delegate("POL"), "write")
    before = CommitmentReport.objects.count()
    _problem(_post(writer, path, {**report, "state": "FRA"}), 403)
    _problem(_post(writer, path, {**report, "figure": 1.5}), 422)  # delivered below target
    _problem(_post(writer, path, {**report, "figure": 101}), 422)
    _problem(_post(writer, path, {**report, "year": 99999}), 422)
    _problem(_post(writer, path, {"figure": 2.3}), 422)
    _problem(_post(_client(delegate("ITA"), "write"), path, report), 404)  # not in the body
    assert CommitmentReport.objects.count() == before
    made = _post(writer, path, report)
    assert made.status_code == 201
    body = _json(made)
    assert body["figure"] == 2.3 and body["delivered"] and body["review"] is None
    review = f"/commitments/{c.pk}/reports/{body['id']}/review"
    _problem(_post(_client(council.secretary), review, {"verdict": "accepted"}), 403)
    _problem(_post(writer, review, {"verdict": "accepted"}), 403)
    sec = _client(council.secretary, "write")
    _problem(_post(sec, review, {"verdict": "queried"}), 422)  # a query says what is missing
    _problem(_post(sec, f"/commitments/{c.pk}/reports/999999/review", {"verdict": "accepted"}), 404)
    assert not ReportReview.objects.exists()
    made = _post(sec, review, {"verdict": "accepted"})
    assert made.status_code == 201 and _json(made)["verdict"] == "accepted"
    _problem(_post(sec, review, {"verdict": "accepted"}), 409)
    detail = _json(sec.get(f"/api/commitments/{c.pk}"))
    pol = next(r for r in detail["dashboard"]["states"] if r["state"] == "POL")
    assert pol["status"] == "delivered"
    assert detail["reports"][-1]["review"]["verdict"] == "accepted"


def test_a_commitment_is_created_from_a_decision(council):
    from concord.policy.models import Commitment

    decision = _decided(council)
    body = {"kind": "capability", "title": "Offer a cyber team", "due": "2027-06-30"}
    writer = _client(council.secretary, "write")
    _problem(_post(_client(council.secretary), "commitments", body), 403)
    _problem(_post(_client(delegate("FRA"), "write"), "commitments", body), 403)
    _problem(_post(writer, "commitments", body), 422)  # neither a decision nor states
    _problem(_post(writer, "commitments", {**body, "decision": "NAC-DS(1999)0001"}), 404)
    assert not Commitment.objects.exists()
    made = _json(_post(writer, "commitments", {**body, "decision": decision.number}))
    assert made["decision"] == decision.number and made["kind"] == "capability"
    assert sorted(made["states"]) == sorted(decision.bound)
    row = Commitment.objects.get()
    assert AuditEvent.objects.filter(subject=f"commitment:{row.pk}").count() == 1


def test_what_a_reader_may_not_open_is_not_named(council, topic):
    from concord.alliance.models import Body
    from concord.documents.models import Document

    # a draft decision raised above the reader's clearance is not named on its paper
    paper = _paper(topic, options=2)
    policy.draft_decision(by=council.secretary, paper=paper, options=[1, 2])
    paper.refresh_from_db()
    Document.objects.filter(pk=paper.document_id).update(classification=4)
    adviser = _client(delegate("DEU", Role.DELEGATION_DEPUTY, clearance=2))
    assert _json(adviser.get(f"/api/options/{paper.pk}"))["document"] is None
    listed = _json(adviser.get(f"/api/topics/{topic.code}"))
    assert [p["document"] for p in listed["papers"]] == [None]
    assert _json(_client(delegate("FRA")).get(f"/api/options/{paper.pk}"))["document"]
    # a commitment created by a decision of a body one does not sit in is not seen
    group = Body.objects.create(code="RWG", name="Resilience Working Group", kind="working_group")
    group.member_states.set(["FRA", "POL"])
    group.chair = council.chair
    group.save()
    decision = _decided(council, body=group, title="Working group decision")
    made = policy.create_commitment(
        by=council.secretary, kind="capability", title="Exercise", due=NOW.date(), decision=decision
    )
    outsider = _client(delegate("DEU"))
    assert made.pk not in [c["id"] for c in _json(outsider.get("/api/commitments"))["items"]]
    _problem(outsider.get(f"/api/commitments/{made.pk}"), 404)
    member = _client(delegate("FRA"))
    assert made.pk in [c["id"] for c in _json(member.get("/api/commitments"))["items"]]
