"""The cache of the residents' community pages (issue #7: fast on a cheap phone, a newly
published item shows at once).

Each community has a *version* in the shared cache (Redis in production): a random token,
replaced whenever something on its public page changes — a publication, archiving or
correction (affairs_disclosure.services), a published reply, or a change of the community,
its street, committee, members or sub-committees (signals below). A page is cached under
(community, version, language); a request reads the version and then the page, so a new
version means a new page at once and an old page is never read again.

Why a random token and not a counter: a page rendered under a version was rendered from data
read after that version was set, and a token is never used twice, so a page can only be stale
if the version was not replaced after a commit. The token is replaced twice: at once (so a
request in the same transaction, or a test, sees the change) and again after the commit (so a
page rendered between the first replacement and the commit, from the not yet committed data,
is never read). If replacing it ever failed, the page would still expire after
PAGE_SECONDS; bulk updates made around the models' save() are covered by that expiry only.

A hit costs a dictionary lookup for the page (a bounded local copy per process, safe because
its key contains the version) and, at most once every VERSION_MEMO_SECONDS per community and
process, one cache read for the version: no database query. The process that makes a change
sees the new version at once; other web processes within VERSION_MEMO_SECONDS (one second by
default; settings.DISCLOSURE_VERSION_MEMO_SECONDS = 0 reads the version on every request —
one Redis round trip, which on a loaded two-core machine costs more than the rest of the
request). The page is cached whole with a placeholder for the visitor's CSRF token (the language
form of the base template), replaced per request."""

import time
import uuid
from collections import OrderedDict
from threading import Lock

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

PAGE_SECONDS = 600
LOCAL_PAGES = 128  # per process; a street has a few dozen communities and two languages
CSRF_PLACEHOLDER = "__disclosure_csrf_token__"

_local: OrderedDict[str, tuple[float, str]] = OrderedDict()
_versions: dict[int, tuple[float, str]] = {}
_lock = Lock()


def memo_seconds() -> float:
    return float(getattr(settings, "DISCLOSURE_VERSION_MEMO_SECONDS", 1.0))


def _read(key: str):
    """cache.get(key). For Django's RedisCache, through one redis client kept on the backend
    object: its get_client() builds a new redis.Redis (and its table of response callbacks)
    on every call, which on a cached page costs more than the read itself."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return backend.get(key)
    client = backend.__dict__.get("_disclosure_client")
    if client is None:
        client = backend._cache.get_client(write=False)
        backend.__dict__["_disclosure_client"] = client
    raw = client.get(backend.make_and_validate_key(key))
    return None if raw is None else backend._cache._serializer.loads(raw)


def version_key(community_id: int) -> str:
    return f"disclosure:public:version:{community_id}"


def page_version(community_id: int) -> str:
    """The community's current page version (a new one when the cache has none)."""
    now = time.monotonic()
    memo = _versions.get(community_id)
    if memo is not None and memo[0] > now:
        return memo[1]
    key = version_key(community_id)
    token = _read(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        token = cache.get(key)
    seconds = memo_seconds()
    if seconds > 0:
        _versions[community_id] = (now + seconds, token)
    return token


def _replace(community_id: int) -> None:
    token = uuid.uuid4().hex
    cache.set(version_key(community_id), token, timeout=None)
    _versions.pop(community_id, None)


def pages_changed(community_id: int | None) -> None:
    """Something on the community's public page changed: a new version now and after the
    commit (see the module docstring)."""
    if community_id is None:
        return
    _replace(community_id)
    transaction.on_commit(lambda: _replace(community_id))


def page_get(key: str) -> str | None:
    now = time.monotonic()
    with _lock:
        entry = _local.get(key)
        if entry is not None:
            if entry[0] > now:
                _local.move_to_end(key)
                return entry[1]
            del _local[key]
    html = _read(key)
    if html is not None:
        _local_put(key, html, now)
    return html


def page_set(key: str, html: str) -> None:
    cache.set(key, html, PAGE_SECONDS)
    _local_put(key, html, time.monotonic())


def _local_put(key: str, html: str, now: float) -> None:
    with _lock:
        _local[key] = (now + PAGE_SECONDS, html)
        _local.move_to_end(key)
        while len(_local) > LOCAL_PAGES:
            _local.popitem(last=False)


def local_clear() -> None:
    with _lock:
        _local.clear()
    _versions.clear()


# --- what else is on the page ---------------------------------------------------------------


def _community_changed(sender, instance, **kwargs):
    pages_changed(instance.pk)


def _child_changed(sender, instance, **kwargs):
    pages_changed(getattr(instance, "community_id", None))


def _street_changed(sender, instance, **kwargs):
    from communities.models import Community

    for community_id in Community.objects.filter(street_id=instance.pk).values_list(
        "pk", flat=True
    ):
        pages_changed(community_id)


def connect_signals() -> None:
    """Called from AffairsDisclosureConfig.ready()."""
    from django.db.models.signals import post_delete, post_save

    from communities.models import Community, Membership, Organisation, Street, SubCommittee

    post_save.connect(_community_changed, sender=Community, dispatch_uid="disc_page_community")
    post_save.connect(_street_changed, sender=Street, dispatch_uid="disc_page_street")
    for model in (Organisation, Membership, SubCommittee):
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(
                _child_changed, sender=model, dispatch_uid=f"disc_page_{model.__name__}_{name}"
            )
