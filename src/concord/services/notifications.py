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
from django.db.models import F, Q, QuerySet
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
    return Audiences([procedure], {procedure.pk: states} if states is not None else None)[
        procedure.pk
    ]


class Audiences:
    """The audience of each of several procedures, worked out together: the candidates in one
    query, and each candidate's visibility in one query for all the procedures (the access
    policy's own filter, ``access.procedures``), instead of one query per user and procedure."""

    def __init__(
        self,
        procedures: Iterable[Procedure],
        states: dict[int, Iterable[str] | None] | None = None,
    ) -> None:
        self.procedures = {p.pk: p for p in procedures}
        self.wanted: dict[int, set[str]] = {}
        for pk, p in self.procedures.items():
            chosen = (states or {}).get(pk)
            self.wanted[pk] = (
                set(chosen) if chosen is not None else {x.state_id for x in p.participants.all()}
            )
        officers = {
            pk
            for p in self.procedures.values()
            for pk in (p.body.chair_id, p.body.secretary_id)
            if pk is not None
        }
        every_state = set().union(*self.wanted.values()) if self.wanted else set()
        self.candidates = list(
            User.objects.filter(is_active=True)
            .filter(Q(state_id__in=every_state, role__in=SPEAKERS) | Q(pk__in=officers))
            .order_by("pk")
        )
        self._visible: dict[int, set[int]] = {}
        self._made: dict[int, list[User]] = {}

    def _sees(self, user: User) -> set[int]:
        if user.pk not in self._visible:  # the policy decides, once per user for the batch
            self._visible[user.pk] = set(
                access.procedures(user)
                .filter(pk__in=list(self.procedures))
                .values_list("pk", flat=True)
            )
        return self._visible[user.pk]

    def __getitem__(self, pk: int) -> list[User]:
        if pk not in self._made:
            p, wanted = self.procedures[pk], self.wanted[pk]
            people = [u for u in self.candidates if u.state_id in wanted and u.role in SPEAKERS]
            taken = {u.pk for u in people}
            officers = [
                u
                for u in self.candidates
                if u.pk in (p.body.chair_id, p.body.secretary_id) and u.pk not in taken
            ]
            self._made[pk] = [u for u in people + officers if pk in self._sees(u)]
        return self._made[pk]


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


def _notes(
    users: Iterable[User],
    *,
    kind: str,
    event_seq: int,
    procedure: Procedure,
    title_for,
    now: datetime,
) -> list[Notification]:
    """The notifications to make (unsaved), each in its recipient's language."""
    notes: list[Notification] = []
    url = reverse("procedure-detail", args=[procedure.pk])
    titles: dict[str, str | None] = {}
    bodies: dict[tuple[str, str], str] = {}
    for user in users:
        language = user.language or "en"
        if language not in titles:
            with translation.override(language):
                titles[language] = title_for()
        title = titles[language]
        if title is None:
            continue
        if (language, user.time_zone) not in bodies:
            with translation.override(language):
                bodies[language, user.time_zone] = _deadline_line(procedure, user)
        notes.append(
            Notification(
                user=user,
                kind=kind,
                event_seq=event_seq,
                procedure=procedure,
                title=title,
                body=bodies[language, user.time_zone],
                url=url,
                created_at=now,
            )
        )
    return notes


def _save(notes: list[Notification], email_field: str) -> int:
    """Insert the notifications nobody has made yet (one per user and event), in bulk, and
    queue the e-mail of each one made; returns how many were made."""
    if not notes:
        return 0
    told = set(
        Notification.objects.filter(
            event_seq__in={n.event_seq for n in notes}, kind__in={n.kind for n in notes}
        ).values_list("user_id", "kind", "event_seq")
    )
    fresh = [n for n in notes if (n.user_id, n.kind, n.event_seq) not in told]
    try:
        with transaction.atomic():
            made = Notification.objects.bulk_create(fresh, batch_size=1000)
    except IntegrityError:  # another worker told some of them meanwhile: one at a time
        made = []
        for note in fresh:
            note.pk = None
            try:
                with transaction.atomic():
                    note.save(force_insert=True)
            except IntegrityError:  # already told
                continue
            made.append(note)
    from concord.notifications.tasks import send_notification_email

    for note in made:
        if getattr(note.user, email_field) and note.user.email:
            send_notification_email.enqueue(note.pk)
    return len(made)


def _notify(
    users: Iterable[User],
    *,
    kind: str,
    event_seq: int,
    procedure: Procedure,
    title_for,
    now: datetime,
    email_field: str,
) -> int:
    notes = _notes(
        users, kind=kind, event_seq=event_seq, procedure=procedure, title_for=title_for, now=now
    )
    return _save(notes, email_field)


def _webhooks(
    event: AuditEvent,
    procedure: Procedure,
    users: list[User],
    now: datetime,
    hooks: list[Webhook] | None = None,
) -> None:
    """Queue one delivery per event to each active webhook of the audience (``hooks``: the
    active webhooks of a wider set of users, loaded once for a batch)."""
    from concord.notifications.tasks import deliver_webhook

    owners = {u.pk for u in users}
    if hooks is None:
        hooks = list(Webhook.objects.filter(owner__in=owners, active=True))
    hooks = [h for h in hooks if h.owner_id in owners]
    if not hooks:
        return
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
    for hook in hooks:
        delivery, made = Delivery.objects.get_or_create(
            webhook=hook, event_seq=event.seq, defaults={"payload": body, "created_at": now}
        )
        if made:
            deliver_webhook.enqueue(delivery.pk)


def _procedure_id(event: AuditEvent) -> int | None:
    return int(event.subject.split(":")[1]) if event.subject.startswith("procedure:") else None


def process_events(now: datetime | None = None, batch: int = 200) -> int:
    """Tell the audience of each new procedure event; returns how many notifications were made.
    Who may see each procedure is worked out once for the batch, and the notifications are
    inserted together."""
    return _process_batch(now, batch)[1]


def process_pending(now: datetime | None = None, seconds: float = 5.0, batch: int = 200) -> int:
    """Tell new events a batch at a time (each in a transaction of its own) while whole batches
    keep coming, for at most about ``seconds``; returns how many notifications were made."""
    import time

    made, until = 0, time.monotonic() + seconds
    while True:
        events, told = _process_batch(now, batch)
        made += told
        if events < batch or time.monotonic() >= until:
            return made


def _process_batch(now: datetime | None, batch: int) -> tuple[int, int]:
    """One batch of events: how many were read, and how many notifications were made."""
    made = 0
    with transaction.atomic():
        Cursor.objects.get_or_create(name="notifications")
        # Another worker holding the cursor is telling these events already: do other work.
        cursor = (
            Cursor.objects.select_for_update(skip_locked=True).filter(name="notifications").first()
        )
        if cursor is None:
            return 0, 0
        events = list(AuditEvent.objects.filter(seq__gt=cursor.seq).order_by("seq")[:batch])
        if not events:
            return 0, 0
        at = now or common.now()
        wanted = {pk for pk in map(_procedure_id, events) if pk is not None}
        procedures = {
            p.pk: p
            for p in Procedure.objects.select_related("body")
            .prefetch_related("participants")
            .filter(pk__in=wanted)
        }
        audiences = Audiences(procedures.values())
        hooks = list(
            Webhook.objects.filter(owner__in=[u.pk for u in audiences.candidates], active=True)
        )
        notes: list[Notification] = []
        for event in events:
            procedure = procedures.get(_procedure_id(event) or 0)
            if procedure is None:
                continue
            users = audiences[procedure.pk]
            notes += _notes(
                users,
                kind=event.tag,
                event_seq=event.seq,
                procedure=procedure,
                title_for=lambda e=event, p=procedure: _summary(e, p),
                now=at,
            )
            _webhooks(event, procedure, users, at, hooks)
        made = _save(notes, "email_notifications")
        cursor.seq = events[-1].seq
        cursor.save(update_fields=["seq"])
    return len(events), made


def _not_replied(procedure: Procedure) -> list[str]:
    ev = procedure_service.evaluate(procedure)
    return [s for s, p in ev.participants.items() if p.latest is None]


def send_reminders(now: datetime | None = None) -> int:
    """Remind before each expiry (by default 24 h and 1 h before): every deciding delegation for
    silence, the ones that have not replied in a written procedure."""
    at = now or common.now()
    sent = 0
    for hours in settings.CONCORD_REMINDER_HOURS:
        due = list(
            procedure_service.with_history(
                Procedure.objects.filter(
                    state=ProcedureState.OPEN,
                    expires_at__gt=at,
                    expires_at__lte=at + timedelta(hours=hours),
                    # no "24 h before" reminder for a procedure that runs for less than that
                    opened_at__lte=F("expires_at") - timedelta(hours=hours),
                    kind__in=[Kind.SILENCE, Kind.WRITTEN, Kind.DELEGATED],
                )
            )
        )
        if not due:
            continue
        reminded = set(
            Reminder.objects.filter(
                procedure__in=[p.pk for p in due], hours_before=hours
            ).values_list("procedure_id", "expires_at")
        )
        due = [p for p in due if (p.pk, p.expires_at) not in reminded]
        states = {p.pk: _not_replied(p) for p in due if p.kind == Kind.WRITTEN}
        audiences = Audiences(due, states)
        for procedure in due:
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
                    audiences[procedure.pk],
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
