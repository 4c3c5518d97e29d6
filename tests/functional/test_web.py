"""The web application's pages through Django's test client: access, actions, query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from concord.domain.procedures import PositionKind
from concord.records.models import AuditEvent
from concord.services import demo, documents, notifications
from concord.services import procedures as service
from tests.factories import BodyFactory, UserFactory, delegate, secretary, verified_login

NOW = datetime.now(UTC)


@pytest.fixture
def council(db):
    demo.seed_states()
    return BodyFactory(code="NAC", name="North Atlantic Council", kind="council")


def _procedures(council, n, break_by=("FRA",)):
    rev = documents.register(
        by=secretary(), body=council, series_code="PO", title="A text", paragraphs=[("One.", "Un.")]
    )
    made = []
    for i in range(n):
        p = service.open_silence(
            by=council.chair, body=council, revision=rev, expires_at=NOW + timedelta(hours=i + 1)
        )
        for state in break_by:
            service.file_position(
                procedure_id=p.pk,
                by=delegate(state),
                state=state,
                kind=PositionKind.BREAK,
                statement=f"objection {i}",
            )
        made.append(p)
    return made


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), response


def test_pages_need_a_signed_in_user_with_a_second_factor(client, council):
    response = client.get("/desk/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    user = delegate("FRA")
    client.post("/accounts/login/", {"username": user.username, "password": "pw"})
    response = client.get("/desk/")  # password alone is not enough
    assert response.status_code == 302 and response["Location"].startswith("/accounts/verify/")


def test_wrong_second_factor_is_refused(client, council):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = delegate("FRA")
    TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    client.post("/accounts/login/", {"username": user.username, "password": "pw"})
    response = client.post("/accounts/verify/", {"token": "000000"})
    assert response.status_code == 400
    assert client.get("/desk/").status_code == 302


def test_repeated_wrong_passwords_lock_the_account(client, council):
    user = delegate("FRA")
    for _ in range(5):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    response = client.post("/accounts/login/", {"username": user.username, "password": "pw"})
    assert response.status_code == 429


def test_every_main_page_renders_for_a_delegate_and_the_chair(client, council):
    procedures = _procedures(council, 1)
    service.record_due_outcomes()
    for user in (delegate("FRA"), council.chair):
        client.logout()
        verified_login(client, user)
        for url in (
            "/desk/",
            "/desk/live/",
            "/bodies/",
            "/bodies/NAC/",
            "/documents/",
            f"/documents/PO({NOW.year})0001/",
            "/procedures/",
            "/procedures/?state=open",
            f"/procedures/{procedures[0].pk}/",
            f"/procedures/{procedures[0].pk}/live/",
            "/decisions/",
            "/decisions/?q=text&body=NAC",
            "/notifications/",
            "/profile/",
        ):
            response = client.get(url)
            assert response.status_code == 200, (user.username, url)
            assert "Content-Security-Policy" in response.headers
            html = response.content.decode()
            if "/live/" not in url:  # live fragments are parts of a page, without a title
                title = html.split("<title>")[1].split("</title>")[0]
                assert "<" not in title and title.endswith("· Concord"), (url, title)
    assert client.get("/procedures/999999/").status_code == 404
    assert client.get("/documents/PO(1999)0001/").status_code == 404


def test_procedure_page_shows_the_grid_and_the_break(client, council):
    (p,) = _procedures(council, 1)
    verified_login(client, delegate("DEU"))
    html = client.get(f"/procedures/{p.pk}/").content.decode()
    assert 'data-state="FRA"' in html and "stance-object" in html
    assert "open (silence broken)" in html and "objection 0" in html
    assert "Europe/Brussels" in html and 'id="statement-break"' in html


@pytest.mark.parametrize(
    "url", ["/desk/", "/procedures/", "/decisions/", "/bodies/", "/bodies/NAC/", "/notifications/"]
)
def test_list_queries_do_not_grow_with_procedures(client, council, url):
    verified_login(client, delegate("FRA"))
    _procedures(council, 1)
    service.record_due_outcomes(NOW + timedelta(days=30))
    notifications.process_events()
    few, _ = _queries(client, url)
    _procedures(council, 6, break_by=("FRA", "DEU"))
    service.record_due_outcomes(NOW + timedelta(days=30))
    notifications.process_events()
    many, _ = _queries(client, url)
    assert few == many


def test_procedure_page_queries_do_not_grow_with_positions_or_events(client, council):
    verified_login(client, council.chair)
    (p,) = _procedures(council, 1)
    few, _ = _queries(client, f"/procedures/{p.pk}/")
    for s in ("DEU", "ITA", "ESP", "POL", "NOR"):
        service.file_position(
            procedure_id=p.pk, by=delegate(s), state=s, kind=PositionKind.BREAK, statement="no"
        )
    many, _ = _queries(client, f"/procedures/{p.pk}/")
    assert few == many


def test_document_list_queries_do_not_grow_with_documents(client, council):
    verified_login(client, delegate("FRA"))
    _procedures(council, 1)
    few, _ = _queries(client, "/documents/")
    for i in range(5):
        documents.register(
            by=secretary(),
            body=council,
            series_code="PO",
            title=f"t{i}",
            paragraphs=[("x", "x")],
            releasable_to=["JPN", "AUS"],
        )
    many, _ = _queries(client, "/documents/")
    assert few == many


def test_delegate_breaks_silence_through_the_page(client, council):
    rev = documents.register(
        by=secretary(), body=council, series_code="PO", title="A text", paragraphs=[("One.", "Un.")]
    )
    p = service.open_silence(
        by=council.chair, body=council, revision=rev, expires_at=NOW + timedelta(hours=2)
    )
    verified_login(client, delegate("FRA"))
    empty = client.post(f"/procedures/{p.pk}/break/", {"statement": "  "}, follow=True)
    assert "needs a written statement" in empty.content.decode()
    assert not AuditEvent.objects.filter(tag="procedure.silence.broken").exists()
    client.post(
        f"/procedures/{p.pk}/break/", {"statement": "France objects.", "grounds": "objection"}
    )
    assert AuditEvent.objects.filter(tag="procedure.silence.broken").count() == 1


def test_actions_check_the_role_server_side(client, council):
    (p,) = _procedures(council, 1, break_by=())
    verified_login(client, delegate("FRA"))
    before = AuditEvent.objects.exclude(tag="access.refused").count()
    for url, data in (
        (f"/procedures/{p.pk}/withdraw/", {}),
        (f"/procedures/{p.pk}/extend/", {"expires": "2099-01-01T10:00"}),
        (f"/procedures/{p.pk}/position/", {"state": "DEU", "kind": "break", "statement": "x"}),
    ):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
    assert AuditEvent.objects.exclude(tag="access.refused").count() == before  # nothing changed
    assert AuditEvent.objects.filter(tag="access.refused").count() == 3  # each refusal recorded


def test_chair_extends_in_the_seat_time_zone(client, council):
    (p,) = _procedures(council, 1, break_by=())
    verified_login(client, council.chair)
    target = (NOW + timedelta(days=3)).astimezone(ZoneInfo("Europe/Brussels"))
    client.post(f"/procedures/{p.pk}/extend/", {"expires": target.strftime("%Y-%m-%dT%H:%M:%S")})
    assert service.get(p.pk).expires_at == target.replace(microsecond=0)


def test_csrf_is_enforced(council):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_security_headers(client, council):
    response = client.get("/accounts/login/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_admin_edits_are_audited(client, council):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True, role="administrator")
    verified_login(client, admin)
    for url in (
        "/admin/",
        "/admin/alliance/state/",
        "/admin/alliance/body/",
        "/admin/procedures/procedure/",
        "/admin/documents/document/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/records/auditevent/").status_code == 403  # the record: auditors only
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
    verified_login(client, admin)
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


def test_refusals_are_shown_in_the_users_language(client, council):
    rev = documents.register(
        by=secretary(), body=council, series_code="PO", title="A text", paragraphs=[("One.", "Un.")]
    )
    p = service.open_silence(
        by=council.chair, body=council, revision=rev, expires_at=NOW + timedelta(hours=2)
    )
    user = delegate("FRA")
    user.language = "fr"
    user.save()
    verified_login(client, user)
    page = client.post(f"/procedures/{p.pk}/break/", {"statement": " "}, follow=True)
    assert "exige une déclaration écrite" in page.content.decode()


def test_tokens_are_managed_from_the_profile(client, council):
    from concord.api.models import ApiToken

    user = delegate("FRA")
    verified_login(client, user)
    page = client.post(
        "/profile/tokens/", {"name": "ministry", "scope": "write", "days": "30"}, follow=True
    )
    assert "cnc_" in page.content.decode()
    token = ApiToken.objects.get(user=user)
    assert token.scope == "write" and token.name == "ministry"
    assert token.prefix in client.get("/profile/").content.decode()
    client.post(f"/profile/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    bad = client.post("/profile/tokens/", {"scope": "root", "days": "30"}, follow=True)
    assert ApiToken.objects.filter(user=user).count() == 1 and "scope" in bad.content.decode()


def test_without_a_second_factor_reading_is_capped_where_the_deployment_allows_it(
    client, council, settings
):
    settings.CONCORD_SECOND_FACTOR_REQUIRED = False
    settings.CONCORD_SECOND_FACTOR_ABOVE = 2  # RESTRICTED
    for title, level in (("Restricted paper", 2), ("Confidential paper", 3)):
        documents.register(
            by=secretary(),
            body=council,
            series_code="PO",
            title=title,
            paragraphs=[("x", "x")],
            classification=level,
        )
    user = delegate("FRA")
    client.post("/accounts/login/", {"username": user.username, "password": "pw"})
    page = client.get("/documents/").content.decode()  # password only: reading, up to the cap
    assert "Restricted paper" in page and "Confidential paper" not in page
    refused = client.post("/notifications/read/", {})
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/verify/")
    client.logout()
    verified_login(client, user)  # with the second factor: everything the policy allows
    assert "Confidential paper" in client.get("/documents/").content.decode()
