"""The plain pages: the procedures and their state, one procedure in detail."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from concord.domain.deadlines import deadline_text
from concord.domain.errors import NotFound
from concord.records.models import AuditEvent
from concord.services import common, presenting
from concord.services import procedures as service


def _row(p, ev, user_zone: str | None):
    return {
        "procedure": p,
        "state": ev.state,
        "state_label": presenting.state_label(p.kind, ev),
        "deadline": deadline_text(p.expires_at, p.body.seat_timezone, user_zone),
        "objecting": ev.objecting,
        "pending": ev.pending,
        "evaluation": ev,
    }


@login_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    now = common.now()
    zone = getattr(request.user, "time_zone", None)
    rows = [_row(p, ev, zone) for p, ev in service.listing(service.with_history(), now)]
    return render(request, "web/procedure_list.html", {"rows": rows, "now": now})


@login_required
def procedure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        p = service.get(pk)
    except NotFound:
        raise Http404("no such procedure") from None
    now = common.now()
    ev = service.evaluate(p, now)
    row = _row(p, ev, getattr(request.user, "time_zone", None))
    events = AuditEvent.objects.filter(subject=f"procedure:{p.pk}").order_by("seq")
    return render(
        request,
        "web/procedure_detail.html",
        {
            "row": row,
            "p": p,
            "participants": ev.participants.values(),
            "positions": p.positions.all(),
            "events": events,
            "now": now,
        },
    )
