"""STAFF compliance checks (issue #5), registered in core.compliance."""

from collections import defaultdict

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.compliance import Result, register
from staffing import rules
from staffing.models import Post, PostTerm, StaffingReason, Worker


def current_full_time_workers(community) -> int:
    """STAFF-1: the workers who count towards the quota."""
    return Worker.objects.filter(
        community=community, left_on__isnull=True, is_full_time=True
    ).count()


def _current_terms(community, today):
    return PostTerm.objects.filter(community=community, starts_on__lte=today).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )


@register(
    "staff1-quota",
    rule_id="STAFF-1",
    title=gettext_lazy("社区工作者配备人数"),
    citation="000 第十条；002 四(二)",
    params=("households_per_worker_low", "households_per_worker_high", "min_workers"),
)
def quota(community, profile):
    n = current_full_time_workers(community)
    low, high = rules.required_range(community.households, profile)
    values = {"n": n, "h": community.households, "lo": low, "hi": high}
    if n < low:
        return Result.warning(
            _("专职社区工作者 %(n)s 人，按 %(h)s 户原则上应配 %(lo)s—%(hi)s 人，配备不足") % values
        )
    if n > high:
        year = timezone.localdate().year
        if StaffingReason.objects.filter(community=community, year=year).exists():
            return Result.ok(
                _("专职社区工作者 %(n)s 人，超出 %(lo)s—%(hi)s 人，已登记本年度超配说明") % values
            )
        return Result.warning(
            _("专职社区工作者 %(n)s 人，超出原则上 %(lo)s—%(hi)s 人，未登记本年度超配说明") % values
        )
    return Result.ok(_("专职社区工作者 %(n)s 人，在 %(lo)s—%(hi)s 人之间") % values)


@register(
    "staff8-incompatible",
    rule_id="STAFF-8",
    title=gettext_lazy("不相容职务分离"),
    citation="003 十四(一)(二)",
    params=("separate_accountant_cashier",),
)
def incompatible_posts(community, profile):
    """Existing data re-checked: terms saved before a profile change, or by other paths."""
    today = timezone.localdate()
    held = defaultdict(list)
    names = {}
    for worker_id, name, post in _current_terms(community, today).values_list(
        "worker_id", "worker__name", "post"
    ):
        held[worker_id].append(post)
        names[worker_id] = name
    found = []
    for worker_id, posts in held.items():
        for i, post in enumerate(posts):
            conflict = rules.conflicting_post(posts[:i], post, profile)
            if conflict is not None:
                found.append(
                    _("%(name)s 同时担任%(a)s和%(b)s")
                    % {
                        "name": names[worker_id],
                        "a": Post(conflict).label,
                        "b": Post(post).label,
                    }
                )
                break
    if found:
        return Result.violation("；".join(sorted(found)))
    return Result.ok(_("未发现不相容职务兼任"))


@register(
    "staff4-terms-expiring",
    rule_id="STAFF-4",
    title=gettext_lazy("任期即将届满"),
    citation="002 四(二)",
)
def terms_expiring(community, profile):
    today = timezone.localdate()
    rows = (
        _current_terms(community, today)
        .filter(ends_on__lte=today + rules.TERM_EXPIRY_NOTICE_DAYS_DELTA)
        .order_by("ends_on", "worker__name")
        .values_list("worker__name", "post", "ends_on")
    )
    items = [
        _("%(name)s（%(post)s，%(end)s 届满）")
        % {"name": name, "post": Post(post).label, "end": ends_on}
        for name, post, ends_on in rows
    ]
    if items:
        return Result.warning(
            _("%(days)s 天内任期届满，请及时换届或续聘：%(items)s")
            % {"days": rules.TERM_EXPIRY_NOTICE_DAYS, "items": "；".join(items)}
        )
    return Result.ok(_("%(days)s 天内无任期届满") % {"days": rules.TERM_EXPIRY_NOTICE_DAYS})
