"""Periodic tasks of affairs disclosure (CONVENTIONS: Tasks): thin, idempotent, heartbeat
recorded."""

import datetime as dt

from celery import shared_task

from affairs_disclosure import reminders
from core.tasks import heartbeat


@shared_task(name="affairs_disclosure.tasks.disclosure_sweep", acks_late=True)
@heartbeat
def disclosure_sweep(run_date=None):
    """DISC-2 quarterly disclosure reminders and DISC-4 question deadlines: create the due
    ones, close the met ones. One row per kind, subject and period, so a retry or a second
    beat changes nothing."""
    day = dt.date.fromisoformat(run_date) if run_date else None
    return reminders.disclosure_sweep(today=day)
