"""What ``concord worker`` does on each sweep: record outcomes whose expiry has passed, tell people
about new events, send reminders, then run the queued background tasks (e-mail, webhooks)."""

from __future__ import annotations

import logging
from datetime import datetime

from concord.services import notifications, procedures

log = logging.getLogger(__name__)


def run_tasks(max_tasks: int = 200) -> None:
    """Drain the django-tasks database queue (one batch); safe beside other workers."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=f"concord-{id(log)}",
        excluded_queue_names=[],
    ).run()


def sweep(now: datetime | None = None, tasks: bool = True) -> dict[str, int]:
    done = {"outcomes": procedures.record_due_outcomes(now)}
    for name, step in (
        ("notifications", notifications.process_events),
        ("reminders", notifications.send_reminders),
    ):
        try:
            done[name] = step(now)
        except Exception:  # a failing step is retried next sweep; outcomes must not wait on it
            log.exception("worker step %s failed", name)
            done[name] = 0
    if tasks:
        run_tasks()
    return done
