"""Live updates and e-mail through the real server, worker and task queue."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from tests.functional.conftest import Cli, free_port, serving, signed_in


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


@pytest.fixture(scope="module")
def site(cli, smtp):
    port, _inbox = smtp
    env = {
        **cli.env,
        "CONCORD_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "CONCORD_EMAIL_HOST": "127.0.0.1",
        "CONCORD_EMAIL_PORT": str(port),
        "CONCORD_LIVE_POLL": "0.1",
    }
    live = Cli(env)
    live.run("demo", check=True)
    live.run(
        "manage",
        "shell",
        "-c",
        "from concord.alliance.models import User; "
        "User.objects.filter(username='fra-head').update(email='fra-head@example.org')",
        check=True,
    )
    with serving(live, "--with-worker") as base:
        yield live, base


def _running(live: Cli) -> int:
    rows = live.json("procedure", "list")
    return next(r["id"] for r in rows if r["kind"] == "silence" and r["state"] == "open")


def _read_events(opener, url: str, headers: dict[str, str], until, seconds: float) -> list[dict]:
    """Read a stream until ``until(events)`` holds or ``seconds`` pass."""
    events: list[dict] = []
    request = urllib.request.Request(url, headers=headers)
    deadline = time.monotonic() + seconds
    with opener.open(request, timeout=seconds) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        current: dict = {}
        while time.monotonic() < deadline and not until(events):
            try:
                line = stream.readline().decode().rstrip("\n")
            except TimeoutError:
                break
            if line.startswith("id: "):
                current["id"] = int(line[4:])
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and current:
                events.append(current)
                current = {}
    return events


def test_a_break_reaches_an_open_stream_and_a_reconnect_resumes_exactly(site):
    live, base = site
    pid = _running(live)
    opener = signed_in(live, base, "sg")
    url = f"{base}/live/procedure:{pid}/"
    got: list[dict] = []

    def listen() -> None:
        got.extend(
            _read_events(
                opener,
                url,
                {},
                lambda ev: any(e["data"]["tag"] == "procedure.silence.broken" for e in ev),
                20,
            )
        )

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(1.0)
    live.run(
        "procedure",
        "break",
        str(pid),
        "--state",
        "FRA",
        "--statement",
        "France objects.",
        "--as",
        "fra-head",
        check=True,
    )
    listener.join(25)
    broken = [e for e in got if e["data"]["tag"] == "procedure.silence.broken"]
    assert len(broken) == 1
    seq = broken[0]["id"]
    # Reconnecting just before that event replays it once; just after it, nothing comes again.
    again = _read_events(opener, url, {"Last-Event-ID": str(seq - 1)}, lambda ev: len(ev) >= 1, 5)
    assert [e["id"] for e in again] == [seq]
    after = _read_events(opener, url, {"Last-Event-ID": str(seq)}, lambda ev: len(ev) >= 1, 1.5)
    assert after == []


def test_streams_refuse_strangers(site):
    live, base = site
    pid = _running(live)
    anonymous = urllib.request.build_opener()
    with pytest.raises(urllib.error.HTTPError) as refused:
        anonymous.open(f"{base}/live/procedure:{pid}/", timeout=5)
    refused.value.close()
    assert refused.value.code == 403
    partner = signed_in(live, base, "jpn-delegate")  # allies-only: the partner may not see it
    with pytest.raises(urllib.error.HTTPError) as hidden:
        partner.open(f"{base}/live/procedure:{pid}/", timeout=5)
    hidden.value.close()
    assert hidden.value.code == 404


def test_the_worker_sends_email_through_smtp(site, smtp):
    live, _base = site
    _port, inbox = smtp
    expires = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    live.json(
        "procedure",
        "open-silence",
        "--body",
        "NAC",
        "--document",
        f"PO({datetime.now(UTC).year})0001",
        "--expires",
        expires,
        "--as",
        "sg",
    )
    for _ in range(150):
        if any("fra-head@example.org" in to for to, _body in inbox.messages):
            break
        time.sleep(0.2)
    mails = [body for to, body in inbox.messages if "fra-head@example.org" in to]
    assert mails, "no e-mail reached the SMTP server"
    assert any("Silence procedure opened" in m or "opened" in m for m in mails)
    assert any("Europe/Brussels" in m for m in mails)


def test_an_api_token_follows_a_document_stream(site):
    live, base = site
    created = live.json("token", "create", "--user", "fra-head", "--scope", "read")
    token = created["token"]
    year = datetime.now(UTC).year
    ref = f"PO({year})0005"  # the draft under negotiation in the demo
    url = f"{base}/live/document:{ref}/"
    plain = urllib.request.build_opener()
    got: list[dict] = []

    def listen() -> None:
        got.extend(
            _read_events(
                plain,
                url,
                {"Authorization": f"Bearer {token}"},
                lambda ev: any(e["data"]["tag"] == "text.bracket.held" for e in ev),
                20,
            )
        )

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(1.0)
    live.run(
        "manage",
        "shell",
        "-c",
        "from concord.documents.models import Document; from concord.services import common, "
        "texts; d = Document.objects.get(title__startswith='Draft Council declaration'); "
        "texts.hold(by=common.user('deu-head'), document=d, bracket='b4', alternative=1)",
        check=True,
    )
    listener.join(25)
    held = [e for e in got if e["data"]["tag"] == "text.bracket.held"]
    assert len(held) == 1 and held[0]["data"]["subject"] == f"document:{ref}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        plain.open(urllib.request.Request(url, headers={"Authorization": "Bearer cnc_wrong"}))
    refused.value.close()
    assert refused.value.code == 403
