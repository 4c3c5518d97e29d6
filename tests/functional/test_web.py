"""The plain procedures page and the back office."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from concord.domain.procedures import PositionKind
from concord.records.models import AuditEvent
from concord.services import demo, documents
from concord.services import procedures as service
from tests.factories import BodyFactory, UserFactory, delegate, secretary

NOW = datetime.now(UTC)


@pytest.fixture
def council(db):
    demo.seed_states()
    return BodyFactory(code="NAC", name="North Atlantic Council", kind="council")


def _procedures(council, n):
    rev = documents.register(
        by=secretary(), body=council, series_code="PO", title="A text", paragraphs=[("One.", "")]
    )
    for i in range(n):
        p = service.open_silence(
            by=council.chair, body=council, revision=rev, expires_at=NOW + timedelta(hours=i + 1)
        )
        service.file_position(
            procedure_id=p.pk,
            by=delegate("FRA"),
            state="FRA",
            kind=PositionKind.BREAK,
            statement=f"objection {i}",
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_the_page_needs_a_signed_in_user(client, council):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_page_lists_procedures_with_their_state(client, council):
    _procedures(council, 2)
    client.force_login(delegate("FRA"))
    _count, response = _queries(client, "/")
    html = response.content.decode()
    assert "open (silence broken)" in html and "by FRA" in html
    assert "Europe/Brussels" in html


def test_queries_do_not_grow_with_procedures_or_positions(client, council):
    client.force_login(delegate("FRA"))
    _procedures(council, 1)
    few, _ = _queries(client, "/")
    _procedures(council, 5)
    many, _ = _queries(client, "/")
    assert few == many


def test_detail_page_queries_do_not_grow_with_positions(client, council):
    client.force_login(delegate("FRA"))
    _procedures(council, 1)
    pk = service.with_history().first().pk
    few, response = _queries(client, f"/procedures/{pk}/")
    assert "objection 0" in response.content.decode()
    for s in ("DEU", "ITA", "ESP"):
        service.file_position(
            procedure_id=pk, by=delegate(s), state=s, kind=PositionKind.BREAK, statement="no"
        )
    many, _ = _queries(client, f"/procedures/{pk}/")
    assert few == many
    assert client.get("/procedures/999999/").status_code == 404


def test_admin_edits_are_audited(client, council):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True, role="administrator")
    client.force_login(admin)
    for url in (
        "/admin/",
        "/admin/alliance/state/",
        "/admin/alliance/body/",
        "/admin/procedures/procedure/",
        "/admin/records/auditevent/",
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        "/admin/alliance/state/FRA/change/",
        {
            "iso3": "FRA",
            "name_en": "France",
            "name_fr": "France",
            "population_millions": "68.50",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(tag="admin.record.saved")
    assert event.actor == "root" and event.subject == "alliance.state:FRA"
    assert '"population_millions":"68.50"' in event.payload


def test_admin_registers_documents_through_the_service(client, council):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True, role="administrator")
    client.force_login(admin)
    assert client.get("/admin/documents/document/add/").status_code == 200
    form = {
        "series_code": "po",
        "title": "Back-office paper",
        "title_fr": "",
        "classification": "2",
        "releasable_to": ["JPN"],
        "body": str(council.pk),
        "text": "First paragraph.\n\nSecond paragraph.",
        "text_fr": "",
    }
    response = client.post("/admin/documents/document/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    revision = documents.revision_by_reference(f"PO({NOW.year})0001")
    assert [p.text for p in revision.paragraphs.all()] == ["First paragraph.", "Second paragraph."]
    assert revision.document.marking().banner == "NATO RESTRICTED Releasable to JPN"
    assert AuditEvent.objects.filter(tag="document.registered").count() == 1
    mismatched = {**form, "text_fr": "Un seul."}
    response = client.post("/admin/documents/document/add/", mismatched)
    assert response.status_code == 200 and "French version has 1" in response.content.decode()
    assert AuditEvent.objects.filter(tag="document.registered").count() == 1
