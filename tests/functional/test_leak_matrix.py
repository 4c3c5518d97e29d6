"""The leak matrix: every kind of reader against every document, through every channel.

Seven readers (a cleared ally, an uncleared ally, a partner named in releasabilities, a partner
named in none, the secretariat, an auditor and an anonymous visitor) and thirteen documents of
the Council (each classification level, releasable to Japan or not, and a RESTRICTED document with
a SECRET paragraph), each with a silence procedure, about half of them adopted. For each reader
and each document the pure access policy says whether the reader may see it; then every channel
is read (web pages, the REST API, the calendar feed, in-app notifications, e-mail, webhooks and
live updates) and must show what the reader may see, and show nothing of the rest: no title, no
text, no reference, no link; detail addresses answer exactly as for a document that does not
exist; counts count only what the reader may see.

The data is built once for the module, inside a transaction rolled back at the end.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from concord.alliance.models import User
from concord.documents.models import Paragraph
from concord.domain.access import Reader, cleared, may_read
from concord.domain.alliance import Role
from concord.domain.markings import Classification
from concord.notifications.models import Delivery, Notification
from concord.procedures.models import Participant
from concord.records.models import AccessLog, Decision
from concord.services import access, demo, documents, notifications, tokens
from concord.services import procedures as procedure_service
from concord.web import live
from tests.factories import BodyFactory, UserFactory, delegate, partner_format, verified_login

LEVELS = list(Classification)
RELEASES = ("none", "JPN")
NAMES = ("fra", "deu", "jpn", "mng", "secretariat", "auditor")
EVERYONE = (*NAMES, "anonymous")
MIXED = "MIXED-RESTRICTED-JPN"
PORTION = "PORTION-SECRET"


# -- the world ------------------------------------------------------------------------------------


@dataclass
class Doc:
    key: str  # e.g. "SECRET-JPN"
    level: Classification
    releasable: tuple[str, ...]
    pk: int = 0
    ref: str = ""
    procedure: int = 0
    adopted: bool = False
    decision: str | None = None
    decision_search: str = ""
    extra: tuple[str, ...] = ()  # further markers (the SECRET portion)

    @property
    def title(self) -> str:
        return f"TITLE-{self.key}"

    @property
    def text(self) -> str:
        return f"TEXT-{self.key}"

    @property
    def markers(self) -> tuple[str, ...]:
        """Everything that would betray this document to a reader who may not see it."""
        found = (self.title, self.text, self.ref, f"/procedures/{self.procedure}/", *self.extra)
        return found + ((self.decision,) if self.decision else ())


@dataclass
class World:
    now: Any
    users: dict[str, User]
    docs: list[Doc]
    visible: dict[str, set[str]]  # reader -> keys of the documents it may read
    readers: dict[str, Reader]
    notified: dict[str, set[int]]  # reader -> procedures it should be told about
    clients: dict[str, Client]
    tokens: dict[str, str]
    emails: list[Any]
    received: list[tuple[str, bytes]]
    missing_doc: str = ""
    missing_procedure: int = 0
    missing_decision: str = ""
    api: Client = field(default_factory=Client)

    def doc(self, key: str) -> Doc:
        return next(d for d in self.docs if d.key == key)

    def sees(self, who: str, doc: Doc) -> bool:
        return doc.key in self.visible[who]


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((self.path, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        return


def _people() -> dict[str, User]:
    c = Classification
    users = {
        "fra": delegate("FRA", Role.DELEGATION_HEAD, clearance=int(c.SECRET)),
        "deu": delegate("DEU", Role.DELEGATION_ADVISER, clearance=int(c.UNCLASSIFIED)),
        "jpn": delegate("JPN", Role.PARTNER_DELEGATE, clearance=int(c.SECRET)),
        "mng": delegate("MNG", Role.PARTNER_DELEGATE, clearance=int(c.SECRET)),
        "secretariat": UserFactory(
            username="secretariat",
            role=Role.SECRETARIAT_SECRETARY,
            clearance=int(c.COSMIC_TOP_SECRET),
        ),
        "auditor": UserFactory(username="auditor", role=Role.AUDITOR, clearance=int(c.SECRET)),
    }
    for name, user in users.items():
        user.email = f"{name}@example.org"
        user.save()
    return users


def _build(hook_base: str) -> World:
    now = timezone.now()
    demo.seed_states()
    users = _people()
    council = BodyFactory(code="NAC", name="North Atlantic Council", kind="council")
    council.secretary = users["secretariat"]
    council.save()
    partners = partner_format(council)
    docs = [
        Doc(f"{level.name}-{rel}", level, () if rel == "none" else ("JPN",))
        for level in LEVELS
        for rel in RELEASES
    ]
    docs.append(Doc(MIXED, Classification.RESTRICTED, ("JPN",), extra=(PORTION,)))
    for i, d in enumerate(docs):
        paragraphs = [(f"{d.text} first paragraph.", f"{d.text} premier paragraphe.")]
        if d.key == MIXED:
            paragraphs.append((f"{PORTION} second paragraph.", f"{PORTION} second paragraphe."))
        revision = documents.register(
            by=users["secretariat"],
            body=council,
            series_code="PO",
            title=f"{d.title} statement",
            paragraphs=paragraphs,
            classification=d.level,
            releasable_to=d.releasable,
            now=now - timedelta(days=10),
        )
        d.pk, d.ref = revision.document_id, str(revision.document.reference)
        if d.key == MIXED:
            second = revision.paragraphs.get(number=2)
            Paragraph.objects.filter(pk=second.pk).update(classification=int(Classification.SECRET))
        # About half adopted (their silence expired two days ago), the others running.
        d.adopted = d.key == MIXED or (LEVELS.index(d.level) + bool(d.releasable)) % 2 == 0
        opened = now - timedelta(days=3) if d.adopted else now - timedelta(hours=1)
        expires = now - timedelta(days=2) if d.adopted else now + timedelta(hours=12, minutes=i)
        p = procedure_service.open_silence(
            by=council.chair,
            body=council,
            revision=revision,
            expires_at=expires,
            format=partners if d.releasable else None,
            now=opened,
        )
        d.procedure = p.pk
    procedure_service.record_due_outcomes()
    for d in docs:
        decision = Decision.objects.filter(procedure_id=d.procedure).first()
        assert (decision is not None) == d.adopted, d.key
        if decision is not None:
            d.decision, d.decision_search = decision.number, decision.search_text
    year = now.year

    # What each reader may see, by the pure policy.
    readers = {name: access.reader_of(user) for name, user in users.items()}
    visible = {
        name: {d.key for d in docs if may_read(readers[name], access.item_of(_document(d)))}
        for name in NAMES
    }
    visible["anonymous"] = set()
    participants: dict[int, set[str]] = {}
    for pk, state in Participant.objects.values_list("procedure_id", "state_id"):
        participants.setdefault(pk, set()).add(state)
    notified = {
        name: {
            d.procedure
            for d in docs
            if d.key in visible[name]
            and (
                (user.role in notifications.SPEAKERS and user.state_id in participants[d.procedure])
                or user.pk in (council.chair_id, council.secretary_id)
            )
        }
        for name, user in users.items()
    }
    notified["anonymous"] = set()

    # Told of everything: in the application, by e-mail and by webhook; reminders too.
    for name, user in users.items():
        notifications.add_webhook(user, f"{hook_base}/{name}")
    mail.outbox = []
    notifications.process_events(batch=10_000)
    notifications.send_reminders()
    emails = list(mail.outbox)

    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        verified_login(clients[name], user)
    clients["anonymous"] = Client()
    plain = {
        name: tokens.create(user=user, scope="read", days=1)[0] for name, user in users.items()
    }
    return World(
        now=now,
        users=users,
        docs=docs,
        visible=visible,
        readers=readers,
        notified=notified,
        clients=clients,
        tokens=plain,
        emails=emails,
        received=_Receiver.received,
        missing_doc=f"PO({year})0999",
        missing_procedure=max(d.procedure for d in docs) + 1000,
        missing_decision=f"NAC-DS({year})0999",
    )


def _document(d: Doc):
    from concord.documents.models import Document

    return Document.objects.select_related("body").get(pk=d.pk)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    overrides = override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    try:
        with django_db_blocker.unblock(), overrides, transaction.atomic():
            name = str(connection.settings_dict["NAME"])
            assert "test" in name or "memory" in name, f"not a test database: {name}"
            try:
                yield _build(f"http://127.0.0.1:{server.server_port}/hook")
            finally:
                transaction.set_rollback(True)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def w(world, db):
    """The world; each test runs in a savepoint of the module's transaction."""
    return world


# -- checking -------------------------------------------------------------------------------------


class Findings:
    """Failures gathered across the matrix, reported together with who, where and what."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, who: str, channel: str, what: str) -> None:
        self.items.append(f"[{who}] [{channel}] {what}")

    def check(self, ok: bool, who: str, channel: str, what: str) -> None:
        if not ok:
            self.add(who, channel, what)

    def no_leak(self, w: World, who: str, channel: str, text: str) -> None:
        """Nothing of any document ``who`` may not see appears in ``text``."""
        for d in w.docs:
            if w.sees(who, d):
                if d.key == MIXED and not _portion_cleared(w, who):
                    self.check(PORTION not in text, who, channel, f"{PORTION} shown (withheld)")
                continue
            for marker in d.markers:
                self.check(marker not in text, who, channel, f"{d.key}: {marker!r} leaked")

    def assert_none(self) -> None:
        if self.items:
            shown = "\n".join(self.items[:200])
            more = f"\n… and {len(self.items) - 200} more" if len(self.items) > 200 else ""
            pytest.fail(f"{len(self.items)} finding(s):\n{shown}{more}", pytrace=False)


def _portion_cleared(w: World, who: str) -> bool:
    return who != "anonymous" and cleared(w.readers[who], Classification.SECRET)


def _get(f: Findings, who: str, channel: str, client: Client, url: str, **headers):
    """GET in a savepoint; a crash is a finding (with its exception), not the end of the test."""
    try:
        with transaction.atomic():
            return client.get(url, headers=headers or None)
    except Exception as exc:  # the application raised: record it and go on
        f.add(who, channel, f"GET {url} raised {type(exc).__name__}: {exc}")
        return None


def _text(response) -> str:
    """The body, without the language form's echo of the address asked for."""
    if response is None:
        return ""
    return re.sub(r'name="next" value="[^"]*"', 'name="next"', response.content.decode())


def _unecho(page: str, query: str) -> str:
    """The page without the search box's echo of what was typed."""
    echo = f'value="{query}"'
    assert page.count(echo) <= 1, echo
    return page.replace(echo, 'value=""')


def _signed_out(f: Findings, channel: str, response, url: str) -> None:
    f.check(
        response is not None
        and response.status_code == 302
        and response["Location"].startswith("/accounts/login/"),
        "anonymous",
        channel,
        f"GET {url} answered {getattr(response, 'status_code', None)}, not a sign-in redirect",
    )


def _ok(f: Findings, who: str, channel: str, response, url: str) -> bool:
    status = getattr(response, "status_code", None)
    f.check(status == 200, who, channel, f"GET {url} answered {status}, expected 200")
    return status == 200


def _like_missing(f, who, channel, response, missing, url) -> None:
    """An invisible thing answers exactly as one that does not exist."""
    if response is None or missing is None:
        return
    f.check(
        response.status_code == 404 == missing.status_code,
        who,
        channel,
        f"GET {url} answered {response.status_code} (missing: {missing.status_code}), not 404",
    )
    f.check(
        response.content == missing.content,
        who,
        channel,
        f"GET {url}: body differs from a missing one's: {response.content[:300]!r}",
    )


# -- the expected visibility is what the policy says, and not vacuous -----------------------------


def test_expected_visibility_matches_hand_checked_cases(w):
    v = w.visible
    assert {"SECRET-none", "SECRET-JPN"} <= v["fra"]
    assert not {"COSMIC_TOP_SECRET-none", "COSMIC_TOP_SECRET-JPN"} & v["fra"]
    assert {"RESTRICTED-none", "RESTRICTED-JPN", MIXED} <= v["deu"]
    assert not {"CONFIDENTIAL-none", "CONFIDENTIAL-JPN"} & v["deu"]
    assert {"SECRET-JPN", MIXED, "PUBLIC-none"} <= v["jpn"]
    assert not {"SECRET-none", "UNCLASSIFIED-none", "COSMIC_TOP_SECRET-JPN"} & v["jpn"]
    assert v["mng"] == {"PUBLIC-none", "PUBLIC-JPN"}
    assert v["secretariat"] == {d.key for d in w.docs}
    assert "COSMIC_TOP_SECRET-none" not in v["auditor"] and "SECRET-none" in v["auditor"]
    assert v["anonymous"] == set()
    # The rule and the database filter agree here too.
    for name, user in w.users.items():
        listed = set(access.documents(user).values_list("pk", flat=True))
        assert {d.key for d in w.docs if d.pk in listed} == v[name], name
    # Both adopted and running procedures exist for the readers that see most.
    assert any(d.adopted for d in w.docs) and not all(d.adopted for d in w.docs)
    for name in ("fra", "deu", "jpn"):
        seen = [d for d in w.docs if d.key in v[name]]
        assert any(d.adopted for d in seen) and any(not d.adopted for d in seen), name
    # And the channels have something to carry.
    assert w.notified["fra"] and w.notified["jpn"] and w.notified["secretariat"]
    assert w.emails and w.received


# -- web pages ------------------------------------------------------------------------------------


def _web_lists(f: Findings, w: World, who: str) -> None:
    c = w.clients[who]
    mine = [d for d in w.docs if w.sees(who, d)]
    pages = {
        "desk": "/desk/",
        "desk-live": "/desk/live/",
        "documents": "/documents/",
        "documents-search": "/documents/?q=TITLE",
        "procedures": "/procedures/",
        "decisions": "/decisions/",
        "decisions-search": "/decisions/?q=TITLE",
        "body": "/bodies/NAC/",
        "notifications": "/notifications/",
    }
    for channel, url in pages.items():
        response = _get(f, who, f"web {channel}", c, url)
        if who == "anonymous":
            _signed_out(f, f"web {channel}", response, url)
            f.no_leak(w, who, f"web {channel}", _text(response))
            continue
        if not _ok(f, who, f"web {channel}", response, url):
            continue
        text = _text(response)
        f.no_leak(w, who, f"web {channel} {url}", text)
        running = [d for d in mine if not d.adopted]
        expected = {
            "desk": running,
            "desk-live": running,
            "notifications": [d for d in mine if d.procedure in w.notified[who]],
            "documents": mine,
            "documents-search": mine,
            "procedures": mine,
            "body": mine,
            "decisions": [d for d in mine if d.adopted],
            "decisions-search": [d for d in mine if d.adopted],
        }.get(channel)
        for d in expected or ():
            f.check(d.title in text, who, f"web {channel}", f"{d.key}: visible but not listed")
        if channel.startswith("decisions"):
            count = re.search(r'role="status">\s*(\d+) decisions?', text)
            n = int(count.group(1)) if count else None
            want = len(expected or ())
            f.check(n == want, who, f"web {channel}", f"says {n} decisions, {want} visible")
    # Searching by each document's title finds it only when visible.
    for d in w.docs:
        url = f"/documents/?q={urllib.parse.quote(d.title)}"
        response = _get(f, who, "web documents-search", c, url)
        if who == "anonymous":
            _signed_out(f, "web documents-search", response, url)
            continue
        text = _unecho(_text(response), d.title)
        f.no_leak(w, who, f"web documents-search {url}", text)
        f.check(
            (d.title in text) == w.sees(who, d),
            who,
            "web documents-search",
            f"{d.key}: found={d.title in text}, visible={w.sees(who, d)}",
        )
        if d.adopted:
            url = f"/decisions/?q={urllib.parse.quote(d.title)}"
            response = _get(f, who, "web decisions-search", c, url)
            if who == "anonymous":
                _signed_out(f, "web decisions-search", response, url)
                continue
            text = _unecho(_text(response), d.title)
            f.no_leak(w, who, f"web decisions-search {url}", text)
            words = set(re.sub(r"[^a-z0-9]+", " ", d.title.lower()).split())
            want = sum(
                1
                for x in w.docs
                if x.decision and w.sees(who, x) and all(k in x.decision_search for k in words)
            )
            count = re.search(r'role="status">\s*(\d+) decisions?', text)
            n = int(count.group(1)) if count else None
            f.check(
                n == want, who, "web decisions-search", f"q={d.title}: {n} found, {want} visible"
            )


def _web_details(f: Findings, w: World, who: str) -> None:
    c = w.clients[who]
    missing = {
        "document": _get(f, who, "web document", c, f"/documents/{w.missing_doc}/"),
        "procedure": _get(f, who, "web procedure", c, f"/procedures/{w.missing_procedure}/"),
        "procedure-live": _get(
            f, who, "web procedure-live", c, f"/procedures/{w.missing_procedure}/live/"
        ),
        "decision": _get(f, who, "web decision", c, f"/decisions/{w.missing_decision}/"),
        "stream": _get(f, who, "web stream", c, f"/live/procedure:{w.missing_procedure}/"),
    }
    for d in w.docs:
        urls = {
            "document": f"/documents/{d.ref}/",
            "procedure": f"/procedures/{d.procedure}/",
            "procedure-live": f"/procedures/{d.procedure}/live/",
        }
        if d.decision:
            urls["decision"] = f"/decisions/{d.decision}/"
        if not w.sees(who, d) and who != "anonymous":
            urls["stream"] = f"/live/procedure:{d.procedure}/"  # an endless stream when visible
        for channel, url in urls.items():
            response = _get(f, who, f"web {channel}", c, url)
            if who == "anonymous":
                if channel == "stream":
                    continue
                _signed_out(f, f"web {channel}", response, url)
                f.no_leak(w, who, f"web {channel}", _text(response))
                continue
            if not w.sees(who, d):
                _like_missing(f, who, f"web {channel} {d.key}", response, missing[channel], url)
                if channel != "stream":
                    f.no_leak(w, who, f"web {channel} {url}", _text(response))
                continue
            if not _ok(f, who, f"web {channel} {d.key}", response, url):
                continue
            text = _text(response)
            f.no_leak(w, who, f"web {channel} {url}", text)
            if channel != "procedure-live":  # the live part shows the state, not the title
                f.check(d.title in text, who, f"web {channel}", f"{d.key}: title not shown")
            if channel in ("document", "decision"):
                f.check(d.text in text, who, f"web {channel}", f"{d.key}: text not shown")
            if d.key == MIXED and channel in ("document", "decision"):
                shown = PORTION in text
                f.check(
                    shown == _portion_cleared(w, who),
                    who,
                    f"web {channel}",
                    f"{PORTION} shown={shown}, cleared={_portion_cleared(w, who)}",
                )


@pytest.mark.parametrize("who", EVERYONE)
def test_web_lists_show_only_what_the_reader_may_see(w, who):
    f = Findings()
    _web_lists(f, w, who)
    f.assert_none()


@pytest.mark.parametrize("who", EVERYONE)
def test_bodies_list_counts_only_the_running_procedures_the_reader_may_see(w, who):
    f = Findings()
    response = _get(f, who, "web bodies", w.clients[who], "/bodies/")
    if who == "anonymous":
        _signed_out(f, "web bodies", response, "/bodies/")
    elif _ok(f, who, "web bodies", response, "/bodies/"):
        text = _text(response)
        f.no_leak(w, who, "web bodies", text)
        row = re.search(r'href="/bodies/NAC/">NAC</a>.*?<td>(\d+)</td>\s*</tr>', text, re.S)
        n = int(row.group(1)) if row else None
        want = sum(1 for d in w.docs if w.sees(who, d) and not d.adopted)
        f.check(n == want, who, "web bodies", f"NAC shows {n} running, {want} visible")
    f.assert_none()


@pytest.mark.parametrize("who", EVERYONE)
def test_web_detail_pages_show_only_what_the_reader_may_see(w, who):
    f = Findings()
    _web_details(f, w, who)
    f.assert_none()


# -- the REST API ---------------------------------------------------------------------------------


def _api(f: Findings, w: World, who: str, url: str):
    headers = {"Authorization": f"Bearer {w.tokens[who]}"} if who != "anonymous" else {}
    return _get(f, who, "api", w.api, url, **headers)


@pytest.mark.parametrize("who", EVERYONE)
def test_api_shows_only_what_the_reader_may_see(w, who):
    f = Findings()
    mine = [d for d in w.docs if w.sees(who, d)]
    lists = {
        "/api/documents?limit=200": ("reference", {d.ref for d in mine}),
        "/api/documents?limit=200&q=TITLE": ("reference", {d.ref for d in mine}),
        "/api/procedures?limit=200": ("id", {d.procedure for d in mine}),
        "/api/decisions?limit=200": ("number", {d.decision for d in mine if d.decision}),
        "/api/decisions?limit=200&q=TITLE": ("number", {d.decision for d in mine if d.decision}),
        "/api/notifications?limit=200": ("procedure", None),
    }
    for url, (key, expected) in lists.items():
        response = _api(f, w, who, url)
        if response is None:
            continue
        f.no_leak(w, who, f"api {url}", _text(response))
        if who == "anonymous":
            f.check(response.status_code == 401, who, "api", f"GET {url}: {response.status_code}")
            continue
        if not _ok(f, who, "api", response, url):
            continue
        items = response.json()["items"]
        got = {x[key] for x in items}
        if expected is None:  # notifications: the reader's own, of visible procedures only
            expected = set(
                Notification.objects.filter(user=w.users[who]).values_list(
                    "procedure_id", flat=True
                )
            )
            f.check(
                len(items) == Notification.objects.filter(user=w.users[who]).count(),
                who,
                "api notifications",
                f"{len(items)} items",
            )
            f.check(
                got <= {d.procedure for d in mine},
                who,
                "api notifications",
                f"procedures {sorted(got - {d.procedure for d in mine})} are not visible",
            )
            f.check(got == expected, who, "api notifications", f"procedures {sorted(got)}")
            continue
        f.check(
            got == expected, who, f"api {url}", f"lists {sorted(got)}, expected {sorted(expected)}"
        )
        f.check(len(items) == len(expected), who, f"api {url}", f"{len(items)} items")
    # Searching the documents and decisions by each title.
    for d in w.docs:
        q = urllib.parse.quote(d.title)
        for url in (f"/api/documents?q={q}", f"/api/decisions?q={q}"):
            response = _api(f, w, who, url)
            if response is not None:
                f.no_leak(w, who, f"api {url}", _text(response))
    # Details: visible ones answer, the others exactly as missing ones.
    missing = {
        "document": _api(f, w, who, f"/api/documents/{urllib.parse.quote(w.missing_doc)}"),
        "procedure": _api(f, w, who, f"/api/procedures/{w.missing_procedure}"),
        "decision": _api(f, w, who, f"/api/decisions/{urllib.parse.quote(w.missing_decision)}"),
    }
    for d in w.docs:
        urls = {
            "document": f"/api/documents/{urllib.parse.quote(d.ref)}",
            "procedure": f"/api/procedures/{d.procedure}",
        }
        if d.decision:
            urls["decision"] = f"/api/decisions/{urllib.parse.quote(d.decision)}"
        for channel, url in urls.items():
            response = _api(f, w, who, url)
            if response is None:
                continue
            text = _text(response)
            f.no_leak(w, who, f"api {channel} {url}", text)
            if who == "anonymous":
                f.check(
                    response.status_code == 401, who, "api", f"GET {url}: {response.status_code}"
                )
                continue
            if not w.sees(who, d):
                _like_missing(f, who, f"api {channel} {d.key}", response, missing[channel], url)
                f.check(
                    response.get("Content-Type") == "application/problem+json",
                    who,
                    f"api {channel}",
                    f"{url}: {response.get('Content-Type')}",
                )
                continue
            if not _ok(f, who, f"api {channel} {d.key}", response, url):
                continue
            f.check(d.title in text, who, f"api {channel}", f"{d.key}: title not shown")
            if channel == "document":
                f.check(d.text in text, who, "api document", f"{d.key}: text not shown")
    f.assert_none()


# -- calendar feeds -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", NAMES)
def test_calendar_feed_lists_only_visible_deadlines(w, who):
    f = Findings()
    token = notifications.calendar_token(w.users[who])
    response = _get(f, who, "calendar", w.api, f"/calendar/{token}.ics")
    if _ok(f, who, "calendar", response, "/calendar/…"):
        text = _text(response).replace("\r\n ", "").replace("\\", "")
        f.no_leak(w, who, "calendar", text)
        for d in w.docs:
            if w.sees(who, d) and not d.adopted:
                f.check(d.title in text, who, "calendar", f"{d.key}: running, visible, not listed")
            if d.adopted:
                f.check(d.title not in text, who, "calendar", f"{d.key}: adopted, still listed")
    f.assert_none()


def test_calendar_feed_needs_its_secret(w):
    f = Findings()
    missing = _get(f, "anonymous", "calendar", w.api, "/calendar/" + "x" * 43 + ".ics")
    f.check(missing is not None and missing.status_code == 404, "anonymous", "calendar", "no 404")
    f.no_leak(w, "anonymous", "calendar", _text(missing))
    f.assert_none()


# -- notifications, e-mail and webhooks -----------------------------------------------------------


@pytest.mark.parametrize("who", NAMES)
def test_notifications_emails_and_webhooks_tell_only_of_visible_procedures(w, who):
    f = Findings()
    user = w.users[who]
    notes = list(Notification.objects.filter(user=user))
    told = {n.procedure_id for n in notes}
    f.check(told == w.notified[who], who, "in-app", f"told of {told}, expected {w.notified[who]}")
    for n in notes:
        f.no_leak(w, who, f"in-app {n.kind}", f"{n.title}\n{n.body}\n{n.url}")
    # E-mail: one per notification, each telling only of visible procedures.
    mails = [m for m in w.emails if user.email in m.to]
    f.check(len(mails) == len(notes), who, "e-mail", f"{len(mails)} e-mails, {len(notes)} notes")
    for m in mails:
        f.no_leak(w, who, "e-mail", f"{m.subject}\n{m.body}")
    for d in w.docs:
        if d.procedure in w.notified[who]:
            f.check(any(d.title in m.subject for m in mails), who, "e-mail", f"{d.key}: none")
    # Webhooks: the stored payloads and what the receiver got.
    deliveries = list(Delivery.objects.filter(webhook__owner=user))
    hooked = {json.loads(x.payload)["procedure"]["id"] for x in deliveries}
    f.check(hooked == w.notified[who], who, "webhook", f"told of {hooked}")
    for x in deliveries:
        f.no_leak(w, who, f"webhook {x.event_seq}", x.payload)
    received = [body.decode() for path, body in w.received if path == f"/hook/{who}"]
    f.check(
        len(received) == len(deliveries), who, "webhook", f"{len(received)} of {len(deliveries)}"
    )
    for body in received:
        f.no_leak(w, who, "webhook received", body)
    f.assert_none()


# -- live updates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", NAMES)
def test_live_updates_carry_only_visible_procedures(w, who):
    f = Findings()
    user = w.users[who]
    for d in w.docs:
        events = live._procedure_events(user, d.procedure, 0)
        if w.sees(who, d):
            f.check(bool(events), who, "live procedure", f"{d.key}: no events")
        else:
            f.check(events == [], who, "live procedure", f"{d.key}: {len(events)} events")
        for e in events:
            f.no_leak(w, who, "live procedure", e.payload + live._message(e))
    events, _last = live._desk_events(user, 0)
    seen = {int(e.subject.split(":")[1]) for e in events}
    want = {d.procedure for d in w.docs if w.sees(who, d)}
    f.check(seen == want, who, "live desk", f"procedures {sorted(seen)}, expected {sorted(want)}")
    for e in events:
        f.no_leak(w, who, "live desk", e.payload + live._message(e))
    f.assert_none()


# -- portion markings -----------------------------------------------------------------------------


def test_a_secret_paragraph_is_withheld_from_a_reader_not_cleared_for_it(w):
    d = w.doc(MIXED)
    assert w.sees("deu", d) and not _portion_cleared(w, "deu")
    assert w.sees("fra", d) and _portion_cleared(w, "fra")
    f = Findings()
    for who in ("deu", "fra", "jpn"):
        response = _get(f, who, "web document", w.clients[who], f"/documents/{d.ref}/")
        if _ok(f, who, "web document", response, d.ref):
            text = _text(response)
            f.check(d.text in text, who, "web document", "first paragraph missing")
            f.check((PORTION in text) == _portion_cleared(w, who), who, "web document", PORTION)
        response = _api(f, w, who, f"/api/documents/{urllib.parse.quote(d.ref)}")
        if _ok(f, who, "api document", response, d.ref):
            paragraphs = response.json()["revision"]["paragraphs"]
            second = next(p for p in paragraphs if p["number"] == 2)
            cleared_ = _portion_cleared(w, who)
            f.check(second["withheld"] is (not cleared_), who, "api document", f"{second}")
            f.check((PORTION in _text(response)) == cleared_, who, "api document", PORTION)
            f.check(second["marking"] == "NATO SECRET", who, "api document", second["marking"])
            first = next(p for p in paragraphs if p["number"] == 1)
            f.check(not first["withheld"] and d.text in first["text"], who, "api", f"{first}")
    f.assert_none()


def _decisions_found(f: Findings, w: World, who: str, channel: str, q: str) -> int | None:
    if channel == "web":
        response = _get(f, who, "web", w.clients[who], f"/decisions/?q={urllib.parse.quote(q)}")
        count = re.search(r'role="status">\s*(\d+) decisions?', _text(response))
        return int(count.group(1)) if count else None
    response = _api(f, w, who, f"/api/decisions?q={urllib.parse.quote(q)}")
    return len(response.json()["items"]) if response is not None else None


@pytest.mark.parametrize("channel", ["web", "api"])
def test_withheld_paragraph_words_do_not_find_the_decision(w, channel):
    """Searching the register for words of a paragraph one may not read must not reveal it."""
    d = w.doc(MIXED)
    assert d.decision and w.sees("deu", d) and not _portion_cleared(w, "deu")
    f = Findings()
    found = _decisions_found(f, w, "deu", channel, d.text)  # the paragraph it may read
    f.check(found == 1, "deu", f"{channel} decisions q={d.text}", f"{found} found, 1 expected")
    found = _decisions_found(f, w, "deu", channel, PORTION)
    f.check(found == 0, "deu", f"{channel} decisions q={PORTION}", f"{found} found, 0 expected")
    f.assert_none()


# -- the access log -------------------------------------------------------------------------------


def test_reading_classified_documents_is_logged_and_public_ones_are_not(w):
    f = Findings()
    secret, public = w.doc("SECRET-none"), w.doc("PUBLIC-none")
    cases = [
        ("web", secret, lambda: w.clients["fra"].get(f"/documents/{secret.ref}/")),
        ("api", secret, lambda: _api(f, w, "fra", f"/api/documents/{secret.ref}")),
        ("web", public, lambda: w.clients["fra"].get(f"/documents/{public.ref}/")),
        ("api", public, lambda: _api(f, w, "fra", f"/api/documents/{public.ref}")),
    ]
    for channel, d, read in cases:
        last = AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
        try:
            with transaction.atomic():
                status = read().status_code
        except Exception as exc:
            f.add("fra", channel, f"reading {d.key} raised {type(exc).__name__}: {exc}")
            continue
        f.check(status == 200, "fra", channel, f"reading {d.key} answered {status}")
        rows = list(AccessLog.objects.filter(id__gt=last, action="read"))
        if d.level >= Classification.RESTRICTED:
            f.check(
                any(
                    r.channel == channel
                    and r.username == w.users["fra"].username
                    and d.ref in r.subject
                    and r.level == int(d.level)
                    for r in rows
                ),
                "fra",
                channel,
                f"reading {d.key} logged {[(r.channel, r.subject, r.level) for r in rows]}",
            )
        else:
            f.check(rows == [], "fra", channel, f"reading {d.key} logged {rows}")
    f.assert_none()
