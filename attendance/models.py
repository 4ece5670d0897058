"""Attendance (考勤, 003 十三): the working-day calendar's local exceptions, office hours, the
daily register (ATT-1), leave (ATT-2), criticisms and cases (ATT-3/ATT-4) and the monthly
sheet (ATT-5)."""

from django.db import models
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
