"""Notifications from the record: in-app, e-mail, reminders, webhooks and the calendar feed."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from concord.domain.procedures import Kind, PositionKind
from concord.notifications.models import Delivery, Notification, Reminder
from concord.notifications.tasks import backoff, signature
from concord.services import notifications
from concord.services import procedures as service
from tests.factories import UserFactory, capital, delegate
from tests.integration.conftest import T0

H = timedelta(hours=1)
EXPIRY = T0 + timedelta(days=2)


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def people(states):
    made = {s: delegate(s) for s in ("FRA", "DEU", "ITA")}
    made["FRA"].email = "fra@example.org"
    made["FRA"].save()
    made["jpn"] = UserFactory(
        username="jpn", role="partner_delegate", state_id="JPN", email="j@x.org"
    )
    return made


@pytest.fixture
def silence(council, paper, people):
    return service.open_silence(
        by=council.chair, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )


def test_each_event_is_told_once_to_those_concerned(silence, people):
    service.break_silence(
        procedure_id=silence.pk, by=people["DEU"], state="DEU", statement="No.", now=T0 + H
    )
    made = notifications.process_events(T0 + H)
    assert notifications.process_events(T0 + H) == 0  # the cursor has moved on
    fra = Notification.objects.filter(user=people["FRA"]).order_by("event_seq")
    assert [n.kind for n in fra] == ["procedure.silence.opened", "procedure.silence.broken"]
    assert "DEU broke silence" in fra[1].title
    assert "Europe/Brussels" in fra[1].body
    assert not Notification.objects.filter(user=people["jpn"]).exists()  # allies only
    assert made == Notification.objects.count()
    assert [m.to for m in mail.outbox] == [["fra@example.org"], ["fra@example.org"]]


def test_notifications_follow_the_users_language(silence, people):
    from django.utils import translation
    from django.utils.translation import gettext

    people["ITA"].language = "fr"
    people["ITA"].save()
    notifications.process_events(T0 + H)
    note = Notification.objects.get(user=people["ITA"])
    with translation.override("fr"):
        prefix = gettext("Expiry: %(deadline)s").split("%(")[0]
    assert note.body.startswith(prefix)
    assert Notification.objects.get(user=people["DEU"]).body.startswith("Expiry: ")


def test_reminders_go_once_before_expiry(silence, people):
    assert notifications.send_reminders(EXPIRY - timedelta(hours=30)) == 0
    first = notifications.send_reminders(EXPIRY - timedelta(hours=23))
    assert first > 0
    assert notifications.send_reminders(EXPIRY - timedelta(hours=22)) == 0
    second = notifications.send_reminders(EXPIRY - timedelta(minutes=30))
    assert second == first
    assert Reminder.objects.filter(procedure=silence).count() == 2
    titles = set(
        Notification.objects.filter(kind__startswith="reminder").values_list("title", flat=True)
    )
    assert any("24 h" in t for t in titles) and any("1 h" in t for t in titles)


def test_written_procedure_reminds_only_those_who_have_not_replied(council, paper, people):
    p = service.open_procedure(
        by=council.chair, kind=Kind.WRITTEN, body=council, revision=paper, expires_at=EXPIRY, now=T0
    )
    service.file_position(
        procedure_id=p.pk, by=people["DEU"], state="DEU", kind=PositionKind.APPROVE, now=T0 + H
    )
    notifications.send_reminders(EXPIRY - timedelta(minutes=30))
    reminded = set(
        Notification.objects.filter(kind="reminder.1h").values_list("user__username", flat=True)
    )
    assert people["FRA"].username in reminded and people["DEU"].username not in reminded


def test_an_extension_rearms_the_reminders(silence, people):
    notifications.send_reminders(EXPIRY - timedelta(minutes=30))
    service.extend(
        procedure_id=silence.pk,
        by=silence.body.chair,
        expires_at=EXPIRY + timedelta(days=1),
        now=EXPIRY - timedelta(minutes=20),
    )
    assert notifications.send_reminders(EXPIRY + timedelta(days=1) - timedelta(minutes=30)) > 0


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, bytes]] = []
    fail_first = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
        else:
            _Receiver.received.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        return


@pytest.fixture
def receiver():
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_webhooks_are_signed(silence, people, receiver):
    hook = notifications.add_webhook(people["FRA"], receiver)
    service.break_silence(
        procedure_id=silence.pk, by=people["DEU"], state="DEU", statement="No.", now=T0 + H
    )
    notifications.process_events(T0 + H)
    assert len(_Receiver.received) == 2
    headers, body = _Receiver.received[1]
    stamp = headers["Concord-Timestamp"]
    expected = hmac.new(
        hook.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers["Concord-Signature"] == f"sha256={expected}"
    assert json.loads(body)["tag"] == "procedure.silence.broken"
    assert Delivery.objects.filter(status="delivered").count() == 2


def test_failed_webhooks_are_retried_with_backoff(silence, people, receiver, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from concord.notifications.tasks import deliver_webhook

    notifications.add_webhook(people["FRA"], receiver)
    notifications.process_events(T0 + H)
    delivery = Delivery.objects.get()
    _Receiver.fail_first = 1
    assert deliver_webhook.call(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_error
    assert deliver_webhook.call(delivery.pk) == "delivered"
    assert backoff(1) == timedelta(seconds=10) and backoff(3) == timedelta(seconds=40)


def test_bad_webhook_address_is_refused(people):
    from concord.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        notifications.add_webhook(people["FRA"], "ftp://example.org/x")


def test_signature_is_hmac_sha256_of_timestamp_and_body():
    assert signature("k", "1", "{}") == hmac.new(b"k", b"1.{}", hashlib.sha256).hexdigest()


def test_calendar_feed_lists_deadlines_the_user_may_see(client, silence, people):
    token = notifications.calendar_token(people["FRA"])
    body = client.get(f"/calendar/{token}.ics").content.decode()
    assert "BEGIN:VCALENDAR" in body and silence.title in body.replace("\r\n ", "")
    assert "DTSTART" in body
    jpn = notifications.calendar_token(people["jpn"])
    assert silence.title not in client.get(f"/calendar/{jpn}.ics").content.decode().replace(
        "\r\n ", ""
    )
    assert client.get("/calendar/" + "x" * 43 + ".ics").status_code == 404


def test_capital_hears_of_its_states_procedures(silence, people):
    official = capital("FRA")
    notifications.process_events(T0 + H)
    assert Notification.objects.filter(user=official).exists()


def test_no_reminder_longer_than_the_procedure(council, paper, people):
    short = service.open_silence(
        by=council.chair, body=council, revision=paper, expires_at=T0 + timedelta(hours=2), now=T0
    )
    notifications.send_reminders(T0 + timedelta(minutes=5))
    assert not Reminder.objects.filter(procedure=short).exists()  # 24 h: longer than it runs
    notifications.send_reminders(T0 + timedelta(minutes=65))
    assert list(
        Reminder.objects.filter(procedure=short).values_list("hours_before", flat=True)
    ) == [1]
