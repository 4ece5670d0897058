"""Periodic tasks of staffing (CONVENTIONS: Tasks): thin, idempotent, heartbeat recorded."""

import datetime as dt

from celery import shared_task

from core.tasks import heartbeat
from staffing import reminders


@shared_task(name="staffing.tasks.reminders_sweep", acks_late=True)
@heartbeat
def reminders_sweep(run_date=None):
    """STAFF-4/6/7/10 reminders: create the due ones, close the met ones. One row per kind,
    subject and period, so a retry or a second beat changes nothing."""
    day = dt.date.fromisoformat(run_date) if run_date else None
    return reminders.reminders_sweep(today=day)
