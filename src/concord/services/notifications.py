"""Turning the record into what people are told: in-app notifications, e-mail, webhooks and
reminders. The audit chain is the outbox: a cursor walks it, so every event is told exactly once,
in a transaction of its own, whatever process or host does the work."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from concord.alliance.models import User
from concord.domain.alliance import Role
from concord.domain.canonical import canonical_json, format_instant
from concord.domain.deadlines import deadline_text
from concord.domain.procedures import Kind, PositionKind
from concord.domain.procedures import State as ProcedureState
from concord.notifications.models import Cursor, Delivery, Notification, Reminder, Webhook
from concord.procedures.models import Procedure
from concord.records.models import AuditEvent
from concord.services import access, common, labels
from concord.services import procedures as procedure_service

SPEAKERS = (
    Role.DELEGATION_HEAD,
    Role.DELEGATION_DEPUTY,
    Role.DELEGATION_ADVISER,
    Role.PARTNER_DELEGATE,
    Role.CAPITAL_OFFICIAL,
)


def audience(procedure: Procedure, states: Iterable[str] | None = None) -> list[User]:
    """Who hears about a procedure: the people of its deciding states (or of ``states``), and
    the body's chair and secretary; only those who may see it."""
    wanted = (
        list(states) if states is not None else [p.state_id for p in procedure.participants.all()]
    )
    people = User.objects.filter(is_active=True, state_id__in=wanted, role__in=SPEAKERS)
    officers = User.objects.filter(
        is_active=True, pk__in=[procedure.body.chair_id, procedure.body.secretary_id]
    )
    visible = access.procedures  # the policy decides for each user
    users = list(people) + [u for u in officers if u.pk not in {p.pk for p in people}]
    return [u for u in users if visible(u).filter(pk=procedure.pk).exists()]


def _summary(event: AuditEvent, procedure: Procedure) -> str | None:
    """One sentence for an event, in the active language; None for events nobody is told of."""
    data = json.loads(event.payload)
    tag = event.tag
    title = procedure.title
    if tag.endswith(".opened"):
        return _("%(kind)s opened: %(title)s") % {
            "kind": labels.kind_label(procedure.kind).capitalize(),
            "title": title,
        }
    if tag == "procedure.silence.broken":
        return _("%(state)s broke silence on %(title)s") % {"state": data["state"], "title": title}
    if tag in ("procedure.meeting.position_recorded", "procedure.written.replied"):
        position = labels.position_label(PositionKind(data["position"]))
        return _("%(state)s: %(position)s on %(title)s") % {
            "state": data["state"],
            "position": position,
            "title": title,
        }
    if tag == "procedure.delegated.called_up":
        return _("%(state)s called up %(title)s") % {"state": data["state"], "title": title}
    if tag.endswith(".extended"):
        return _("Deadline extended for %(title)s") % {"title": title}
    if tag.endswith(".withdrawn"):
        return _("Withdrawn: %(title)s") % {"title": title}
    if tag.endswith((".expired", ".concluded")) or tag.startswith("procedure.ad_referendum"):
        outcome = data.get("outcome")
        if outcome in (
            ProcedureState.ADOPTED,
            ProcedureState.NOT_ADOPTED,
            ProcedureState.CALLED_UP,
        ):
            label = {
                "adopted": _("adopted"),
                "not_adopted": _("not adopted"),
                "called_up": _("called up"),
            }[outcome]
            return _("%(title)s: %(outcome)s") % {"title": title, "outcome": label}
    if tag == "procedure.objection.countersigned":
        return _("%(state)s's objection countersigned on %(title)s") % {
            "state": data["state"],
            "title": title,
        }
    return None


def _deadline_line(procedure: Procedure, user: User) -> str:
    return _("Expiry: %(deadline)s") % {
        "deadline": deadline_text(
            procedure.expires_at, procedure.body.seat_timezone, user.time_zone
        )
    }


def _notify(
    users: Iterable[User],
    *,
    kind: str,
    event_seq: int | None,
    procedure: Procedure,
    title_for,
    now: datetime,
    email_field: str,
) -> int:
    created = 0
    url = reverse("procedure-detail", args=[procedure.pk])
    for user in users:
        with translation.override(user.language or "en"):
            title = title_for()
            if title is None:
                continue
            body = _deadline_line(procedure, user)
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    user=user,
                    kind=kind,
                    event_seq=event_seq,
                    procedure=procedure,
                    title=title,
                    body=body,
                    url=url,
                    created_at=now,
                )
        except IntegrityError:  # already told: a second worker got there first
            continue
        created += 1
        if getattr(user, email_field) and user.email:
            from concord.notifications.tasks import send_notification_email

            send_notification_email.enqueue(note.pk)
    return created


def _webhooks(event: AuditEvent, procedure: Procedure, users: list[User], now: datetime) -> None:
    from concord.notifications.tasks import deliver_webhook

    body = canonical_json(
        {
            "seq": event.seq,
            "tag": event.tag,
            "at": format_instant(event.at),
            "subject": event.subject,
            "procedure": {
                "id": procedure.pk,
                "kind": procedure.kind,
                "title": procedure.title,
                "body": procedure.body.code,
                "expires_at": format_instant(procedure.expires_at),
                "expiry_text": deadline_text(procedure.expires_at, procedure.body.seat_timezone),
            },
            "payload": json.loads(event.payload),
        }
    )
    for hook in Webhook.objects.filter(owner__in=users, active=True):
        delivery, made = Delivery.objects.get_or_create(
            webhook=hook, event_seq=event.seq, defaults={"payload": body, "created_at": now}
        )
        if made:
            deliver_webhook.enqueue(delivery.pk)


def process_events(now: datetime | None = None, batch: int = 200) -> int:
    """Tell the audience of each new procedure event; returns how many notifications were made."""
    made = 0
    with transaction.atomic():
        Cursor.objects.get_or_create(name="notifications")
        # Another worker holding the cursor is telling these events already: do other work.
        cursor = (
            Cursor.objects.select_for_update(skip_locked=True).filter(name="notifications").first()
        )
        if cursor is None:
            return 0
        events = list(AuditEvent.objects.filter(seq__gt=cursor.seq).order_by("seq")[:batch])
        at = now or common.now()
        for event in events:
            if event.subject.startswith("procedure:"):
                procedure = (
                    Procedure.objects.select_related("body")
                    .filter(pk=int(event.subject.split(":")[1]))
                    .first()
                )
                if procedure is not None:
                    users = audience(procedure)
                    made += _notify(
                        users,
                        kind=event.tag,
                        event_seq=event.seq,
                        procedure=procedure,
                        title_for=lambda e=event, p=procedure: _summary(e, p),
                        now=at,
                        email_field="email_notifications",
                    )
                    _webhooks(event, procedure, users, at)
            cursor.seq = event.seq
        cursor.save(update_fields=["seq"])
    return made


def _not_replied(procedure: Procedure) -> list[str]:
    ev = procedure_service.evaluate(procedure)
    return [s for s, p in ev.participants.items() if p.latest is None]


def send_reminders(now: datetime | None = None) -> int:
    """Remind before each expiry (by default 24 h and 1 h before): every deciding delegation for
    silence, the ones that have not replied in a written procedure."""
    at = now or common.now()
    sent = 0
    for hours in settings.CONCORD_REMINDER_HOURS:
        due = procedure_service.with_history(
            Procedure.objects.filter(
                state=ProcedureState.OPEN,
                expires_at__gt=at,
                expires_at__lte=at + timedelta(hours=hours),
                # no "24 h before" reminder for a procedure that runs for less than that
                opened_at__lte=F("expires_at") - timedelta(hours=hours),
                kind__in=[Kind.SILENCE, Kind.WRITTEN, Kind.DELEGATED],
            )
        )
        for procedure in due:
            if Reminder.objects.filter(
                procedure=procedure, hours_before=hours, expires_at=procedure.expires_at
            ).exists():
                continue
            states = _not_replied(procedure) if procedure.kind == Kind.WRITTEN else None
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        reminder = Reminder.objects.create(
                            procedure=procedure,
                            hours_before=hours,
                            expires_at=procedure.expires_at,
                            sent_at=at,
                        )
                except IntegrityError:
                    continue
                kind = f"reminder.{hours}h"

                def title(p=procedure, h=hours):
                    return _("Reminder: %(title)s expires in %(hours)s h") % {
                        "title": p.title,
                        "hours": h,
                    }

                sent += _notify(
                    audience(procedure, states),
                    kind=kind,
                    event_seq=reminder.pk,
                    procedure=procedure,
                    title_for=title,
                    now=at,
                    email_field="email_reminders",
                )
    return sent


def unread(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, read_at__isnull=True)


def mark_read(user: User, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    qs = unread(user)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=now or common.now())


def calendar_token(user: User, renew: bool = False) -> str:
    if renew or not user.calendar_token:
        user.calendar_token = secrets.token_urlsafe(32)
        user.save(update_fields=["calendar_token"])
    return user.calendar_token


def add_webhook(user: User, url: str, now: datetime | None = None) -> Webhook:
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    from concord.domain.errors import InvalidInput

    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidInput(_("%(url)s is not an http(s) address") % {"url": url}) from None
    return Webhook.objects.create(
        owner=user, url=url, secret=secrets.token_hex(32), created_at=now or common.now()
    )


def calendar_url(user: User) -> str:
    return settings.CONCORD_BASE_URL.rstrip("/") + reverse(
        "calendar-feed", args=[calendar_token(user)]
    )
