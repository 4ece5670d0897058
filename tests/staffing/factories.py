"""factory_boy factories of staffing: a term always shares its worker's community."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

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


class TrainingRecordFactory(InCommunity):
    class Meta:
        model = s.TrainingRecord

    _parent = "worker"

    worker = same_community(WorkerFactory)
    course = factory.Sequence(lambda n: f"社区治理专题培训{n}")
    organiser = "区委组织部"
    date = factory.LazyFunction(dt.date.today)
    hours = Decimal("20.0")
    attended = True
    exam_result = s.ExamResult.PASSED


class StudySessionFactory(InCommunity):
    class Meta:
        model = s.StudySession

    date = factory.Sequence(lambda n: dt.date.today() - dt.timedelta(days=7 * n))
    topic = "学习党的二十大精神"
    notes = "集中学习并交流心得"
    attendees = 8


class EvaluationFactory(InCommunity):
    class Meta:
        model = s.Evaluation

    _parent = "worker"

    worker = same_community(WorkerFactory)
    year = factory.LazyFunction(lambda: dt.date.today().year - 1)
    score = Decimal("88.50")
    grade = s.Grade.COMPETENT
    evaluators = "居民代表 15 人"


class PartyCheckupFactory(InCommunity):
    class Meta:
        model = s.PartyCheckup

    _parent = "worker"

    worker = same_community(WorkerFactory)
    date = factory.LazyFunction(lambda: dt.date(dt.date.today().year - 1, 6, 1))
    result = "对照党章党规逐项检查，合格"


class HandoverFactory(InCommunity):
    class Meta:
        model = s.Handover

    _parent = "worker"

    worker = same_community(WorkerFactory)
    deadline = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=10))
    supervisors = "镇纪委、镇党政办"
    finance_done = True
    archives_done = True
    seals_done = True
    outcome = s.HandoverOutcome.PENDING
