"""Periodic tasks of core. Every periodic task records its heartbeat (issue #3 §6)."""

import functools
import traceback

from celery import shared_task

from core import services


def heartbeat(func):
    """Record start, success and failure of a periodic task in TaskHeartbeat."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        name = f"{func.__module__}.{func.__name__}"
        services.heartbeat_start(name)
        try:
            result = func(*args, **kwargs)
        except Exception:
            services.heartbeat_failure(name, traceback.format_exc())
            raise
        services.heartbeat_success(name)
        return result

    return wrapper


@shared_task(name="core.tasks.compliance_nightly", acks_late=True)
@heartbeat
def compliance_nightly(community_ids=None, run_date=None):
    """Run every compliance check for every community; idempotent for the day."""
    import datetime as dt

    day = dt.date.fromisoformat(run_date) if run_date else None
    return services.compliance_run(community_ids=community_ids, run_date=day)


@shared_task(name="core.tasks.import_validate", acks_late=True)
def import_validate(job_id):
    """Validate every row of an uploaded import (a dry run through the services)."""
    from core.imports import import_job_validate

    return import_job_validate(job_id=job_id)


@shared_task(name="core.tasks.import_apply", acks_late=True)
def import_apply(job_id):
    """Apply a confirmed import in one transaction; a second delivery applies nothing."""
    from core.imports import import_job_apply

    return import_job_apply(job_id=job_id)
