"""The static Celery beat schedule (CONVENTIONS: Tasks). Plain data: imported by settings.

Each entry's `max_interval_hours` tells the admin when the task counts as overdue
(a dead beat must not fail silently, issue #3 §6).
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "compliance-nightly": {
        "task": "core.tasks.compliance_nightly",
        "schedule": crontab(hour=2, minute=15),
        "options": {"expires": 6 * 3600},
    },
    "staffing-reminders": {
        "task": "staffing.tasks.reminders_sweep",
        "schedule": crontab(hour=6, minute=30),
        "options": {"expires": 6 * 3600},
    },
    "disclosure-reminders": {
        "task": "affairs_disclosure.tasks.disclosure_sweep",
        "schedule": crontab(hour=6, minute=45),
        "options": {"expires": 6 * 3600},
    },
    "ledger-exports-cleanup": {
        "task": "communities.tasks.export_jobs_cleanup",
        "schedule": crontab(minute=20),
        "options": {"expires": 3000},
    },
    "attendance-daily": {
        "task": "attendance.tasks.daily_sweep",
        "schedule": crontab(hour=1, minute=40),
        "options": {"expires": 6 * 3600},
    },
    "meetings-reminders": {
        "task": "meetings.tasks.reminders_sweep",
        "schedule": crontab(hour=6, minute=50),
        "options": {"expires": 6 * 3600},
    },
    "meetings-quorum-check": {
        "task": "meetings.tasks.quorum_check",
        "schedule": crontab(hour=7, minute=10),
        "options": {"expires": 6 * 3600},
    },
}

# Hours after which a task without a successful run is shown as overdue.
MAX_INTERVAL_HOURS = {
    "core.tasks.compliance_nightly": 26,
    "staffing.tasks.reminders_sweep": 26,
    "affairs_disclosure.tasks.disclosure_sweep": 26,
    "communities.tasks.export_jobs_cleanup": 3,
    "attendance.tasks.daily_sweep": 26,
    "meetings.tasks.reminders_sweep": 26,
    "meetings.tasks.quorum_check": 26,
}
