"""The REST API through Django's test client: tokens, problems, pages, writes and If-Match."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from concord.api.models import ApiToken
from concord.records.models import AccessLog, AuditEvent
from concord.services import demo, documents, tokens
from concord.services import procedures as service
from tests.factories import BodyFactory, UserFactory, delegate, secretary

NOW = datetime.now(UTC)


@pytest.fixture
def council(db):
    demo.seed_states()
    return BodyFactory(code="NAC", name="North Atlantic Council", kind="council")


def _client(user, scope="read") -> Client:
    plain, _token = tokens.create(user=user, scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def _json(response):
    return json.loads(response.content)


def _silence(council, title="A text", level=1):
    rev = documents.register(
        by=secretary(),
        body=council,
        series_code="PO",
        title=title,
        paragraphs=[("One.", "Un."), ("Two.", "Deux.")],
        classification=level,
    )
    return rev, service.open_silence(
        by=council.chair, body=council, revision=rev, expires_at=NOW + timedelta(hours=2)
    )


def test_no_or_bad_token_is_a_401_problem(council):
    for client in (Client(), Client(HTTP_AUTHORIZATION="Bearer cnc_nonsense")):
        response = client.get("/api/states")
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert _json(response)["status"] == 401


def test_tokens_are_stored_hashed_expire_and_can_be_revoked(council):
    user = delegate("FRA")
    plain, token = tokens.create(user=user, scope="read", days=1)
    assert plain not in token.digest and len(token.digest) == 64
    assert ApiToken.objects.filter(digest=tokens.digest(plain)).exists()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert client.get("/api/states").status_code == 200
    assert tokens.authenticate(plain, now=NOW + timedelta(days=2)) is None  # expired
    tokens.revoke(user=user, token_id=token.pk)
    assert client.get("/api/states").status_code == 401
    tags = set(AuditEvent.objects.values_list("tag", flat=True))
    assert {"account.token.created", "account.token.revoked"} <= tags
    assert AccessLog.objects.filter(action="token_used", username=user.username).exists()


def test_token_endpoints(council):
    user = delegate("FRA")
    writer = _client(user, "write")
    made = writer.post(
        "/api/tokens",
        {"name": "ministry", "scope": "read", "days": 30},
        content_type="application/json",
    )
    assert made.status_code == 201 and _json(made)["token"].startswith("cnc_")
    listed = _json(writer.get("/api/tokens"))
    assert {t["name"] for t in listed} >= {"ministry"} and all("token" not in t for t in listed)
    revoked = writer.delete(f"/api/tokens/{_json(made)['id']}")
    assert _json(revoked)["revoked_at"] is not None
    other = _client(delegate("DEU"), "write")
    assert other.delete(f"/api/tokens/{_json(made)['id']}").status_code == 404


def test_a_read_token_cannot_write(council):
    _rev, p = _silence(council)
    reader = _client(delegate("FRA"), "read")
    response = reader.post(
        f"/api/procedures/{p.pk}/positions",
        {"state": "FRA", "kind": "break", "statement": "No."},
        content_type="application/json",
    )
    assert response.status_code == 403 and _json(response)["status"] == 403
    assert AuditEvent.objects.filter(tag="access.refused").exists()


def test_break_through_the_api_and_refusals_as_problems(council):
    _rev, p = _silence(council)
    fra = _client(delegate("FRA"), "write")
    ok = fra.post(
        f"/api/procedures/{p.pk}/positions",
        {"state": "FRA", "kind": "break", "statement": "France objects."},
        content_type="application/json",
    )
    assert ok.status_code == 201 and _json(ok)["objecting"] == ["FRA"]
    again = fra.post(
        f"/api/procedures/{p.pk}/positions",
        {"state": "FRA", "kind": "break", "statement": "Again."},
        content_type="application/json",
    )
    assert again.status_code == 422 and "already broken" in _json(again)["detail"]
    other = fra.post(
        f"/api/procedures/{p.pk}/positions",
        {"state": "DEU", "kind": "break", "statement": "x"},
        content_type="application/json",
    )
    assert other.status_code == 403
    bad = fra.post(
        f"/api/procedures/{p.pk}/positions",
        {"state": "FRA", "kind": "dance"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert fra.get("/api/procedures/999999").status_code == 404


def test_the_chair_opens_through_the_api(council):
    rev = documents.register(
        by=secretary(), body=council, series_code="PO", title="T", paragraphs=[("One.", "Un.")]
    )
    chair = _client(council.chair, "write")
    response = chair.post(
        "/api/procedures",
        {
            "kind": "silence",
            "body": "NAC",
            "document": str(rev.document.reference),
            "expires_at": (NOW + timedelta(hours=5)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = _json(response)
    assert len(body["participants"]) == 32 and "Europe/Brussels" in body["expiry_text"]
    past = chair.post(
        "/api/procedures",
        {
            "kind": "silence",
            "body": "NAC",
            "document": str(rev.document.reference),
            "expires_at": "2020-01-01T00:00:00Z",
        },
        content_type="application/json",
    )
    assert past.status_code == 422


def test_cursor_pages_cover_everything_once(council):
    for i in range(7):
        _silence(council, title=f"text {i}")
    client = _client(delegate("FRA"))
    seen, cursor = [], None
    while True:
        url = "/api/procedures?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = _json(client.get(url))
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and len(set(seen)) == 7 and seen == sorted(seen, reverse=True)
    assert client.get("/api/procedures?cursor=%%%").status_code == 422


def test_if_match_prevents_lost_updates_on_text(council):
    rev, _p = _silence(council)
    ref = str(rev.document.reference)
    a, b = (
        _client(secretary(), "write"),
        _client(UserFactory(username="clerk2", role="secretariat_secretary"), "write"),
    )
    etag = a.get(f"/api/documents/{ref}")["ETag"]
    text = {"paragraphs": [{"text": "Amended."}], "note": "first"}
    assert (
        a.put(f"/api/documents/{ref}/text", text, content_type="application/json").status_code
        == 428
    )
    first = a.put(
        f"/api/documents/{ref}/text", text, content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 201 and first["ETag"] != etag
    second = b.put(
        f"/api/documents/{ref}/text",
        {"paragraphs": [{"text": "Other."}]},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert second.status_code == 412 and _json(second)["code"] == "precondition_failed"
    latest = _json(a.get(f"/api/documents/{ref}"))["revision"]
    assert latest["number"] == 1 and latest["paragraphs"][0]["text"] == "Amended."


def test_if_match_on_extension(council):
    _rev, p = _silence(council)
    chair = _client(council.chair, "write")
    etag = chair.get(f"/api/procedures/{p.pk}")["ETag"]
    service.break_silence(procedure_id=p.pk, by=delegate("ITA"), state="ITA", statement="No.")
    stale = chair.patch(
        f"/api/procedures/{p.pk}",
        {"expires_at": (NOW + timedelta(days=1)).isoformat()},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )
    assert stale.status_code == 412
    fresh = chair.get(f"/api/procedures/{p.pk}")["ETag"]
    ok = chair.patch(
        f"/api/procedures/{p.pk}",
        {"expires_at": (NOW + timedelta(days=1)).isoformat()},
        content_type="application/json",
        HTTP_IF_MATCH=fresh,
    )
    assert ok.status_code == 200


def test_reads_of_classified_documents_are_logged(council):
    rev, _p = _silence(council, level=2)
    public, _q = _silence(council, title="public", level=0)
    client = _client(delegate("FRA"))
    client.get(f"/api/documents/{rev.document.reference}")
    client.get(f"/api/documents/{public.document.reference}")
    reads = AccessLog.objects.filter(action="read", channel="api")
    assert [r.subject for r in reads] == [f"document:{rev.document.reference}"]


def test_auditors_verify_the_chain(council):
    auditor = _client(UserFactory(username="aud", role="auditor"))
    assert _json(auditor.get("/api/audit/verify"))["ok"] is True
    assert _client(delegate("FRA")).get("/api/audit/verify").status_code == 403


def test_schema_and_docs_are_served(council):
    schema = _json(Client().get("/api/openapi.json"))
    assert schema["info"]["title"] == "Concord API"
    assert "/api/procedures/{pk}/positions" in schema["paths"]
    assert Client().get("/api/docs").status_code == 200


@pytest.mark.postgres_only
def test_simultaneous_conflicting_edits_lose_nothing(transactional_db):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    demo.seed_states()
    council = BodyFactory(code="NAC")
    rev = documents.register(
        by=secretary(), body=council, series_code="PO", title="T", paragraphs=[("One.", "Un.")]
    )
    ref = str(rev.document.reference)
    writers = [
        _client(UserFactory(username=f"clerk{i}", role="secretariat_secretary"), "write")
        for i in range(6)
    ]
    etag = writers[0].get(f"/api/documents/{ref}")["ETag"]

    def put(i: int) -> int:
        try:
            return (
                writers[i]
                .put(
                    f"/api/documents/{ref}/text",
                    {"paragraphs": [{"text": f"version {i}"}]},
                    content_type="application/json",
                    HTTP_IF_MATCH=etag,
                )
                .status_code
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(put, range(6)))
    assert codes == [201, 412, 412, 412, 412, 412]
    assert rev.document.revisions.count() == 2


def test_the_api_is_throttled_per_token(council, settings):
    settings.CONCORD_API_RATE = "3/m"
    client = _client(delegate("FRA"))
    codes = [client.get("/api/states").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/states")
    assert response["Content-Type"] == "application/problem+json" and "Retry-After" in response
    assert _client(delegate("DEU")).get("/api/states").status_code == 200  # per token


def test_weak_passwords_are_refused(council):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = delegate("FRA")
    for weak in ("short1", "password1234", "123456789012", user.username + "2026"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("quiet-harbour-lantern-47", user)
