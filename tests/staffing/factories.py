"""factory_boy factories of staffing: a term always shares its worker's community."""

import datetime as dt

import factory

from staffing import models as s
from tests.factories import InCommunity, same_community


class WorkerFactory(InCommunity):
    class Meta:
        model = s.Worker

    name = factory.Sequence(lambda n: f"工作者{n}")
    gender = s.Gender.FEMALE
    phone = "13800000000"
    source = s.Source.RECRUITED_GRADUATE
    is_full_time = True
    hired_on = dt.date(2020, 1, 1)


class PostTermFactory(InCommunity):
    class Meta:
        model = s.PostTerm

    _parent = "worker"

    worker = same_community(WorkerFactory)
    post = s.Post.COMMITTEE_MEMBER
    starts_on = dt.date(2021, 1, 1)
    ends_on = None
    selection = s.Selection.ELECTED


class StaffingReasonFactory(InCommunity):
    class Meta:
        model = s.StaffingReason

    year = factory.LazyFunction(lambda: dt.date.today().year)
    reason = "辖区新建小区入住，临时增配"
