"""The one function that decides what a user may see (CONVENTIONS: Scoping).

Access grants are django-guardian object permissions: `communities.access_street` on a
Street (street roles: every community of that street) and `communities.access_community`
on a Community (community roles). core.services keeps them in step with RoleAssignment,
which says which role, and so which actions (core.roles), a user has there.

Everything is computed once per request and cached on the user object: a fixed number of
queries whatever the number of communities or rows.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from core.roles import perms_for_role

_CACHE_ATTR = "_shequ_scope"


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    community_ids: frozenset[int] = frozenset()
    street_ids: frozenset[int] = frozenset()
    # community id -> Django permission strings the user holds there
    perms_by_community: dict[int, frozenset[str]] = field(default_factory=dict)
    # permission strings granted anywhere (for the admin's model-level checks)
    all_perms: frozenset[str] = frozenset()
    # street id -> permission strings held through street roles (for new communities)
    perms_by_street: dict[int, frozenset[str]] = field(default_factory=dict)


def _compute(user) -> Scope:
    from guardian.models import UserObjectPermission

    from communities.models import Community, Street
    from core.models import RoleAssignment

    if not user or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)

    street_ct = ContentType.objects.get_for_model(Street)
    community_ct = ContentType.objects.get_for_model(Community)
    grants = UserObjectPermission.objects.filter(user=user).filter(
        Q(content_type=street_ct, permission__codename="access_street")
        | Q(content_type=community_ct, permission__codename="access_community")
    )
    street_ids, direct_ids = set(), set()
    for ct_id, object_pk in grants.values_list("content_type_id", "object_pk"):
        (street_ids if ct_id == street_ct.id else direct_ids).add(int(object_pk))

    communities = dict(
        Community.objects.filter(Q(pk__in=direct_ids) | Q(street_id__in=street_ids)).values_list(
            "id", "street_id"
        )
    )
    perms_by_community: dict[int, set[str]] = {cid: set() for cid in communities}
    all_perms: set[str] = set()
    perms_by_street: dict[int, set[str]] = {}
    for role, street_id, community_id in RoleAssignment.objects.filter(user=user).values_list(
        "role", "street_id", "community_id"
    ):
        granted = perms_for_role(role)
        # A role counts only where guardian also grants access: the grant is the gate.
        if street_id is not None and street_id in street_ids:
            targets = [cid for cid, sid in communities.items() if sid == street_id]
            perms_by_street.setdefault(street_id, set()).update(granted)
        elif community_id is not None and community_id in direct_ids:
            targets = [community_id]
        else:
            continue
        all_perms |= granted
        for cid in targets:
            perms_by_community[cid] |= granted
    return Scope(
        community_ids=frozenset(communities),
        street_ids=frozenset(street_ids | set(communities.values())),
        perms_by_community={k: frozenset(v) for k, v in perms_by_community.items()},
        all_perms=frozenset(all_perms),
        perms_by_street={k: frozenset(v) for k, v in perms_by_street.items()},
    )


def scope_for(user) -> Scope:
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = _compute(user)
        if user is not None and getattr(user, "is_authenticated", False):
            setattr(user, _CACHE_ATTR, cached)
    return cached


def clear_scope_cache(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    for attr in ("_perm_cache", "_user_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


def scope_path(model) -> str:
    """How a model reaches its community: its `scope_path` attribute, else `community`."""
    return getattr(model, "scope_path", "community")


def scoped(queryset: QuerySet, user) -> QuerySet:
    """Only the rows of `queryset` that `user` may see. Every selector, admin
    get_queryset, API viewset and export goes through here."""
    scope = scope_for(user)
    if scope.everything:
        return queryset
    path = scope_path(queryset.model)
    if path is None:  # not community data (e.g. policy profiles): visible to any staff
        return queryset
    if path == "street":
        return queryset.filter(pk__in=scope.street_ids)
    if path == "self":
        return queryset.filter(pk__in=scope.community_ids)
    return queryset.filter(**{f"{path}__in": scope.community_ids})


def community_id_of(obj) -> int | None:
    """The community an object belongs to (None for street-level or global objects)."""
    path = scope_path(type(obj))
    if path == "self":
        return obj.pk
    if path in (None, "street"):
        return None
    *hops, last = path.split("__")
    current = obj
    for hop in hops:  # e.g. "organisation__community": follow organisation first
        current = getattr(current, hop)
        if current is None:
            return None
    return getattr(current, f"{last}_id")


def can(user, perm: str, obj=None) -> bool:
    """Whether `user` holds `perm` ("app.action_model") for `obj` (or anywhere)."""
    scope = scope_for(user)
    if scope.everything:
        return True
    if obj is None:
        return perm in scope.all_perms
    path = scope_path(type(obj))
    if path is None:
        return perm in scope.all_perms
    if path == "street":
        if obj.pk not in scope.street_ids:
            return False
        return any(
            perm in perms
            for cid, perms in scope.perms_by_community.items()
            if cid in scope.community_ids
        )
    if path == "self" and obj.pk is None:
        # A community being created: decided by the street roles of its street.
        return perm in scope.perms_by_street.get(obj.street_id, frozenset())
    cid = community_id_of(obj)
    return cid is not None and perm in scope.perms_by_community.get(cid, frozenset())
