"""What ``concord worker`` does on each sweep: record outcomes whose expiry has passed, tell people
about new events, send reminders (of deadlines, and of commitments falling due), then run the
queued background tasks (e-mail, webhooks).

A sweep never raises: a step that fails (the database restarting, say) is logged and tried again at
the next sweep, so a worker outlives an outage and carries on where it stopped. Every step is
idempotent, so nothing is done twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime

from django.db import close_old_connections

from concord.services import notifications, policy, procedures

log = logging.getLogger(__name__)


def run_tasks(max_tasks: int = 200) -> int:
    """Drain the django-tasks database queue (one batch); safe beside other workers. Returns how
    many tasks ran."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=f"concord-{os.getpid()}",
        excluded_queue_names=[],
    )
    worker.run()
    return worker._run_tasks


def sweep(now: datetime | None = None, tasks: bool = True) -> dict[str, int]:
    """One round of the worker's duties. Outcomes come first: while this sweep recorded some and
    more are still due (a burst of deadlines expiring together), the other duties wait for a later
    sweep, so that telling people never delays the outcomes themselves."""
    steps: list[tuple[str, Callable[[], int]]] = [
        ("notifications", lambda: notifications.process_pending(now)),
        ("reminders", lambda: notifications.send_reminders(now)),
        ("commitment reminders", lambda: policy.send_commitment_reminders(now)),
    ]
    if tasks:
        steps.append(("tasks", run_tasks))
    done: dict[str, int] = {}
    for name, step in [("outcomes", lambda: procedures.record_due_outcomes(now)), *steps]:
        try:
            done[name] = step()
        except Exception:  # retried next sweep; one failing step must not stop the others
            log.exception("worker step %s failed; it is retried at the next sweep", name)
            done[name] = 0
            close_old_connections()  # a broken connection is replaced at the next use
        if name == "outcomes" and done[name] and _still_due(now):
            return done | {name: 0 for name, _step in steps}
    return done


def _still_due(now: datetime | None) -> bool:
    try:
        return bool(procedures.due(now, limit=1))
    except Exception:  # the outcomes step has logged the trouble already
        close_old_connections()
        return False
