"""factory_boy factories of attendance (tests/attendance)."""

import datetime as dt

import factory
from django.utils import timezone

from attendance import models as a
from tests.factories import InCommunity, same_community
from tests.staffing.factories import WorkerFactory


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware local datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class AttendanceRecordFactory(InCommunity):
    class Meta:
        model = a.AttendanceRecord

    _parent = "worker"

    worker = same_community(WorkerFactory)
    date = factory.LazyFunction(timezone.localdate)
    sign_in_at = factory.LazyAttribute(lambda o: at(o.date, 8, 20))
    sign_out_at = factory.LazyAttribute(lambda o: at(o.date, 17, 5))
