"""``concord bench deadlines``: P silence procedures expiring at one instant, recorded by three
``concord worker`` processes, one of them SIGKILLed half-way.

The procedures are inserted directly (``bulk_create``, like the Council's running silence
procedure of the demo, with its deciding states), without "opened" audit events: the chain only
receives what the workers append, and stays valid. Their expiry is then set, in one statement, a
few seconds ahead, and the workers are left to record every outcome (the state, the decision
sheet, the audit events) and to notify every recipient.

Reported: outcomes recorded exactly once (final states, one ``procedure.silence.expired`` event
and one decision per procedure), notifications exactly once per recipient (no duplicate
``(user, kind, event_seq)``, and each procedure's count equal to its audience), the lag from the
expiry instant to the last outcome's ``recorded_at``, and ``concord audit verify``.

Reference: the floor, the time to UPDATE the same P rows' state in one plain SQL statement.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from concord.bench import harness
from concord.bench.harness import BenchError, progress

WORKERS = 3
GOAL_LAG_S = 30.0
#: The expiry instant is set this far ahead of the moment the workers are running.
LEAD_S = 3.0
#: How often the timeline (recorded outcomes, notified events) is sampled, in seconds.
SAMPLE_S = 2.0
FINAL = ("adopted", "not_adopted", "called_up", "withdrawn")
EXPIRED = "procedure.silence.expired"


# -- set-up, run in a Django process on the benchmark's database ---------------------------------


def seed(count: int) -> dict[str, Any]:
    """Insert ``count`` open silence procedures like the demo's running one (their expiry is set
    later, in one statement, once the workers run)."""
    from django.db import transaction

    from concord.bench.copies import copy_procedures
    from concord.procedures.models import Procedure
    from concord.services import common, notifications

    template = (
        Procedure.objects.filter(kind="silence", state="open", body__code="NAC")
        .order_by("-id")
        .first()
    )
    if template is None:
        raise RuntimeError("the demo's running silence procedure is missing")
    now = common.now()
    made: list[int] = []
    with transaction.atomic():
        for start in range(0, count, 1000):
            rows = copy_procedures(
                template,
                range(start + 1, min(start + 1000, count) + 1),
                title=lambda n: f"Benchmark silence {n}",
                revision_id=template.revision_id,
                opened_at=now,
                # far enough that no reminder (24 h, 1 h before) is due meanwhile
                expires_at=now + timedelta(days=30),
            )
            made += [p.pk for p in rows]
    members = template.participants.count()
    sample = Procedure.objects.select_related("body").get(pk=made[0])
    audience = notifications.audience(sample)
    return {
        "first": min(made),
        "last": max(made),
        "count": len(made),
        "participants": members,
        "audience": len(audience),
    }


# -- the benchmark --------------------------------------------------------------------------------


def _recorded(space: harness.Workspace, first: int, last: int) -> int:
    return int(
        space.sql(
            "SELECT count(*) FROM procedures_procedure WHERE id BETWEEN %s AND %s"
            " AND state = ANY(%s)",
            [first, last, list(FINAL)],
        )[0][0]
    )


def _notified_up_to(space: harness.Workspace) -> int:
    rows = space.sql("SELECT seq FROM notifications_cursor WHERE name = 'notifications'")
    return int(rows[0][0]) if rows else 0


def _worker_outcomes(process: harness.Process) -> int:
    """What a worker said it recorded ("recorded N outcome(s)" after each sweep)."""
    total = 0
    try:
        text = process.out.read_text(errors="replace")
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("recorded "):
            total += int(line.split()[1])
    return total


def _checks(space: harness.Workspace, seeded: dict[str, Any]) -> dict[str, Any]:
    first, last, count = seeded["first"], seeded["last"], seeded["count"]
    subjects = [f"procedure:{i}" for i in range(first, last + 1)]
    final, adopted = space.sql(
        "SELECT count(*) FILTER (WHERE state = ANY(%s)), count(*) FILTER (WHERE state = 'adopted')"
        " FROM procedures_procedure WHERE id BETWEEN %s AND %s",
        [list(FINAL), first, last],
    )[0]
    events, distinct, duplicated = space.sql(
        "SELECT coalesce(sum(n), 0), count(*), count(*) FILTER (WHERE n > 1) FROM ("
        " SELECT subject, count(*) AS n FROM records_auditevent"
        " WHERE tag = %s AND subject = ANY(%s) GROUP BY subject) AS per",
        [EXPIRED, subjects],
    )[0]
    decisions = space.sql(
        "SELECT count(*) FROM records_decision WHERE procedure_id BETWEEN %s AND %s",
        [first, last],
    )[0][0]
    expected = seeded["audience"]
    notes_total, exact, missing, extra = space.sql(
        "SELECT coalesce(sum(n), 0), count(*) FILTER (WHERE n = %s),"
        " coalesce(sum(greatest(%s - n, 0)), 0), coalesce(sum(greatest(n - %s, 0)), 0) FROM ("
        " SELECT p.id, count(n.id) AS n FROM procedures_procedure p"
        " LEFT JOIN notifications_notification n ON n.procedure_id = p.id AND n.kind = %s"
        " WHERE p.id BETWEEN %s AND %s GROUP BY p.id) AS per",
        [expected, expected, expected, EXPIRED, first, last],
    )[0]
    duplicate_notes = space.sql(
        "SELECT count(*) FROM (SELECT 1 FROM notifications_notification"
        " GROUP BY user_id, kind, event_seq HAVING count(*) > 1) AS d"
    )[0][0]
    first_at, last_at = space.sql(
        "SELECT min(recorded_at), max(recorded_at) FROM procedures_procedure"
        " WHERE id BETWEEN %s AND %s AND state = ANY(%s)",
        [first, last, list(FINAL)],
    )[0]
    audit = json.loads(space.concord("audit", "verify", "--json", timeout=600).stdout)
    return {
        "procedures": count,
        "final": int(final),
        "adopted": int(adopted),
        "expired_events": int(events),
        "procedures_with_event": int(distinct),
        "duplicate_outcomes": int(duplicated),
        "missing_outcomes": count - int(distinct),
        "decisions": int(decisions),
        "audience": expected,
        "notifications": int(notes_total),
        "notifications_expected": count * expected,
        "procedures_notified_exactly": int(exact),
        "missing_notifications": int(missing),
        "extra_notifications": int(extra),
        "duplicate_notifications": int(duplicate_notes),
        "first_recorded_at": first_at,
        "last_recorded_at": last_at,
        "audit_chain_ok": bool(audit["ok"]),
        "audit_events_checked": audit["checked"],
    }


def _reference(space: harness.Workspace, first: int, last: int) -> dict[str, Any]:
    with harness.connect(space.url) as conn:
        started = time.perf_counter()
        cur = conn.execute(
            "UPDATE procedures_procedure SET state = 'adopted', decided_at = expires_at,"
            " recorded_at = now() WHERE id BETWEEN %s AND %s",
            [first, last],
        )
        rows = cur.rowcount
        conn.commit()
        took = time.perf_counter() - started
    return {"rows": rows, "seconds": round(took, 3)}


def run(
    procedures: int = 10_000,
    seconds: float | None = None,
    workers: int = WORKERS,
    **_ignored: Any,
) -> dict[str, Any]:
    if procedures < 2:
        raise BenchError("--procedures must be at least 2")
    if workers < 2:
        raise BenchError("deadlines needs at least 2 workers: one of them is killed")
    timeout = seconds if seconds is not None else max(120.0, procedures * 0.25)
    params = {"procedures": procedures, "workers": workers, "timeout_s": timeout}
    with harness.workspace("deadlines") as space:
        progress(f"inserting {procedures} silence procedures")
        started = time.perf_counter()
        seeded = space.django("concord.bench.deadlines:seed", count=procedures, timeout=1800)
        seed_s = time.perf_counter() - started
        first, last = seeded["first"], seeded["last"]

        started_workers = [space.start(f"worker{i + 1}", "worker") for i in range(workers)]
        time.sleep(2.0)  # the workers are set up and sweeping (nothing due yet)
        for w in started_workers:
            if not w.alive():
                raise BenchError(f"a worker exited: {w.stderr_tail()}")
        load = harness.machine()
        expiry = (datetime.now(UTC) + timedelta(seconds=LEAD_S)).replace(microsecond=0)
        space.sql(
            "UPDATE procedures_procedure SET expires_at = %s WHERE id BETWEEN %s AND %s",
            [expiry, first, last],
        )
        progress(f"{procedures} procedures expire at {expiry.isoformat()}; {workers} workers")
        killed: dict[str, Any] | None = None
        timeline: list[list[float]] = []  # [seconds after the expiry, recorded, notified seq]
        last_event = 0
        notified_at = None
        give_up = time.monotonic() + LEAD_S + timeout
        said = 0.0
        while time.monotonic() < give_up:
            done = _recorded(space, first, last)
            notified = _notified_up_to(space)
            after = round(time.time() - expiry.timestamp(), 2)
            if after >= 0 and (not timeline or after - timeline[-1][0] >= SAMPLE_S):
                timeline.append([after, done, notified])
            if killed is None and done >= procedures / 2:
                victim = started_workers[0]
                victim.popen.send_signal(signal.SIGKILL)
                victim.popen.communicate(timeout=10)
                killed = {"worker": victim.name, "after_s": after, "recorded_then": done}
                progress(f"SIGKILLed {victim.name} with {done} of {procedures} recorded")
            if done >= procedures:
                if not last_event:  # every outcome is in: now wait for their notifications
                    last_event = space.sql(
                        "SELECT coalesce(max(seq), 0) FROM records_auditevent WHERE tag = %s",
                        [EXPIRED],
                    )[0][0]
                if notified >= last_event:
                    notified_at = time.time()
                    timeline.append([after, done, notified])
                    break
            if time.monotonic() - said >= 15:
                said = time.monotonic()
                progress(
                    f"{after:.0f} s: {done} of {procedures} recorded; notified up to {notified}"
                )
            time.sleep(0.25)
        outcomes_seen = time.time()
        for w in started_workers[1:]:
            w.stop()
        per_worker = {w.name: _worker_outcomes(w) for w in started_workers}
        progress("checking outcomes, notifications and the audit chain")
        ours = _checks(space, seeded)
        reference = _reference(space, first, last)

    ours["expiry"] = expiry.isoformat()
    last_at, first_at = ours.pop("last_recorded_at"), ours.pop("first_recorded_at")
    lag = (last_at - expiry).total_seconds() if last_at else None
    ours["lag_s"] = round(lag, 2) if lag is not None else None
    ours["first_outcome_s"] = round((first_at - expiry).total_seconds(), 2) if first_at else None
    span = (last_at - first_at).total_seconds() if first_at and last_at else 0
    ours["outcomes_per_s"] = round(ours["final"] / span, 1) if span > 0 else None
    ours["all_recorded"] = ours["final"] == procedures
    ours["notified_all_s"] = (
        round(notified_at - expiry.timestamp(), 2) if notified_at is not None else None
    )
    ours["watched_s"] = round(outcomes_seen - expiry.timestamp(), 2)
    ours["killed"] = killed
    # a killed worker never says what it recorded in its last sweep
    per_worker["unattributed"] = ours["final"] - sum(per_worker.values())
    ours["outcomes_by_worker"] = per_worker
    ours["timeline"] = timeline
    ours["seed_s"] = round(seed_s, 2)
    ours["machine"] = load
    exactly_once = (
        ours["all_recorded"]
        and ours["duplicate_outcomes"] == 0
        and ours["missing_outcomes"] == 0
        and ours["decisions"] == ours["adopted"]
    )
    notified_once = (
        ours["duplicate_notifications"] == 0
        and ours["missing_notifications"] == 0
        and ours["extra_notifications"] == 0
    )
    ours["outcomes_exactly_once"] = exactly_once
    ours["notifications_exactly_once"] = notified_once
    goal_met = bool(
        exactly_once
        and notified_once
        and ours["audit_chain_ok"]
        and lag is not None
        and lag <= GOAL_LAG_S
    )
    notes = []
    if not ours["all_recorded"]:
        notes.append(f"gave up after {timeout:g} s with {ours['final']} of {procedures} recorded")
    if notified_at is None:
        notes.append("the notifications were not all made within the time limit")
    if killed is None:
        notes.append("no worker was killed: the outcomes never reached half-way in time")
    return harness.result(
        "deadlines",
        params=params,
        ours=ours,
        reference=reference,
        ratio=harness.ratio(lag, reference["seconds"]),
        goal=f"no duplicate, no miss, lag <= {GOAL_LAG_S:g} s",
        goal_met=goal_met,
        notes=notes,
        rows=[
            ("procedures", procedures, reference["rows"]),
            ("outcomes recorded (final states)", ours["final"], reference["rows"]),
            ("lag, expiry to last outcome (s)", ours["lag_s"], f"{reference['seconds']:.3f}"),
            ("expiry to first outcome (s)", ours["first_outcome_s"], None),
            ("outcomes per second", ours["outcomes_per_s"], None),
            (
                "expired events / duplicated / missing",
                f"{ours['expired_events']} / {ours['duplicate_outcomes']}"
                f" / {ours['missing_outcomes']}",
                None,
            ),
            ("decisions recorded", ours["decisions"], None),
            ("outcomes exactly once", exactly_once, None),
            ("worker killed at (recorded)", killed["recorded_then"] if killed else None, None),
            (
                "outcomes by worker",
                " / ".join(f"{k} {v}" for k, v in per_worker.items()),
                None,
            ),
            (
                "notifications / expected",
                f"{ours['notifications']} / {ours['notifications_expected']}",
                None,
            ),
            (
                "notifications duplicated / missing",
                f"{ours['duplicate_notifications']} / {ours['missing_notifications']}",
                None,
            ),
            ("notifications exactly once", notified_once, None),
            ("expiry to all notified (s)", ours["notified_all_s"], None),
            ("audit chain verifies", ours["audit_chain_ok"], None),
        ],
    )
