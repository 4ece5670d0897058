"""Periodic tasks of meetings (CONVENTIONS: Tasks): thin, idempotent, heartbeat recorded."""

import datetime as dt

from celery import shared_task

from core.tasks import heartbeat


@shared_task(name="meetings.tasks.quorum_check", acks_late=True)
@heartbeat
def quorum_check(run_at=None):
    """MEET-1: before each scheduled sitting, confirmed attendance against the quorum; one
    reminder per sitting and day when short."""
    from meetings.reminders import quorum_check as sweep

    now = dt.datetime.fromisoformat(run_at) if run_at else None
    return sweep(now=now)


@shared_task(name="meetings.tasks.reminders_sweep", acks_late=True)
@heartbeat
def reminders_sweep(run_date=None):
    """MEET-1: the regular sitting every assembly_interval_months, reminded when due."""
    from meetings.reminders import reminders_sweep as sweep

    day = dt.date.fromisoformat(run_date) if run_date else None
    return sweep(today=day)
