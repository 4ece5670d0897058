"""Every write of attendance (CONVENTIONS: services): permission, validation, the rule, the
save and the audit event (pghistory triggers) in one transaction."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from attendance.models import CalendarException
from core.scoping import scope_for


def street_perm(user, perm: str, street_id: int | None) -> bool:
    """Whether `user` holds `perm` through a street role of that street (street data such as
    the calendar exceptions, and the street's steps of ATT-2 and ATT-3/4)."""
    scope = scope_for(user)
    if scope.everything:
        return True
    return perm in scope.perms_by_street.get(street_id, frozenset())


def require_street(user, perm: str, street_id: int | None) -> None:
    """404 for a street outside the user's scope, 403 without the street role's grant."""
    scope = scope_for(user)
    if scope.everything:
        return
    if street_id is None or street_id not in scope.street_ids:
        raise Http404
    if not street_perm(user, perm, street_id):
        raise PermissionDenied(_("您没有执行此操作的权限"))


# --- the working-day calendar ---------------------------------------------------------------


@transaction.atomic
def calendar_exception_save(*, user, instance: CalendarException) -> CalendarException:
    """A street's extra holiday or extra working day: street roles of that street only (a row
    moved to another street needs the grant there too)."""
    action = "change" if instance.pk else "add"
    if instance.pk:
        old = (
            CalendarException.objects.filter(pk=instance.pk)
            .values_list("street_id", flat=True)
            .first()
        )
        if old is not None and old != instance.street_id:
            require_street(user, "attendance.change_calendarexception", old)
    require_street(user, f"attendance.{action}_calendarexception", instance.street_id)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def calendar_exception_delete(*, user, instance: CalendarException) -> None:
    require_street(user, "attendance.delete_calendarexception", instance.street_id)
    instance.delete()


def calendar_exception_validate(*, user, instance) -> None:
    """Nothing beyond the model's own validation; the grant is checked on save."""
