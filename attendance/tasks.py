"""Periodic tasks of attendance (CONVENTIONS: Tasks): thin, idempotent, heartbeat recorded."""

import datetime as dt

from celery import shared_task

from core.tasks import heartbeat


@shared_task(name="attendance.tasks.daily_sweep", acks_late=True)
@heartbeat
def daily_sweep(run_date=None):
    """ATT-3/ATT-4 cases (one per worker, kind and window) and ATT-5 monthly-sheet reminders
    (one per community and month). A retry or a second beat creates nothing more."""
    from attendance.cases import cases_sweep
    from attendance.reminders import reminders_sweep

    day = dt.date.fromisoformat(run_date) if run_date else None
    return {
        "cases": cases_sweep(today=day),
        "reminders": reminders_sweep(today=day),
    }
