import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("shequ")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def _forget_cached_content_types(**kwargs):
    """A worker lives across database resets that recreate content types with new ids (the
    test suite's flushes; a restore from a backup). Permission lookups (core.scoping, django-
    guardian) go through ContentType ids, and Django caches them per process: start each task
    with the cache cleared, so a long-lived worker never checks grants against stale ids.
    Costs one query per model looked up, per task."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
