"""Celery tasks of the communities app: thin, take ids, call communities.ledger_jobs, and can
run twice without doing anything twice."""

from celery import shared_task

from core.tasks import heartbeat


@shared_task(name="communities.tasks.export_job_run", acks_late=True)
def export_job_run(job_id):
    """Write one queued ledger export (issue #4); a second delivery finds it claimed."""
    from communities.ledger_jobs import export_job_run as run

    return run(job_id=job_id)


@shared_task(name="communities.tasks.export_jobs_cleanup", acks_late=True)
@heartbeat
def export_jobs_cleanup():
    """Hourly: delete expired export files, fail jobs that never finished."""
    from communities.ledger_jobs import export_jobs_cleanup as cleanup

    return cleanup()
