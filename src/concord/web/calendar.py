"""A personal iCalendar feed of deadlines, at a secret address."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from concord.alliance.models import User
from concord.domain.deadlines import deadline_text
from concord.domain.procedures import State
from concord.services import access
from concord.services.labels import kind_label


def feed(token: str) -> HttpResponse:
    user = (
        User.objects.filter(calendar_token=token, is_active=True).first()
        if len(token) >= 32
        else None
    )
    if user is None:
        raise Http404("no such feed")
    cal = Calendar()
    cal.add("prodid", "-//Concord//Deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Concord: {user.username}")
    running = [State.OPEN, State.AWAITING_CONFIRMATION]
    for p in access.procedures(user).filter(state__in=running).select_related("body")[:500]:
        event = Event()
        event.add("uid", f"procedure-{p.pk}-expiry@concord")
        event.add("summary", f"{kind_label(p.kind).capitalize()}: {p.title}")
        event.add("dtstart", p.expires_at)
        event.add("dtend", p.expires_at + timedelta(minutes=15))
        event.add("dtstamp", p.opened_at)
        text = deadline_text(p.expires_at, p.body.seat_timezone, user.time_zone)
        link = settings.CONCORD_BASE_URL.rstrip("/") + reverse("procedure-detail", args=[p.pk])
        expiry = _("Expiry: %(deadline)s") % {"deadline": text}
        event.add("description", f"{p.body.code}. {expiry}\n{link}")
        event.add("url", link)
        cal.add_component(event)
    return HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
