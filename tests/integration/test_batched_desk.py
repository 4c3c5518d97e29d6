"""The batching desk on its own (concord.api.batched.Desk), on PostgreSQL: a batch commits
together, a refusal leaves the rest of its batch alone, a failure before COMMIT changes nothing
and hands the batch to the full path, a failure during COMMIT answers 503, never 201."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from concord.api import batched
from concord.procedures.models import Position, Procedure
from concord.records.models import AccessLog, AuditEvent
from concord.services import audit, common, tokens
from concord.services import procedures as service
from concord.services.demo import seed_states
from tests.factories import BodyFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meeting():
    seed_states()
    council = BodyFactory(code="NAC", name="North Atlantic Council", kind="council")
    p = service.open_procedure(
        by=council.chair,
        kind=service.Kind.MEETING,
        body=council,
        expires_at=common.now() + timedelta(hours=2),
        title="Seabed infrastructure",
    )
    plain, _token = tokens.create(user=council.chair, scope="write")
    return p, plain


def pending(pid: int, token: str, state: str, text: str) -> batched.Pending:
    return batched.Pending(
        procedure=pid,
        token=token,
        digest=tokens.digest(token),
        path=f"/api/procedures/{pid}/positions",
        state=state,
        kind=service.PositionKind.STATEMENT,
        statement=text,
        paragraph=None,
        grounds="",
        future=asyncio.get_running_loop().create_future(),
    )


def with_desk(*batches, between=None) -> list[list[batched.Answer]]:
    """Run a desk on one event loop, submit each batch's requests at once (one batch each,
    one after the other; ``between`` runs after the first), close it; return the answers."""

    async def run():
        desk = batched.Desk(dict(connection.settings_dict))
        out = []
        try:
            for n, requests in enumerate(batches):
                if n == 1 and between is not None:
                    between()
                made = [pending(*r) for r in requests]
                out.append(list(await asyncio.gather(*(desk.submit(p) for p in made))))
            out.append(desk)
        finally:
            await desk.close()
        return out

    return asyncio.run(run())


def statements() -> list[str]:
    return list(Position.objects.order_by("id").values_list("statement", flat=True))


def test_a_batch_commits_its_positions_events_and_token_uses_together(meeting):
    p, token = meeting
    answers, desk = with_desk([(p.pk, token, s, f"{s} speaks.") for s in ("FRA", "DEU", "POL")])
    assert [a.status for a in answers] == [201, 201, 201]
    assert desk.batches == 1 and desk.committed == 3
    assert statements() == ["FRA speaks.", "DEU speaks.", "POL speaks."]
    events = AuditEvent.objects.filter(subject=f"procedure:{p.pk}").order_by("seq")
    assert [e.tag for e in events][-3:] == ["procedure.meeting.position_recorded"] * 3
    assert AccessLog.objects.filter(action="token_used").count() == 3
    assert audit.verify().ok
    assert all(b"server-timing" in dict(a.headers) for a in answers)


def test_a_refusal_leaves_the_rest_of_its_batch_alone(meeting):
    p, token = meeting
    (answers, _desk) = with_desk(
        [
            (p.pk, token, "FRA", "France speaks."),
            (p.pk, token, "AUS", "Not a participant."),  # refused: for the full path
            (p.pk, "cnc_nobody", "DEU", "No such token."),  # refused: for the full path
            (p.pk, token, "DEU", "Germany speaks."),
        ],
    )
    assert [a.status for a in answers] == [201, 0, 0, 201]
    assert statements() == ["France speaks.", "Germany speaks."]
    assert audit.verify().ok


def test_a_failure_before_commit_changes_nothing_and_goes_to_the_full_path(meeting, monkeypatch):
    p, token = meeting
    before = AuditEvent.objects.count()
    monkeypatch.setattr(batched, "WRITE", batched.WRITE.replace("records_accesslog", "no_such"))
    answers, again, _desk = with_desk(
        [(p.pk, token, "FRA", "Lost?"), (p.pk, token, "DEU", "Lost?")],
        [(p.pk, token, "FRA", "Second try.")],  # on a fresh connection
        between=monkeypatch.undo,
    )
    assert [a.status for a in answers] == [0, 0]  # declined: Django answers them
    assert all(a.counted for a in answers)  # and does not count them against the rate again
    assert [a.status for a in again] == [201]
    assert statements() == ["Second try."]
    assert AuditEvent.objects.count() == before + 1 and audit.verify().ok


def test_a_commit_whose_outcome_is_unknown_answers_503(meeting, monkeypatch):
    p, token = meeting

    async def lost(self):
        await self.close()  # the connection drops as COMMIT is sent
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(psycopg.AsyncConnection, "commit", lost)
    answers, again, _desk = with_desk(
        [(p.pk, token, "FRA", "Maybe.")], [(p.pk, token, "FRA", "Yes.")], between=monkeypatch.undo
    )
    assert [a.status for a in answers] == [503]
    assert b"may or may not be on record" in answers[0].body
    assert [a.status for a in again] == [201]
    assert statements() == ["Yes."]  # the first never committed: the connection was gone
    assert audit.verify().ok


def test_a_position_that_waited_past_the_expiry_for_its_lock_is_refused(meeting):
    """The desk reads the clock once the procedure is locked, as the service does: a batch that
    waited for the lock until after the expiry files nothing."""
    import threading

    p, token = meeting
    Procedure.objects.filter(pk=p.pk).update(expires_at=common.now() + timedelta(seconds=1.5))
    s = connection.settings_dict
    blocker = psycopg.connect(dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"])
    blocker.execute("SELECT id FROM procedures_procedure WHERE id = %s FOR UPDATE", [p.pk])
    release = threading.Timer(2.5, blocker.commit)  # held until after the expiry
    release.start()
    try:
        (answers, _desk) = with_desk([(p.pk, token, "FRA", "Just in time?")])
    finally:
        release.join()
        blocker.close()
    assert [a.status for a in answers] == [0]  # for the full path, which answers 409
    assert statements() == []
