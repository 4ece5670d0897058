"""Every write to the registry goes through here (admin, portal, API, import)."""

from django.db import transaction
from django.utils.translation import gettext as _

from communities.models import Membership, Organisation, OrgKind
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


@transaction.atomic
def membership_save(*, user, membership: Membership) -> Membership:
    """Save a seat. ORG-2 (001 第八条) and ORG-3 (001 第十条): a party committee or residents'
    committee may not grow past the profile's maximum; the organisation row is locked so
    two people adding the last seat at once cannot both succeed."""
    if membership.organisation_id:
        organisation = (
            Organisation.objects.select_for_update()
            .select_related("community__profile")
            .get(pk=membership.organisation_id)
        )
        membership.community_id = organisation.community_id
        rule_id, cap, label = _seat_cap(organisation)
        if cap is not None and membership.ended_on is None:
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
    return instance_save(user=user, instance=membership)


def registry_save(*, user, instance):
    """Save any registry row; seats go through membership_save for ORG-2/ORG-3."""
    if isinstance(instance, Membership):
        return membership_save(user=user, membership=instance)
    return instance_save(user=user, instance=instance)


def registry_delete(*, user, instance):
    return instance_delete(user=user, instance=instance)
