"""Every write of meetings (CONVENTIONS: services): permission, validation, the rule, the save
and the audit event in one transaction. Transitions that two people can race (opening a vote,
a vote, closing) lock the sitting or the motion row first and re-read its state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, Membership, OrgKind, Position
from core.errors import RuleViolation
from core.scoping import can
from core.services import instance_save, require
from meetings import rules
from meetings.models import (
    AssemblyQuota,
    AttendanceStatus,
    ChronicleEntry,
    DisciplineRecord,
    Meeting,
    MeetingAttendance,
    Motion,
    MotionKind,
    MotionState,
    Sitting,
    SittingBasis,
    SittingKind,
    SittingSeat,
    SittingState,
    Vote,
    VoteChoice,
)
from staffing.models import Worker

# --- the roster ---------------------------------------------------------------------------------


def assembly_roster(community, day: dt.date | None = None):
    """MEET-1: the representatives seated on `day` (today by default): the current
    REPRESENTATIVE seats of the community's assembly organisation (ORG-1)."""
    day = day or timezone.localdate()
    from django.db.models import Q

    return (
        Membership.objects.filter(
            community_id=community.pk,
            organisation__kind=OrgKind.ASSEMBLY,
            position=Position.REPRESENTATIVE,
        )
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=day))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))
        .order_by("person_name", "pk")
    )


def total_now(community, seated: int) -> tuple[int, int | None, bool]:
    """(N, quota, count_vacant) under the community's profile now."""
    profile = community.profile
    quota = AssemblyQuota.objects.filter(community_id=community.pk).values_list("seats", flat=True)
    quota = quota.first()
    count_vacant = bool(profile.assembly_count_vacant_seats)
    return rules.representatives_total(seated, quota, count_vacant), quota, count_vacant


# --- convening ----------------------------------------------------------------------------------


@transaction.atomic
def sitting_convene(
    *,
    user,
    community: Community,
    kind: str,
    title: str,
    scheduled_at: dt.datetime,
    place: str = "",
    basis: str = "",
    decision_note: str = "",
    proposer_ids: Iterable[int] = (),
) -> Sitting:
    """MEET-1 (003 三(三)): the committee convenes a sitting. The roster (the assembly's
    current representative seats) and N are fixed on it now, with the profile in force.
    An extraordinary sitting needs the party organisation and committee's decision (its
    record) or a proposal signed by at least one fifth of the representatives (5p ≥ N)."""
    community = Community.objects.select_related("profile").get(pk=community.pk)
    require(user, "meetings.add_sitting", Sitting(community=community))
    roster = list(assembly_roster(community, timezone.localdate(scheduled_at)))
    if not roster:
        raise RuleViolation("MEET-1", _("本社区居民代表会议尚未登记居民代表，不能召集"))
    total, quota, count_vacant = total_now(community, len(roster))
    basis = basis or ""
    proposer_ids = {int(pk) for pk in proposer_ids}
    if kind == SittingKind.REGULAR:
        basis, proposer_ids = "", set()
    elif basis == SittingBasis.PARTY_COMMITTEE:
        if not (decision_note or "").strip():
            raise RuleViolation(
                "MEET-1",
                _("请写明社区党组织和居委会决定召开的会议及日期"),
                field="decision_note",
            )
        proposer_ids = set()
    elif basis == SittingBasis.PROPOSAL:
        seated = {m.pk for m in roster}
        strangers = proposer_ids - seated
        if strangers:
            raise RuleViolation("MEET-1", _("提议人须为本社区现任居民代表"), field="proposer_ids")
        if not rules.proposal_sufficient(len(proposer_ids), total):
            raise RuleViolation(
                "MEET-1",
                _("提议代表 %(p)s 人，不足居民代表总数 %(n)s 人的五分之一（至少 %(need)s 人）")
                % {"p": len(proposer_ids), "n": total, "need": max(1, -(-total // 5))},
                field="proposer_ids",
            )
    else:
        raise RuleViolation("MEET-1", _("临时会议须写明召开依据"), field="basis")
    sitting = Sitting(
        community=community,
        kind=kind,
        basis=basis,
        decision_note=(decision_note or "").strip() if basis else "",
        title=(title or "").strip(),
        scheduled_at=scheduled_at,
        place=place,
        representatives_total=total,
        count_vacant_seats=count_vacant,
        quota_seats=quota if count_vacant else None,
        proposers=len(proposer_ids),
        profile=community.profile,
        convened_by=user,
    )
    sitting.full_clean(exclude=["community", "profile", "convened_by"])
    sitting.save()
    SittingSeat.objects.bulk_create(
        [
            SittingSeat(
                sitting=sitting, membership=m, name=m.person_name, proposer=m.pk in proposer_ids
            )
            for m in roster
        ]
    )
    return sitting


def _locked_sitting(user, sitting, perm="meetings.change_sitting") -> Sitting:
    current = Sitting.objects.filter(pk=sitting.pk).first()
    if current is None:
        raise Http404
    require(user, perm, current)
    return Sitting.objects.select_for_update(of=("self",)).get(pk=sitting.pk)


def _seat_of_user(sitting, user) -> SittingSeat | None:
    return (
        SittingSeat.objects.filter(sitting=sitting, membership__user_id=user.pk)
        .select_related("membership")
        .first()
    )


@transaction.atomic
def seat_confirm(*, user, seat: SittingSeat, confirmed: bool = True) -> SittingSeat:
    """Before the sitting: a representative confirms (or withdraws) attendance, by themselves
    or through the committee (meetings.change_sittingseat). Counted by the quorum check."""
    current = SittingSeat.objects.select_related("sitting", "membership").filter(pk=seat.pk).first()
    if current is None:
        raise Http404
    if current.membership.user_id != user.pk:
        require(user, "meetings.change_sittingseat", current)
    sitting = Sitting.objects.select_for_update(of=("self",)).get(pk=current.sitting_id)
    if sitting.state != SittingState.CONVENED:
        raise RuleViolation("MEET-1", _("会议已开始或已结束，不能再确认出席"))
    SittingSeat.objects.filter(pk=current.pk).update(confirmed=confirmed)
    current.confirmed = confirmed
    return current


@transaction.atomic
def sitting_open(*, user, sitting: Sitting) -> Sitting:
    """The sitting begins: check-in opens."""
    sitting = _locked_sitting(user, sitting)
    if sitting.state != SittingState.CONVENED:
        raise RuleViolation(
            "MEET-1", _("会议当前为“%(state)s”，不能开会") % {"state": sitting.get_state_display()}
        )
    sitting.state, sitting.opened_at = SittingState.OPEN, timezone.now()
    sitting.save(update_fields=["state", "opened_at", "updated_at"])
    return sitting


@transaction.atomic
def sitting_cancel(*, user, sitting: Sitting) -> Sitting:
    sitting = _locked_sitting(user, sitting)
    if sitting.state != SittingState.CONVENED:
        raise RuleViolation("MEET-1", _("只有尚未开始的会议可以取消"))
    sitting.state = SittingState.CANCELLED
    sitting.save(update_fields=["state", "updated_at"])
    return sitting


@transaction.atomic
def seat_check_in(*, user, seat: SittingSeat) -> SittingSeat:
    """MEET-1: a representative present at the sitting is checked in, by the committee or by
    themselves; once. The quorum is computed live from the check-ins."""
    current = SittingSeat.objects.select_related("membership").filter(pk=seat.pk).first()
    if current is None:
        raise Http404
    if current.membership.user_id != user.pk:
        require(user, "meetings.change_sittingseat", current)
    sitting = Sitting.objects.select_for_update(of=("self",)).get(pk=current.sitting_id)
    if sitting.state != SittingState.OPEN:
        raise RuleViolation("MEET-1", _("会议未在进行中，不能签到"))
    updated = SittingSeat.objects.filter(pk=current.pk, checked_in_at__isnull=True).update(
        checked_in_at=timezone.now()
    )
    if not updated:
        raise RuleViolation("MEET-1", _("%(name)s 已签到") % {"name": current.name})
    current.refresh_from_db(fields=["checked_in_at"])
    return current


def present_count(sitting) -> int:
    return SittingSeat.objects.filter(sitting_id=sitting.pk, checked_in_at__isnull=False).count()


# --- motions and votes ----------------------------------------------------------------------------


@transaction.atomic
def motion_add(
    *, user, sitting: Sitting, title: str, text: str = "", kind: str = MotionKind.RESOLUTION
) -> Motion:
    """MEET-2: a matter put to the sitting, before or during it."""
    sitting = _locked_sitting(user, sitting, "meetings.add_motion")
    if sitting.state not in (SittingState.CONVENED, SittingState.OPEN):
        raise RuleViolation("MEET-1", _("会议已结束，不能再增加表决事项"))
    number = (sitting.motions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    motion = Motion(
        sitting=sitting, number=number, title=(title or "").strip(), text=text, kind=kind
    )
    motion.full_clean(exclude=["sitting"])
    motion.save()
    return motion


def _locked_motion(user, motion, perm) -> Motion:
    current = Motion.objects.select_related("sitting").filter(pk=motion.pk).first()
    if current is None:
        raise Http404
    require(user, perm, current)
    return (
        Motion.objects.select_for_update(of=("self",)).select_related("sitting").get(pk=motion.pk)
    )


@transaction.atomic
def motion_open_voting(*, user, motion: Motion) -> Motion:
    """MEET-1: voting opens only at a sitting in progress with a quorum (2a > N, N fixed on
    the sitting); the number present (a) is fixed on the motion now, so later check-ins or
    a profile change do not change how it counts."""
    motion = _locked_motion(user, motion, "meetings.change_motion")
    sitting = Sitting.objects.select_for_update(of=("self",)).get(pk=motion.sitting_id)
    if sitting.state != SittingState.OPEN:
        raise RuleViolation("MEET-1", _("会议未在进行中，不能表决"))
    if motion.state != MotionState.DRAFT:
        raise RuleViolation("MEET-1", _("该事项已开始表决"))
    if sitting.motions.filter(state=MotionState.VOTING).exists():
        raise RuleViolation("MEET-1", _("请先结束正在表决的事项"))
    present = present_count(sitting)
    total = sitting.representatives_total
    if not rules.has_quorum(present, total):
        raise RuleViolation(
            "MEET-1",
            _(
                "出席代表 %(a)s 人，未超过居民代表总数 %(n)s 人的半数（至少需 %(need)s 人），"
                "会议无效，不能表决"
            )
            % {"a": present, "n": total, "need": rules.quorum_needed(total)},
        )
    motion.state, motion.opened_at, motion.present_at_open = (
        MotionState.VOTING,
        timezone.now(),
        present,
    )
    motion.save()
    return motion


@transaction.atomic
def vote_cast(*, user, motion: Motion, choice: str, seat: SittingSeat | None = None) -> Vote:
    """MEET-1: one vote of a representative present when voting opened, once, while the
    motion is being voted. A representative votes as themselves (`seat` omitted: their seat
    is found from their account); the committee's tally clerk (meetings.add_vote) records a
    named representative's vote (`seat` given). Anyone else, a representative of no seat of
    this sitting, a latecomer, a second vote or a vote after closing: refused, nothing
    written."""
    current = Motion.objects.select_related("sitting").filter(pk=motion.pk).first()
    if current is None:
        raise Http404
    if seat is None:
        seat = _seat_of_user(current.sitting, user)
        if seat is None:
            raise RuleViolation("MEET-1", _("您不是本次会议的居民代表，不能表决"))
    else:
        seat = SittingSeat.objects.select_related("membership").filter(pk=seat.pk).first()
        if seat is None or seat.sitting_id != current.sitting_id:
            raise RuleViolation("MEET-1", _("该人员不是本次会议的居民代表，不能表决"))
        if seat.membership.user_id != user.pk:
            if _seat_of_user(current.sitting, user) is not None and not can(
                user, "meetings.add_vote", current
            ):
                raise PermissionDenied(_("代表只能本人表决，不能代他人表决"))
            require(user, "meetings.add_vote", current)
    motion = Motion.objects.select_for_update(of=("self",)).get(pk=current.pk)
    if motion.state != MotionState.VOTING:
        raise RuleViolation(
            "MEET-1",
            _("该事项%(state)s，不能投票") % {"state": motion.get_state_display()},
        )
    if choice not in VoteChoice.values:
        raise RuleViolation("MEET-1", _("无效的表决意见"), field="choice")
    if seat.checked_in_at is None or seat.checked_in_at > motion.opened_at:
        raise RuleViolation(
            "MEET-1", _("%(name)s 未在开始表决前签到，不能表决") % {"name": seat.name}
        )
    try:
        with transaction.atomic():
            vote = Vote.objects.create(motion=motion, seat=seat, choice=choice, recorded_by=user)
    except IntegrityError:
        raise RuleViolation(
            "MEET-1", _("%(name)s 已表决，不能重复投票") % {"name": seat.name}
        ) from None
    return vote


@transaction.atomic
def motion_close(*, user, motion: Motion) -> Motion:
    """MEET-1: voting ends; the tally and the result (3y > 2a, a fixed when voting opened)
    are stored and never change again (database trigger)."""
    motion = _locked_motion(user, motion, "meetings.change_motion")
    if motion.state != MotionState.VOTING:
        raise RuleViolation("MEET-1", _("该事项不在表决中"))
    counts = dict.fromkeys(VoteChoice.values, 0)
    for choice in motion.votes.values_list("choice", flat=True):
        counts[choice] += 1
    motion.votes_for = counts[VoteChoice.FOR]
    motion.votes_against = counts[VoteChoice.AGAINST]
    motion.votes_abstain = counts[VoteChoice.ABSTAIN]
    motion.passed = rules.passes(motion.votes_for, motion.present_at_open)
    motion.state, motion.closed_at = MotionState.CLOSED, timezone.now()
    motion.save()
    return motion


@transaction.atomic
def sitting_close(*, user, sitting: Sitting, recorder: Worker, minutes: str) -> Sitting:
    """MEET-1/MEET-4: the sitting ends with its minutes kept by a named recorder (a worker of
    the community); every motion voted on must be closed; motions never voted stay drafts."""
    sitting = _locked_sitting(user, sitting)
    if sitting.state != SittingState.OPEN:
        raise RuleViolation("MEET-1", _("会议未在进行中"))
    if sitting.motions.filter(state=MotionState.VOTING).exists():
        raise RuleViolation("MEET-1", _("尚有事项正在表决，请先结束表决"))
    if recorder is None or recorder.community_id != sitting.community_id:
        raise RuleViolation("MEET-4", _("请指定本社区的记录人"), field="recorder")
    if not (minutes or "").strip():
        raise RuleViolation("MEET-4", _("请填写会议记录"), field="minutes")
    sitting.recorder, sitting.minutes = recorder, minutes.strip()
    sitting.state, sitting.closed_at = SittingState.CLOSED, timezone.now()
    sitting.full_clean(exclude=["community", "profile", "convened_by"])
    sitting.save()
    return sitting


# --- MEET-3/4/5: regular meetings -----------------------------------------------------------------


@transaction.atomic
def meeting_record(
    *,
    user,
    community: Community,
    kind: str,
    date: dt.date,
    topic: str,
    recorder: Worker,
    minutes: str,
    attendance: dict[int, str],
    chair: Worker | None = None,
    major_event: str = "",
) -> Meeting:
    """MEET-3/4/5: record a regular meeting with its minutes (a named recorder of the
    community), the attendance of the community's workers, and optionally an entry in the
    大事记. Each unexcused absence becomes a DisciplineRecord counted in that year's
    appraisal: the year's first a reminder, the second a warning, from the third a
    criticism (003 六(四))."""
    meeting = Meeting(
        community=community,
        kind=kind,
        date=date,
        topic=(topic or "").strip(),
        recorder=recorder,
        chair=chair,
        minutes=(minutes or "").strip(),
    )
    require(user, "meetings.add_meeting", meeting)
    if date is None or date > timezone.localdate():
        raise RuleViolation("MEET-3", _("会议日期不能晚于今天"), field="date")
    for person, field in ((recorder, "recorder"), (chair, "chair")):
        if person is not None and person.community_id != community.pk:
            raise RuleViolation("MEET-4", _("须为本社区工作人员"), field=field)
    if not meeting.minutes:
        raise RuleViolation("MEET-4", _("请填写会议记录"), field="minutes")
    workers = {w.pk: w for w in Worker.objects.filter(community=community, pk__in=list(attendance))}
    unknown = set(attendance) - set(workers)
    if unknown:
        raise RuleViolation("MEET-3", _("出席名单中有非本社区工作人员"), field="attendance")
    if any(status not in AttendanceStatus.values for status in attendance.values()):
        raise RuleViolation("MEET-3", _("无效的出席情况"), field="attendance")
    meeting.full_clean(exclude=["community"])
    meeting.save()
    MeetingAttendance.objects.bulk_create(
        [
            MeetingAttendance(meeting=meeting, worker=workers[w], status=s)
            for w, s in attendance.items()
        ]
    )
    absent = sorted(w for w, s in attendance.items() if s == AttendanceStatus.ABSENT)
    if absent:
        year = date.year
        before = dict.fromkeys(absent, 0)
        for worker_id in DisciplineRecord.objects.filter(
            worker_id__in=absent, appraisal_year=year
        ).values_list("worker_id", flat=True):
            before[worker_id] += 1
        DisciplineRecord.objects.bulk_create(
            [
                DisciplineRecord(
                    community=community,
                    worker=workers[w],
                    meeting=meeting,
                    measure=rules.discipline_measure(before[w] + 1),
                    appraisal_year=year,
                )
                for w in absent
            ]
        )
    if (major_event or "").strip():
        ChronicleEntry.objects.create(
            community=community,
            date=date,
            title=major_event.strip()[:200],
            meeting=meeting,
            recorded_by=user,
        )
    return meeting


@transaction.atomic
def chronicle_add(
    *, user, community: Community, date: dt.date, title: str, description: str = "", sitting=None
) -> ChronicleEntry:
    """MEET-4 (大事记): a major activity or piece of work of the community."""
    event = ChronicleEntry(
        community=community,
        date=date,
        title=(title or "").strip(),
        description=description,
        sitting=sitting,
        recorded_by=user,
    )
    require(user, "meetings.add_chronicleentry", event)
    if sitting is not None and sitting.community_id != community.pk:
        raise Http404
    event.full_clean(exclude=["community", "recorded_by"])
    event.save()
    return event


@transaction.atomic
def quota_save(*, user, instance: AssemblyQuota) -> AssemblyQuota:
    return instance_save(user=user, instance=instance)


def may_vote_for_others(user, sitting) -> bool:
    return can(user, "meetings.add_vote", sitting)
