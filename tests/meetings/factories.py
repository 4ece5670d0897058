"""Helpers for meetings tests: an assembly with N representatives, a convened sitting."""

import datetime as dt

from django.utils import timezone

from communities.models import OrgKind, Position
from core.models import Role
from meetings.models import SittingKind
from meetings.services import seat_check_in, sitting_convene, sitting_open
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, user_with_role


def assembly(community, n, *, with_users=False):
    """The community's assembly organisation with n current representatives."""
    from communities.models import Organisation

    org = Organisation.objects.filter(community=community, kind=OrgKind.ASSEMBLY).first()
    org = org or OrganisationFactory(
        community=community, kind=OrgKind.ASSEMBLY, name="居民代表会议"
    )
    return [
        MembershipFactory(
            organisation=org,
            position=Position.REPRESENTATIVE,
            user=UserFactory() if with_users else None,
        )
        for _i in range(n)
    ]


def convened(community, n=None, *, director=None, when=None, **kwargs):
    director = director or user_with_role(Role.COMMITTEE_DIRECTOR, community=community)
    if n is not None:
        assembly(community, n, with_users=kwargs.pop("with_users", False))
    sitting = sitting_convene(
        user=director,
        community=community,
        kind=kwargs.pop("kind", SittingKind.REGULAR),
        title=kwargs.pop("title", "2024年下半年居民代表会议"),
        scheduled_at=when or timezone.now() + dt.timedelta(days=2),
        **kwargs,
    )
    return sitting, director


def in_session(sitting, director, present):
    """Open the sitting and check in the first `present` representatives."""
    sitting = sitting_open(user=director, sitting=sitting)
    seats = list(sitting.seats.order_by("pk"))
    for seat in seats[:present]:
        seat_check_in(user=director, seat=seat)
    return sitting, seats
