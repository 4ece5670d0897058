"""Attendance (考勤, 003 十三): the working-day calendar's local exceptions, office hours, the
daily register (ATT-1), leave (ATT-2), criticisms and cases (ATT-3/ATT-4) and the monthly
sheet (ATT-5)."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import TimeStampedModel


@audited
class CalendarException(TimeStampedModel):
    """A street's own exception to the national calendar (RULES ATT: working days follow
    China's statutory holidays and make-up working days): an extra holiday (e.g. a local
    festival, a day off ordered by the district) or an extra working day. It overrides the
    `chinesecalendar` package for that street, also in years the package has no data for.

    Street data, not one community's: reads are filtered by street and writes checked
    against the street roles in attendance.services (core.scoping knows community rows)."""

    scope_path = None

    street = models.ForeignKey(
        "communities.Street",
        on_delete=models.CASCADE,
        related_name="calendar_exceptions",
        verbose_name=_("街道"),
    )
    date = models.DateField(_("日期"))
    is_working_day = models.BooleanField(
        _("工作日"),
        help_text=_("勾选：当天上班（调休上班）；不勾选：当天放假（本地增加的假日）"),
    )
    reason = models.CharField(_("原因"), max_length=200)

    class Meta:
        verbose_name = _("本地工作日调整")
        verbose_name_plural = _("本地工作日调整")
        ordering = ["street_id", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "date"],
                name="att_calendar_one_per_street_day",
                violation_error_message=_("该街道这一天已有调整"),
            ),
        ]

    def __str__(self):
        kind = _("上班") if self.is_working_day else _("放假")
        return f"{self.street} {self.date} {kind}"


# ATT-1: the office hours the register is measured against. The seeds name no hours; a
# community without a row uses these (a system default, like 21.75 pay days).
DEFAULT_START = dt.time(8, 30)
DEFAULT_MIDDAY = dt.time(12, 0)
DEFAULT_END = dt.time(17, 0)


@audited
class OfficeHours(TimeStampedModel):
    """A community's office hours (办公时间): lateness and early departure (ATT-3) are
    measured against them. `midday` splits the day for half-day leave: a morning off moves
    the expected arrival to midday, an afternoon off the expected departure."""

    community = models.OneToOneField(
        "communities.Community",
        on_delete=models.CASCADE,
        related_name="attendance_hours",
        verbose_name=_("社区"),
    )
    start = models.TimeField(_("上班时间"), default=DEFAULT_START)
    midday = models.TimeField(
        _("上下午分界"), default=DEFAULT_MIDDAY, help_text=_("ATT-2：半天假以此为界")
    )
    end = models.TimeField(_("下班时间"), default=DEFAULT_END)

    class Meta:
        verbose_name = _("考勤作息时间")
        verbose_name_plural = _("考勤作息时间")
        ordering = ["community_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("midday")) & Q(midday__lt=F("end")),
                name="att_hours_ordered",
                violation_error_message=_("[ATT-1] 应满足：上班时间 < 上下午分界 < 下班时间"),
            ),
        ]

    def __str__(self):
        return f"{self.community} {self.start:%H:%M}—{self.end:%H:%M}"


@audited
class AttendanceRecord(TimeStampedModel):
    """One worker's day in the attendance register (考勤登记簿, ATT-1, 003 十三(一)). The
    worker signs in and out on the portal (the server's clock); the designated clerk
    corrects an entry with a reason (pghistory keeps every version). The office hours in
    force are fixed on the row when it is made, so a later change of hours does not turn a
    past day late. Lateness, early departure and absence are derived (attendance.rules)."""

    parent_field = "worker"

    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="attendance_records",
        verbose_name=_("社区"),
    )
    worker = models.ForeignKey(
        "staffing.Worker",
        on_delete=models.PROTECT,
        related_name="attendance_records",
        verbose_name=_("社区工作者"),
    )
    date = models.DateField(_("日期"))
    sign_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    sign_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    expected_start = models.TimeField(_("应到时间"), default=DEFAULT_START)
    midday = models.TimeField(_("上下午分界"), default=DEFAULT_MIDDAY)
    expected_end = models.TimeField(_("应退时间"), default=DEFAULT_END)
    corrected_at = models.DateTimeField(_("更正时间"), null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("更正人"),
    )
    correction_reason = models.CharField(
        _("更正原因"), max_length=200, blank=True, help_text=_("ATT-1：考勤员更正须写明原因")
    )

    class Meta:
        verbose_name = _("考勤登记")
        verbose_name_plural = _("考勤登记")
        ordering = ["-date", "community_id", "worker_id"]
        indexes = [models.Index(fields=["community", "date"], name="att_record_community_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "date"],
                name="att_record_one_per_worker_day",
                violation_error_message=_("[ATT-1] 该工作人员当天已有考勤记录"),
            ),
            models.CheckConstraint(
                condition=Q(sign_out_at__isnull=True)
                | (Q(sign_in_at__isnull=False) & Q(sign_out_at__gte=F("sign_in_at"))),
                name="att_record_out_after_in",
                violation_error_message=_("[ATT-1] 签退时间须晚于签到时间"),
            ),
            models.CheckConstraint(
                condition=Q(corrected_at__isnull=True) | ~Q(correction_reason=""),
                name="att_record_correction_has_reason",
                violation_error_message=_("[ATT-1] 更正考勤须写明原因"),
            ),
        ]

    def __str__(self):
        return f"{self.worker} {self.date}"
