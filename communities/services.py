"""Every write to the registry goes through here (admin, portal, API, import)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import (
    AccessCheck,
    AccessRecord,
    AccessStatus,
    CheckResult,
    Membership,
    Organisation,
    OrgKind,
)
from core.errors import RuleViolation
from core.services import instance_delete, instance_save


def _seat_cap(organisation: Organisation):
    """ORG-2 / ORG-3 upper bound on current seats, from the community's profile."""
    profile = organisation.community.profile
    if organisation.kind == OrgKind.PARTY:
        return "ORG-2", profile.party_committee_max, _("党组织委员会")
    if organisation.kind == OrgKind.COMMITTEE:
        return "ORG-3", profile.committee_max, _("居委会")
    return None, None, None


def check_seat_cap(membership: Membership, *, lock: bool = False) -> None:
    """ORG-2 (001 第八条) and ORG-3 (001 第十条): a party committee or residents' committee
    may not grow past the profile's maximum of current members. With lock=True the
    organisation row is locked first, so two people adding the last seat at once cannot
    both succeed."""
    if not membership.organisation_id:
        return
    organisations = Organisation.objects.select_related("community__profile")
    if lock:
        organisations = organisations.select_for_update(of=("self",))
    organisation = organisations.get(pk=membership.organisation_id)
    membership.community_id = organisation.community_id
    rule_id, cap, label = _seat_cap(organisation)
    if cap is None or membership.ended_on is not None:
        return
    current = (
        Membership.objects.filter(organisation=organisation, ended_on__isnull=True)
        .exclude(pk=membership.pk)
        .count()
    )
    if current + 1 > cap:
        raise RuleViolation(
            rule_id,
            _("%(org)s最多 %(cap)s 人，现有在任 %(n)s 人，不能再增加")
            % {"org": label, "cap": cap, "n": current},
            field="organisation",
        )


@transaction.atomic
def membership_save(*, user, membership: Membership) -> Membership:
    """Save a seat under the ORG-2/ORG-3 cap (checked under a row lock)."""
    check_seat_cap(membership, lock=True)
    return instance_save(user=user, instance=membership)


def registry_validate(*, user, instance) -> None:
    """The rule checks of registry_save without writing: lets a form show the error next
    to the field before anything is saved (registry_save checks again under lock)."""
    if isinstance(instance, Membership):
        check_seat_cap(instance)


@transaction.atomic
def access_check_save(*, user, check: AccessCheck) -> AccessCheck:
    """ORG-11 (002 三(三)): a department that fails its rectification loses its access."""
    check = instance_save(user=user, instance=check)
    if check.result == CheckResult.FAIL:
        access = AccessRecord.objects.select_for_update().get(pk=check.access_id)
        if access.status != AccessStatus.REVOKED:
            access.status = AccessStatus.REVOKED
            access.revoked_on = timezone.localdate()
            access.revoke_reason = _("%(year)s 年度检查整改不到位，撤销准入（ORG-11）") % {
                "year": check.year
            }
            access.full_clean()
            access.save()
    elif check.result == CheckResult.RECTIFY:
        AccessRecord.objects.filter(pk=check.access_id, status=AccessStatus.ACTIVE).update(
            status=AccessStatus.RECTIFYING
        )
    return check


def registry_save(*, user, instance):
    """Save any registry row; seats go through membership_save for ORG-2/ORG-3."""
    if isinstance(instance, Membership):
        return membership_save(user=user, membership=instance)
    if isinstance(instance, AccessCheck):
        return access_check_save(user=user, check=instance)
    return instance_save(user=user, instance=instance)


def registry_delete(*, user, instance):
    return instance_delete(user=user, instance=instance)
