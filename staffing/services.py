"""Every write to staffing goes through here (admin, portal, API, import)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.services import derive_community, instance_delete, instance_save, require
from staffing import rules
from staffing.models import (
    Evaluation,
    PartyCheckup,
    Post,
    PostTerm,
    StaffingReason,
    StudySession,
    TrainingRecord,
    Worker,
)


def _label(post: str) -> str:
    return str(Post(post).label) if post in Post.values else post


def check_post_term(term: PostTerm, worker: Worker) -> None:
    """STAFF-4 and STAFF-8 for one term against the worker's other terms.

    - the same post may not run twice over the same days for one worker (STAFF-4);
    - a post may not overlap in time with an incompatible one (STAFF-8, 003 十四(一)(二));
    every other combination is a cross-appointment (STAFF-9) and allowed.
    """
    if term.starts_on is None or not term.post:
        return
    others = PostTerm.objects.filter(worker_id=worker.pk).exclude(pk=term.pk)
    others = others.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=term.starts_on))
    if term.ends_on is not None:
        others = others.filter(starts_on__lte=term.ends_on)
    overlapping = list(others.values_list("post", "starts_on", "ends_on"))
    for post, starts_on, ends_on in overlapping:
        if post == term.post:
            raise RuleViolation(
                "STAFF-4",
                _("%(name)s 在 %(start)s 起已有%(post)s任期（至 %(end)s），同一职务任期不得重叠")
                % {
                    "name": worker.name,
                    "post": _label(post),
                    "start": starts_on,
                    "end": ends_on or _("今"),
                },
                field="starts_on",
            )
    conflict = rules.conflicting_post(
        [post for post, _s, _e in overlapping], term.post, worker.community.profile
    )
    if conflict is not None:
        raise RuleViolation(
            "STAFF-8",
            _("%(name)s 同期担任%(held)s，不得兼任%(post)s（003 十四(一)(二) 不相容职务分离）")
            % {"name": worker.name, "held": _label(conflict), "post": _label(term.post)},
            field="post",
        )


def _worker_for(term: PostTerm, *, lock: bool) -> Worker:
    workers = Worker.objects.select_related("community__profile")
    if lock:
        # Every term write for one worker is serialised on the worker row, so two
        # concurrent saves cannot both pass the STAFF-4/STAFF-8 checks.
        workers = workers.select_for_update(of=("self",))
    return workers.get(pk=term.worker_id)


@transaction.atomic
def post_term_save(*, user, term: PostTerm) -> PostTerm:
    """Save a term: permission in the worker's community first (another community's worker
    is reported as missing), then field checks, STAFF-4 overlap and STAFF-8 under a lock."""
    if not term.worker_id:
        raise ValidationError({"worker": _("请选择社区工作者")})
    worker = _worker_for(term, lock=True)
    derive_community(term)
    action = "change" if term.pk else "add"
    require(user, f"staffing.{action}_postterm", term)
    term.full_clean()
    check_post_term(term, worker)
    return instance_save(user=user, instance=term)


@transaction.atomic
def worker_save(*, user, worker: Worker) -> Worker:
    """Save a worker. A worker with terms stays in their community: the terms belong to it
    (move a person by ending the terms and registering them in the new community)."""
    if worker.pk:
        old = Worker.objects.select_for_update().filter(pk=worker.pk).values("community_id")
        old = old.first()
        if (
            old
            and old["community_id"] != worker.community_id
            and PostTerm.objects.filter(worker_id=worker.pk).exists()
        ):
            raise ValidationError({"community": _("该社区工作者已有任职记录，不能改到其他社区")})
    return instance_save(user=user, instance=worker)


def check_training(record: TrainingRecord) -> None:
    """STAFF-6 (003 七(一)): a training is recorded after it took place, with its hours."""
    if record.hours is not None and record.hours <= 0:
        raise RuleViolation("STAFF-6", _("培训学时必须大于 0"), field="hours")
    if record.date is not None and record.date > timezone.localdate():
        raise RuleViolation("STAFF-6", _("培训日期不能晚于今天，请在培训结束后登记"), field="date")


def check_evaluation(evaluation: Evaluation) -> None:
    """STAFF-5 (002 四(二)): the year-end evaluation is of full-time workers."""
    if evaluation.year is not None and evaluation.year > timezone.localdate().year:
        raise RuleViolation("STAFF-5", _("年终测评不能登记未来年度"), field="year")
    worker = Worker.objects.only("is_full_time", "name").get(pk=evaluation.worker_id)
    if not worker.is_full_time:
        raise RuleViolation(
            "STAFF-5",
            _("%(name)s 不是专职社区工作者，不参加年终测评（002 四(二)）") % {"name": worker.name},
            field="worker",
        )


WORKER_ROW_CHECKS = {
    TrainingRecord: check_training,
    Evaluation: check_evaluation,
    PartyCheckup: None,
}


@transaction.atomic
def worker_row_save(*, user, instance):
    """Save a row under a worker (training, evaluation, checkup): the community is the
    worker's, permission there is checked before any rule so another community's worker is
    reported as missing, then the rule of the model, then the generic save."""
    if not instance.worker_id:
        raise ValidationError({"worker": _("请选择社区工作者")})
    derive_community(instance)
    action = "change" if instance.pk else "add"
    require(user, f"staffing.{action}_{instance._meta.model_name}", instance)
    check = WORKER_ROW_CHECKS[type(instance)]
    if check is not None:
        check(instance)
    return instance_save(user=user, instance=instance)


def staffing_validate(*, user, instance) -> None:
    """The rule checks of staffing_save without writing (for forms; rechecked under lock)."""
    if isinstance(instance, PostTerm) and instance.worker_id:
        check_post_term(instance, _worker_for(instance, lock=False))
    check = WORKER_ROW_CHECKS.get(type(instance))
    if check is not None and instance.worker_id:
        check(instance)


def staffing_save(*, user, instance):
    if isinstance(instance, PostTerm):
        return post_term_save(user=user, term=instance)
    if isinstance(instance, Worker):
        return worker_save(user=user, worker=instance)
    if type(instance) in WORKER_ROW_CHECKS:
        return worker_row_save(user=user, instance=instance)
    if isinstance(instance, StaffingReason | StudySession):
        return instance_save(user=user, instance=instance)
    raise TypeError(f"not a staffing model: {type(instance).__name__}")


def staffing_delete(*, user, instance):
    return instance_delete(user=user, instance=instance)
