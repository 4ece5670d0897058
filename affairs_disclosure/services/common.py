"""What the disclosure services share: who may (street roles, scope), dates, the public page
version and the per-community lock."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _

from affairs_disclosure.models import DisclosureItem
from affairs_disclosure.public_cache import pages_changed
from affairs_disclosure.sanitize import sanitize_html
from core.scoping import can, scope_for

PERM = "affairs_disclosure.%s_disclosureitem"


def perm(action: str) -> str:
    return PERM % action


def street_perm(user, permission: str, street_id: int | None) -> bool:
    """Whether `user` holds `permission` through a *street* role of that street, never
    through a community role: FIN-7 stamping is the street supervision committee's."""
    scope = scope_for(user)
    if scope.everything:
        return True
    return street_id is not None and permission in scope.perms_by_street.get(street_id, frozenset())


def require_in_scope(user, community_id: int | None) -> None:
    """Another community's rows do not exist for the user (404, never 403)."""
    scope = scope_for(user)
    if scope.everything:
        return
    if community_id is None or community_id not in scope.community_ids:
        raise Http404


def require_perm(user, permission: str, obj, message=None) -> None:
    require_in_scope(user, _community_id(obj))
    if not can(user, permission, obj):
        raise PermissionDenied(message or _("您没有执行此操作的权限"))


def _community_id(obj):
    if isinstance(obj, DisclosureItem):
        return obj.community_id
    return getattr(obj, "community_id", None)


def check_not_future(day: dt.date | None, field: str) -> dt.date:
    today = timezone.localdate()
    if day is None:
        return today
    if day > today:
        raise ValidationError({field: _("日期不能晚于今天")})
    return day


def lock_community(community_id: int) -> None:
    """One generator of a community's drafts at a time (two clicks on "generate" make one
    draft): a transaction-level advisory lock that touches no row other apps use."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7, community_id])


def bump_public_version(community_id: int) -> None:
    """The community's public pages changed (a publication, archiving, a published reply): a
    new page version, so readers see the change as soon as the transaction commits
    (affairs_disclosure.public_cache)."""
    pages_changed(community_id)


def body_html(text: str) -> str:
    """The stored body: plain text (as typed on a phone) becomes paragraphs; HTML is kept
    only as far as the allow-list of affairs_disclosure.sanitize permits."""
    text = (text or "").strip()
    if text and "<" not in text:
        text = linebreaks(text, autoescape=True)
    return sanitize_html(text)
