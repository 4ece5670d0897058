"""Reminders (core.reminders) in the worker portal inbox and the admin: scoped to the user's
communities (404 for others'), marked done only through the service, fixed query counts."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from core.models import Reminder, ReminderStatus, Role
from core.reminders import reminder_close, reminder_upsert, reminders_close
from tests.factories import CommunityFactory, user_with_role
from tests.helpers import query_count
from tests.staffing.factories import WorkerFactory

_seq = iter(range(1, 10**6))


def _reminder(community, *, kind="test-kind", due_on=None, worker=None, **kwargs):
    n = next(_seq)
    return reminder_upsert(
        community_id=community.pk,
        kind=kind,
        rule_id=kwargs.pop("rule_id", "STAFF-6"),
        subject=kwargs.pop("subject", f"worker:{n}"),
        period=kwargs.pop("period", "2026"),
        title=kwargs.pop("title", f"{community.name}的提醒{n}"),
        message="请按期办理",
        due_on=due_on or timezone.localdate() + dt.timedelta(days=n % 20),
        worker_id=worker.pk if worker else None,
    )


@pytest.fixture
def ab(db):
    a, b = CommunityFactory(name="甲社区"), CommunityFactory(name="乙社区")
    return {
        "a": a,
        "b": b,
        "director_a": user_with_role(Role.COMMITTEE_DIRECTOR, community=a),
        "member_a": user_with_role(Role.MEMBER, community=a),
        "rem_a": _reminder(a, title="甲社区的待办"),
        "rem_b": _reminder(b, title="乙社区的待办"),
    }


# --- services -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upsert_twice_keeps_one_row_unchanged(ab):
    a = ab["a"]
    first = _reminder(a, kind="k", subject="worker:1", period="2026", title="第一次")
    second = _reminder(a, kind="k", subject="worker:1", period="2026", title="第二次")
    assert second.pk == first.pk and second.title == "第一次"
    assert Reminder.objects.filter(kind="k").count() == 1


@pytest.mark.django_db
def test_upsert_does_not_reopen_a_done_reminder(ab):
    reminder = reminder_close(user=ab["director_a"], reminder=ab["rem_a"])
    assert reminder.status == ReminderStatus.DONE and reminder.closed_at is not None
    again = _reminder(ab["a"], kind=reminder.kind, subject=reminder.subject, period=reminder.period)
    assert again.pk == reminder.pk and again.status == ReminderStatus.DONE


@pytest.mark.django_db
def test_reminders_close_keeps_the_due_ones_and_closes_the_rest(ab):
    a, b = ab["a"], ab["b"]
    keep = _reminder(a, kind="k", subject="worker:1", period="2026")
    met = _reminder(a, kind="k", subject="worker:2", period="2026")
    other_period = _reminder(a, kind="k", subject="worker:1", period="2025")
    other_kind = _reminder(a, kind="other", subject="worker:2", period="2026")
    in_b = _reminder(b, kind="k", subject="worker:3", period="2026")
    closed = reminders_close(
        kind="k", keep_subjects_periods=[("worker:1", "2026")], community_ids=[a.pk]
    )
    assert closed == 2
    status = dict(Reminder.objects.values_list("pk", "status"))
    assert status[keep.pk] == status[other_kind.pk] == status[in_b.pk] == ReminderStatus.OPEN
    assert status[met.pk] == status[other_period.pk] == ReminderStatus.DONE
    # Nothing to keep: every open one of the kind closes.
    assert reminders_close(kind="k", keep_subjects_periods=[]) == 2


@pytest.mark.django_db
def test_close_other_communitys_reminder_is_404_and_without_permission_403(ab):
    with pytest.raises(Http404):
        reminder_close(user=ab["director_a"], reminder=ab["rem_b"])
    with pytest.raises(PermissionDenied):
        reminder_close(user=ab["member_a"], reminder=ab["rem_a"])
    assert Reminder.objects.filter(status=ReminderStatus.OPEN).count() == 2


# --- portal inbox ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_inbox_lists_own_communitys_reminders_only(client, ab):
    client.force_login(ab["director_a"])
    body = client.get(reverse("portal:inbox")).content.decode()
    assert "甲社区的待办" in body and "乙社区的待办" not in body
    assert "标记为已办结" in body
    assert 'name="viewport"' in body


@pytest.mark.django_db
def test_inbox_newest_due_first_and_status_filter(client, ab):
    a, today = ab["a"], timezone.localdate()
    _reminder(a, title="较早到期", due_on=today + dt.timedelta(days=1))
    _reminder(a, title="较晚到期", due_on=today + dt.timedelta(days=90))
    done = _reminder(a, title="已经办结的")
    reminder_close(user=ab["director_a"], reminder=done)
    client.force_login(ab["director_a"])
    body = client.get(reverse("portal:inbox")).content.decode()
    assert body.index("较晚到期") < body.index("较早到期")
    assert "已经办结的" not in body
    done_page = client.get(reverse("portal:inbox") + "?status=done").content.decode()
    assert "已经办结的" in done_page and "较早到期" not in done_page
    every = client.get(reverse("portal:inbox") + "?status=all").content.decode()
    assert "已经办结的" in every and "较早到期" in every and "乙社区的待办" not in every
    # An unknown status is the default (open), never an error.
    assert client.get(reverse("portal:inbox") + "?status=x").status_code == 200


@pytest.mark.django_db
def test_inbox_pages_of_30(client, ab):
    for _ in range(34):
        _reminder(ab["a"])
    client.force_login(ab["director_a"])
    first = client.get(reverse("portal:inbox"))
    assert len(first.context["page"].object_list) == 30
    second = client.get(reverse("portal:inbox") + "?page=2")
    assert len(second.context["page"].object_list) == 5
    assert "第 2 / 2 页" in second.content.decode()


@pytest.mark.django_db
def test_inbox_close_marks_done_and_redirects(client, ab):
    client.force_login(ab["director_a"])
    url = reverse("portal:inbox_done", args=[ab["rem_a"].pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": reverse("portal:inbox") + "?status=all"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:inbox") + "?status=all"
    ab["rem_a"].refresh_from_db()
    assert ab["rem_a"].status == ReminderStatus.DONE
    assert ab["rem_a"].closed_by == ab["director_a"]  # who closed it is kept (and audited)
    from pghistory.models import Events

    assert Events.objects.tracks(ab["rem_a"]).filter(pgh_label="update").exists()
    # An off-site `next` is not followed.
    other = _reminder(ab["a"])
    response = client.post(
        reverse("portal:inbox_done", args=[other.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:inbox")


@pytest.mark.django_db
def test_inbox_close_other_communitys_reminder_is_404(client, ab):
    client.force_login(ab["director_a"])
    response = client.post(reverse("portal:inbox_done", args=[ab["rem_b"].pk]))
    assert response.status_code == 404
    assert client.post(reverse("portal:inbox_done", args=[999999])).status_code == 404
    ab["rem_b"].refresh_from_db()
    assert ab["rem_b"].status == ReminderStatus.OPEN


@pytest.mark.django_db
def test_member_sees_reminders_but_may_not_close_them(client, ab):
    client.force_login(ab["member_a"])
    body = client.get(reverse("portal:inbox")).content.decode()
    assert "甲社区的待办" in body and "标记为已办结" not in body
    response = client.post(reverse("portal:inbox_done", args=[ab["rem_a"].pk]))
    assert response.status_code == 403
    ab["rem_a"].refresh_from_db()
    assert ab["rem_a"].status == ReminderStatus.OPEN


@pytest.mark.django_db
def test_grid_worker_has_no_reminders(client, ab):
    user = user_with_role(Role.GRID_WORKER, community=ab["a"])
    client.force_login(user)
    assert "甲社区的待办" not in client.get(reverse("portal:inbox")).content.decode()
    assert client.post(reverse("portal:inbox_done", args=[ab["rem_a"].pk])).status_code == 404
    assert reverse("portal:inbox") not in client.get(reverse("portal:home")).content.decode()


@pytest.mark.django_db
def test_home_links_the_inbox_with_the_open_count(client, ab):
    _reminder(ab["a"])
    client.force_login(ab["director_a"])
    body = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:inbox") in body
    assert "2 条待办" in body  # A's two, not B's


def _grow(community, n):
    for _ in range(n):
        _reminder(community, worker=WorkerFactory(community=community))


@pytest.mark.django_db
def test_inbox_query_count_is_fixed(client, ab):
    client.force_login(ab["director_a"])
    url = reverse("portal:inbox")
    _grow(ab["a"], 2)
    client.get(url)  # warm process-wide caches
    small = query_count(client, url)
    _grow(ab["a"], 25)
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_home_query_count_is_fixed(client, ab):
    client.force_login(ab["director_a"])
    url = reverse("portal:home")
    _grow(ab["a"], 2)
    client.get(url)
    small = query_count(client, url)
    _grow(ab["a"], 25)
    assert query_count(client, url) == small


# --- admin ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_list_query_count_is_fixed(client, ab):
    client.force_login(ab["director_a"])
    url = reverse("admin:core_reminder_changelist")
    _grow(ab["a"], 2)
    client.get(url)
    small = query_count(client, url)
    _grow(ab["a"], 25)
    assert query_count(client, url) == small


@pytest.mark.django_db
def test_admin_shows_own_reminders_only_and_404_for_others(client, ab):
    client.force_login(ab["director_a"])
    body = client.get(reverse("admin:core_reminder_changelist")).content.decode()
    assert "甲社区的待办" in body and "乙社区的待办" not in body
    assert "乙社区" not in body  # not even in the community filter
    change_b = reverse("admin:core_reminder_change", args=[ab["rem_b"].pk])
    assert client.get(change_b).status_code == 404
    change_a = reverse("admin:core_reminder_change", args=[ab["rem_a"].pk])
    page = client.get(change_a)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read-only
    assert client.post(change_a, {"status": "done"}).status_code == 403
    assert client.get(reverse("admin:core_reminder_add")).status_code == 403


@pytest.mark.django_db
def test_admin_action_marks_done_only_in_scope(client, ab):
    client.force_login(ab["director_a"])
    url = reverse("admin:core_reminder_changelist")
    response = client.post(
        url,
        {
            "action": "mark_done",
            "_selected_action": [ab["rem_a"].pk, ab["rem_b"].pk],
        },
    )
    assert response.status_code == 302
    status = dict(Reminder.objects.values_list("pk", "status"))
    assert status[ab["rem_a"].pk] == ReminderStatus.DONE
    assert status[ab["rem_b"].pk] == ReminderStatus.OPEN


@pytest.mark.django_db
def test_admin_filters_by_kind_rule_status_and_search(client, ab):
    _reminder(ab["a"], kind="staff7-handover", rule_id="STAFF-7", title="移交提醒")
    client.force_login(ab["director_a"])
    url = reverse("admin:core_reminder_changelist")
    for query in ("?kind=staff7-handover", "?rule_id=STAFF-7", "?q=移交"):
        body = client.get(url + query).content.decode()
        assert "移交提醒" in body and "甲社区的待办" not in body, query
    body = client.get(url + "?status__exact=done").content.decode()
    assert "移交提醒" not in body


@pytest.mark.django_db
def test_nav_links_the_inbox_for_roles_that_see_reminders(client):
    community = CommunityFactory()
    client.force_login(user_with_role(Role.MEMBER, community=community))
    body = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:inbox") in body
    client.force_login(user_with_role(Role.GRID_WORKER, community=community))
    body = client.get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("portal:inbox")}"' not in body
