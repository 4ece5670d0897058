"""Audit history by database triggers (django-pghistory).

Triggers record every insert, update and delete, so bulk updates, raw SQL and imports are
recorded as well as form saves. The request middleware adds who and from where to the
context of each event; the admin shows the events on each object's history page.
"""

import pghistory
from pghistory.models import Events


def audited(model=None, *, level=None):
    """Class decorator: keep the full history of a governed model (issue #3 §5).

    `level=pghistory.Statement` for tables written in bulk (the ledgers' set-based import):
    one trigger call per statement reading the transition tables, instead of one per row
    (each row-level call attaches the context in a plpgsql exception block, a
    subtransaction). The events are the same: one per inserted, changed or deleted row."""

    def wrap(cls):
        return pghistory.track(
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            level=level,
        )(cls)

    return wrap(model) if model is not None else wrap


NOISE = frozenset({"updated_at"})


def history_for(obj, limit: int = 200):
    """Events of one object, newest first, with the diff to the previous event and context
    (time stamps that change on every save are left out of the diff)."""
    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    for event in events:
        if event.pgh_diff:
            event.pgh_diff = {k: v for k, v in event.pgh_diff.items() if k not in NOISE}
    return events
