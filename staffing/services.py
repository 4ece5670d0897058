"""Every write to staffing goes through here (admin, portal, API, import)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community
from core.errors import RuleViolation
from core.services import derive_community, instance_delete, instance_save, require
from staffing import rules
from staffing.models import (
    HANDOVER_FINAL,
    Evaluation,
    Handover,
    HandoverOutcome,
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


def check_committee_size(term: PostTerm, worker: Worker, *, lock: bool = False) -> None:
    """ORG-2 (001 第八条) / ORG-3 (001 第十条): a post on the party committee or the
    residents' committee may not make the committee larger than the profile's maximum on
    any day of the term. With lock=True the community row is locked first, so two people
    adding the last seat at once cannot both succeed (terms of different workers)."""
    rule_id = rules.committee_of(term.post)
    if rule_id is None or term.starts_on is None:
        return
    if lock:
        Community.objects.select_for_update().filter(pk=worker.community_id).first()
    posts = rules.PARTY_COMMITTEE_POSTS if rule_id == "ORG-2" else rules.RESIDENTS_COMMITTEE_POSTS
    others = (
        PostTerm.objects.filter(community_id=worker.community_id, post__in=posts)
        .exclude(worker_id=worker.pk)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=term.starts_on))
    )
    if term.ends_on is not None:
        others = others.filter(starts_on__lte=term.ends_on)
    rows = list(others.values_list("worker_id", "starts_on", "ends_on"))
    cap = rules.committee_cap(rule_id, worker.community.profile)
    peak = rules.peak_holders(rows, term.starts_on, term.ends_on)
    if peak + 1 > cap:
        raise RuleViolation(
            rule_id,
            _("%(body)s最多 %(cap)s 人，该任期内已有 %(n)s 人同时在任，不能再增加")
            % {
                "body": _("党组织委员会") if rule_id == "ORG-2" else _("居委会"),
                "cap": cap,
                "n": peak,
            },
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
    _check_reselection_unchanged(term)
    check_post_term(term, worker)
    check_committee_size(term, worker, lock=True)
    return instance_save(user=user, instance=term)


def _check_reselection_unchanged(term: PostTerm) -> None:
    """STAFF-4: the re-selection result is recorded once, by term_reselect, never by an
    ordinary save (admin form, import, API)."""
    old = {"reappointed": None, "reselected_on": None}
    if term.pk:
        old = (
            PostTerm.objects.filter(pk=term.pk).values("reappointed", "reselected_on").first()
            or old
        )
    if (term.reappointed, term.reselected_on) != (old["reappointed"], old["reselected_on"]):
        raise RuleViolation("STAFF-4", _("换届结果只能通过“记录换届结果”登记，不能直接修改"))


@transaction.atomic
def term_reselect(
    *,
    user,
    term: PostTerm,
    reappointed: bool,
    new_term_end: dt.date | None = None,
    decided_on: dt.date,
) -> tuple[PostTerm, PostTerm | None]:
    """STAFF-4 (002 四(二) 届满换届): record the re-selection of a term that has ended or ends
    within the notice window, once. When re-appointed the following term (from the day after
    the end) is saved through post_term_save, so STAFF-4 overlap and STAFF-8 apply to it.
    Returns (term, following term or None)."""
    term = PostTerm.objects.get(pk=term.pk)
    require(user, "staffing.change_postterm", term)  # another community's term: 404
    # The worker row first, as post_term_save does, so the two never wait on each other.
    _worker_for(term, lock=True)
    term = PostTerm.objects.select_for_update().get(pk=term.pk)
    if term.reappointed is not None:
        raise RuleViolation(
            "STAFF-4",
            _("该任期已于 %(day)s 记录换届结果（%(result)s），不得重复登记")
            % {
                "day": term.reselected_on or "",
                "result": _("续任") if term.reappointed else _("不再续任"),
            },
        )
    if decided_on > timezone.localdate():
        raise RuleViolation("STAFF-4", _("换届决定日期不能晚于今天"))
    if not rules.reselection_open(term.ends_on, decided_on):
        raise RuleViolation(
            "STAFF-4",
            _("只有已届满或 %(days)s 天内届满的任期才能登记换届结果（任期届满：%(end)s）")
            % {"days": rules.TERM_EXPIRY_NOTICE_DAYS, "end": term.ends_on or _("未定")},
        )
    following = None
    if reappointed:
        following = PostTerm(
            worker_id=term.worker_id,
            post=term.post,
            starts_on=term.ends_on + dt.timedelta(days=1),
            ends_on=new_term_end,
            selection=term.selection,
        )
        post_term_save(user=user, term=following)
    elif new_term_end is not None:
        raise RuleViolation("STAFF-4", _("不再续任的，不能填写新任期届满日期"))
    term.reappointed = reappointed
    term.reselected_on = decided_on
    instance_save(user=user, instance=term)
    return term, following


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


def check_handover(handover: Handover) -> None:
    """STAFF-7 (000 第十八条): an ordinary save edits a pending handover (deadline,
    supervisors, checklist); the outcome is recorded only by handover_record and is final."""
    old = None
    if handover.pk:
        old = (
            Handover.objects.filter(pk=handover.pk)
            .values("outcome", "completed_on", "bonus_withheld_year")
            .first()
        )
    if old and old["outcome"] in HANDOVER_FINAL:
        raise RuleViolation(
            "STAFF-7",
            _("移交结果已记录为“%(outcome)s”，不得再更改")
            % {"outcome": HandoverOutcome(old["outcome"]).label},
        )
    expected = old or {
        "outcome": HandoverOutcome.PENDING,
        "completed_on": None,
        "bonus_withheld_year": None,
    }
    if any(getattr(handover, field) != value for field, value in expected.items()):
        raise RuleViolation("STAFF-7", _("移交结果只能通过“记录移交结果”登记"))


WORKER_ROW_CHECKS = {
    TrainingRecord: check_training,
    Evaluation: check_evaluation,
    PartyCheckup: None,
    Handover: check_handover,
}

RECORDABLE_OUTCOMES = (HandoverOutcome.COMPLETED, HandoverOutcome.REFUSED, HandoverOutcome.LOST)


@transaction.atomic
def handover_record(*, user, handover: Handover, outcome: str, on: dt.date) -> Handover:
    """STAFF-7 (000 第十八条): record how a departure handover ended, once.

    - completed: finance, archives and seals all handed over; after the deadline the outcome
      is `late` (unexcused delay: criticism);
    - refused: only after the deadline;
    - refused or lost (archives or seals altered, damaged or lost): the year's performance
      bonus is withheld (bonus_withheld_year = the year of `on`).
    """
    handover = Handover.objects.select_for_update().get(pk=handover.pk)
    require(user, "staffing.change_handover", handover)  # another community's: 404
    if handover.outcome in HANDOVER_FINAL:
        raise RuleViolation(
            "STAFF-7",
            _("移交结果已记录为“%(outcome)s”，不得再更改")
            % {"outcome": handover.get_outcome_display()},
        )
    if outcome not in RECORDABLE_OUTCOMES:
        raise RuleViolation("STAFF-7", _("请选择移交完成、拒不移交或档案印章丢失"))
    if on > timezone.localdate():
        raise RuleViolation("STAFF-7", _("登记日期不能晚于今天"))
    if outcome == HandoverOutcome.COMPLETED:
        missing = rules.missing_handover_items(handover)
        if missing:
            raise RuleViolation(
                "STAFF-7",
                _("%(items)s尚未移交，不能登记移交完成") % {"items": "、".join(missing)},
            )
        handover.completed_on = on
    if outcome == HandoverOutcome.REFUSED and on <= handover.deadline:
        raise RuleViolation(
            "STAFF-7",
            _("移交期限（%(deadline)s）未到，不能登记拒不移交") % {"deadline": handover.deadline},
        )
    handover.outcome = rules.handover_outcome(outcome, on, handover.deadline)
    if rules.withholds_bonus(handover.outcome):
        handover.bonus_withheld_year = on.year
    return instance_save(user=user, instance=handover)


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
        worker = _worker_for(instance, lock=False)
        check_post_term(instance, worker)
        check_committee_size(instance, worker)
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
    if isinstance(instance, Handover) and instance.outcome in HANDOVER_FINAL:
        raise RuleViolation("STAFF-7", _("已记录结果的离任移交不得删除"))
    return instance_delete(user=user, instance=instance)
