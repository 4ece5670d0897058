"""A street with two communities and every disclosure role (tests/affairs_disclosure), plus
a community of another street."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from affairs_disclosure import services
from affairs_disclosure.models import ApprovalSide, Category, Channel, DisclosureItem
from core.models import Role
from tests.factories import CommunityFactory, StreetFactory, user_with_role


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_public_pages():
    """The per-process copies of public pages and versions start empty in every test (ids
    are reused after a rollback)."""
    from affairs_disclosure.public_cache import local_clear

    local_clear()
    yield
    local_clear()


def today():
    return timezone.localdate()


def this_quarter() -> tuple[int, int]:
    day = today()
    return day.year, (day.month - 1) // 3 + 1


def last_quarter() -> tuple[int, int]:
    year, quarter = this_quarter()
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


@dataclass
class Disc:
    street: object
    community: object
    other: object  # a community of the same street
    foreign: object  # a community of another street
    secretary: object
    director: object
    deputy: object
    supervisor: object  # street supervision committee member
    street_admin: object
    other_director: object
    foreign_supervisor: object

    def draft(self, *, category=Category.OTHER, user=None, community=None, **fields):
        year, quarter = this_quarter()
        fields.setdefault("year", year)
        fields.setdefault("quarter", quarter)
        fields.setdefault("title", "测试公开事项")
        fields.setdefault("body", "第一段\n\n第二段")
        fields.setdefault("channels", [Channel.BOARD])
        item = DisclosureItem(community=community or self.community, category=category, **fields)
        return services.item_save(user=user or self.director, instance=item)

    def approved(self, item):
        item = services.item_approve(user=self.secretary, item=item, side=ApprovalSide.PARTY)
        return services.item_approve(user=self.director, item=item, side=ApprovalSide.COMMITTEE)

    def published(self, item=None, **fields):
        item = self.approved(item or self.draft(**fields))
        if item.needs_stamp:
            item = services.item_stamp(user=self.supervisor, item=item)
        return services.item_publish(user=self.director, item=item)


@pytest.fixture
def disc(db):
    street = StreetFactory(name="幸福街道")
    community = CommunityFactory(street=street, name="阳光社区")
    other = CommunityFactory(street=street, name="明月社区")
    foreign = CommunityFactory(name="外街社区")
    return Disc(
        street=street,
        community=community,
        other=other,
        foreign=foreign,
        secretary=user_with_role(Role.PARTY_SECRETARY, community=community),
        director=user_with_role(Role.COMMITTEE_DIRECTOR, community=community),
        deputy=user_with_role(Role.DEPUTY, community=community),
        supervisor=user_with_role(Role.SUPERVISION_MEMBER, street=street),
        street_admin=user_with_role(Role.STREET_ADMIN, street=street),
        other_director=user_with_role(Role.COMMITTEE_DIRECTOR, community=other),
        foreign_supervisor=user_with_role(Role.SUPERVISION_MEMBER, street=foreign.street),
    )


DAY = dt.timedelta(days=1)
