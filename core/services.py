"""Writes shared by every app: role grants, the generic scoped save/delete, compliance runs."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from core.models import (
    STREET_ROLES,
    ComplianceFinding,
    RoleAssignment,
    TaskHeartbeat,
)
from core.roles import ADMIN_ROLES
from core.scoping import can, clear_scope_cache, community_id_of, scope_for

User = get_user_model()


def _perm(instance, action: str) -> str:
    meta = instance._meta
    return f"{meta.app_label}.{action}_{meta.model_name}"


def require(user, perm: str, obj=None) -> None:
    """Refuse unless `user` holds `perm` on `obj`'s community. Rows outside the user's
    scope are reported as missing (404), never as forbidden."""
    if obj is not None:
        cid = community_id_of(obj)
        scope = scope_for(user)
        if cid is not None and not scope.everything and cid not in scope.community_ids:
            from django.http import Http404

            raise Http404
    if not can(user, perm, obj):
        raise PermissionDenied(_("您没有执行此操作的权限"))


def derive_community(instance) -> None:
    """A row under a parent (a unit under its building, a seat under its organisation)
    belongs to the parent's community: take it from there, never from the payload."""
    parent_field = getattr(type(instance), "parent_field", "")
    if parent_field and getattr(instance, f"{parent_field}_id", None):
        instance.community_id = getattr(instance, parent_field).community_id


@transaction.atomic
def instance_save(*, user, instance, old_community_id=None):
    """Validate (fields, clean(), constraints) and save one governed row after checking the
    user's permission in its community (and, when moved, in the community it came from)."""
    derive_community(instance)
    action = "change" if instance.pk else "add"
    if instance.pk and old_community_id is None and hasattr(instance, "community_id"):
        old_community_id = (
            type(instance)
            .objects.filter(pk=instance.pk)
            .values_list("community_id", flat=True)
            .first()
        )
    if old_community_id is not None and old_community_id != getattr(instance, "community_id", None):
        from communities.models import Community

        require(user, _perm(instance, "change"), Community(pk=old_community_id))
    require(user, _perm(instance, action), instance)
    instance.full_clean()
    _save_or_explain(instance)
    return instance


def _save_or_explain(instance) -> None:
    """Save; when a concurrent transaction committed a row that now breaks a unique
    constraint (full_clean passed before it committed), report it like full_clean would,
    as a ValidationError with the constraint's message, instead of a server error."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        instance.validate_constraints()  # sees the other transaction's committed row
        raise ValidationError(_("该记录与刚保存的其他记录冲突，请刷新后重试")) from None


@transaction.atomic
def instance_delete(*, user, instance):
    require(user, _perm(instance, "delete"), instance)
    instance.delete()


def _grant_target(assignment: RoleAssignment):
    if assignment.role in STREET_ROLES:
        return "communities.access_street", assignment.street
    return "communities.access_community", assignment.community


@transaction.atomic
def role_assign(*, by, user, role: str, street=None, community=None) -> RoleAssignment:
    """Give `user` a role at a street or in a community: the RoleAssignment row says which
    role; the django-guardian object permission is the access grant scoping reads."""
    assignment = RoleAssignment(user=user, role=role, street=street, community=community)
    if by is not None:
        target = street or community
        if target is None:
            raise ValidationError(_("请指定街道或社区"))
        require(by, "core.add_roleassignment", community or _any_community_of(street))
    assignment.full_clean()
    assignment.save()
    perm, obj = _grant_target(assignment)
    assign_perm(perm, user, obj)
    if role in ADMIN_ROLES and not user.is_staff:
        User.objects.filter(pk=user.pk).update(is_staff=True)
        user.is_staff = True
    clear_scope_cache(user)
    return assignment


def _any_community_of(street):
    from communities.models import Community

    return Community.objects.filter(street=street).first() or Community(pk=-1, street=street)


@transaction.atomic
def role_revoke(*, by, assignment: RoleAssignment) -> None:
    user = assignment.user
    if by is not None:
        target = assignment.community or _any_community_of(assignment.street)
        require(by, "core.delete_roleassignment", target)
    perm, obj = _grant_target(assignment)
    assignment.delete()
    # Another assignment may still need the same grant (two roles in one community).
    still = RoleAssignment.objects.filter(
        user=user,
        **({"street": obj} if perm.endswith("street") else {"community": obj}),
    ).exists()
    if not still:
        remove_perm(perm, user, obj)
    has_admin_role = RoleAssignment.objects.filter(user=user, role__in=list(ADMIN_ROLES)).exists()
    if not has_admin_role and not user.is_superuser:
        User.objects.filter(pk=user.pk).update(is_staff=False)
        user.is_staff = False
    clear_scope_cache(user)


def heartbeat_start(task_name: str) -> None:
    TaskHeartbeat.objects.update_or_create(
        task_name=task_name, defaults={"last_started_at": timezone.now()}
    )


def heartbeat_success(task_name: str) -> None:
    from django.db.models import F

    now = timezone.now()
    updated = TaskHeartbeat.objects.filter(task_name=task_name).update(
        last_success_at=now, runs=F("runs") + 1
    )
    if not updated:
        TaskHeartbeat.objects.create(task_name=task_name, last_success_at=now, runs=1)


def heartbeat_failure(task_name: str, error: str) -> None:
    TaskHeartbeat.objects.update_or_create(
        task_name=task_name,
        defaults={"last_error_at": timezone.now(), "last_error": error[:4000]},
    )


@transaction.atomic
def compliance_run(*, community_ids=None, run_date: dt.date | None = None) -> int:
    """Run every registered check for the given communities (default: all active ones) and
    store one finding per check, community and day. Running it twice the same day updates
    the same rows: idempotent under retries and two beats."""
    from communities.models import Community
    from core.compliance import evaluate

    run_date = run_date or timezone.localdate()
    communities = Community.objects.filter(is_active=True).select_related("profile")
    if community_ids is not None:
        communities = communities.filter(pk__in=community_ids)
    rows = []
    for community in communities:
        for check, result in evaluate(community):
            rows.append(
                ComplianceFinding(
                    community=community,
                    check_code=check.code,
                    rule_id=check.rule_id,
                    run_date=run_date,
                    status=result.status,
                    message=result.message,
                    citation=check.citation,
                    profile=community.profile,
                    params=community.profile.snapshot(check.params),
                )
            )
    ComplianceFinding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["check_code", "community", "run_date"],
        update_fields=["rule_id", "status", "message", "citation", "profile", "params"],
    )
    return len(rows)
