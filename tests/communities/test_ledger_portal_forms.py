"""Portal forms of the ledgers (issue #4): special groups (add / edit / end a membership,
grade and amount per the group type), special targets (permitted roles only, every view
logged), volunteers and their service hours (totals), all through the ledger services with
POST-redirect-GET, a one-time token against double submits, Chinese errors by the field,
404 for another community's rows, fixed query counts at two sizes for the new lists; and the
audit history of residents and volunteers masked unless revealed (and then logged)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.models import (
    PersonalDataAction,
    PersonalDataLog,
    SpecialGroupMember,
    SpecialTarget,
    Volunteer,
    VolunteerService,
)
from core.models import Role
from tests.factories import (
    HouseholdFactory,
    OrganisationFactory,
    ResidentFactory,
    SpecialGroupMemberFactory,
    SpecialTargetFactory,
    UnitFactory,
    VolunteerFactory,
    VolunteerServiceFactory,
    special_group_type,
    user_with_role,
    valid_id_number,
)
from tests.helpers import query_count


@pytest.fixture
def people(ab):
    a, b = ab["a"], ab["b"]
    household = HouseholdFactory(unit=UnitFactory(community=a))
    young = ResidentFactory(
        household=household,
        name="张建华",
        id_number=valid_id_number(dt.date(1990, 5, 1), 11),
        phone="13812345678",
    )
    old = ResidentFactory(
        household=household, name="李奶奶", id_number=valid_id_number(dt.date(1938, 2, 3), 22)
    )
    other = ResidentFactory(community=b, name="乙居民")
    return {
        **ab,
        "young": young,
        "old": old,
        "other": other,
        "volunteer_a": VolunteerFactory(community=a, name="王志愿", phone="13700001111"),
        "volunteer_b": VolunteerFactory(community=b, name="乙志愿"),
        "group_b": SpecialGroupMemberFactory(resident=other),
        "target_b": SpecialTargetFactory(resident=other),
    }


def _token(response) -> str:
    match = re.search(r'name="token" value="([0-9a-f-]+)"', response.content.decode())
    assert match, "the form carries a one-time token"
    return match.group(1)


def _post_form(client, url, data):
    """GET the form for its token, then POST it: (response, data sent)."""
    data = {"token": _token(client.get(url)), **data}
    return client.post(url, data), data


# --- special groups -----------------------------------------------------------------------


@pytest.mark.django_db
def test_special_group_add_edit_end_prg_and_double_submit_saves_once(client, people):
    client.force_login(people["user_a"])
    resident = people["young"]
    page = reverse("ledgers:resident", args=[resident.pk])
    add = reverse("ledgers:special_group_add", args=[resident.pk])
    dibao = special_group_type("dibao")
    response, data = _post_form(
        client,
        add,
        {
            "group_type": dibao.pk,
            "starts_on": "2024-03-01",
            "monthly_amount": "650",
            "household_size": "2",
        },
    )
    assert response.status_code == 302 and response["Location"] == page
    again = client.post(add, data)
    assert again.status_code == 302 and again["Location"] == page
    member = SpecialGroupMember.objects.get(resident=resident)
    assert member.community == people["a"] and member.monthly_amount == Decimal("650")
    body = client.get(page).content.decode()
    assert "低保" in body and "650" in body and "享受中" in body
    assert "已保存" in body

    edit = reverse("ledgers:special_group_edit", args=[member.pk])
    response, _data = _post_form(
        client,
        edit,
        {"group_type": dibao.pk, "starts_on": "2024-03-01", "monthly_amount": "700"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.monthly_amount == Decimal("700")

    end = reverse("ledgers:special_group_end", args=[member.pk])
    form = client.get(end).content.decode()
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in form  # today by default
    day = timezone.localdate() - dt.timedelta(days=3)
    response, data = _post_form(client, end, {"ends_on": day.isoformat()})
    assert response.status_code == 302 and response["Location"] == page
    member.refresh_from_db()
    assert member.ends_on == day and SpecialGroupMember.objects.count() == 2  # kept
    body = client.get(page).content.decode()
    assert "已终止" in body and end not in body  # an ended membership is not ended again
    response, _data = _post_form(client, end, {"ends_on": day.isoformat()})
    assert f"该成员资格已于 {day.isoformat()} 终止" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, resident_key, data, message",
    [
        ("dibao", "young", {"starts_on": "2024-01-01"}, "“低保”须登记月保障金额"),
        ("disabled", "young", {"starts_on": "2024-01-01"}, "“残疾人”须登记等级"),
        (
            "unemployed",
            "young",
            {"starts_on": "2024-01-01", "monthly_amount": "100"},
            "“失业人员”不登记金额",
        ),
        ("elderly_80", "young", {"starts_on": "2024-01-01"}, "须年满 80 周岁"),
        (
            "unemployed",
            "young",
            {"starts_on": "2024-05-01", "ends_on": "2024-04-01"},
            "终止日期不能早于起始日期",
        ),
        ("unemployed", "young", {}, "该字段是必填项。"),
    ],
)
def test_special_group_errors_are_chinese(client, people, code, resident_key, data, message):
    client.force_login(people["user_a"])
    url = reverse("ledgers:special_group_add", args=[people[resident_key].pk])
    response, _data = _post_form(client, url, {"group_type": special_group_type(code).pk, **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SpecialGroupMember.objects.filter(resident=people[resident_key]).exists()


@pytest.mark.django_db
def test_special_group_age_and_overlap_rules(client, people):
    client.force_login(people["user_a"])
    url = reverse("ledgers:special_group_add", args=[people["old"].pk])
    elderly = special_group_type("elderly_80").pk
    response, _data = _post_form(client, url, {"group_type": elderly, "starts_on": "2024-01-01"})
    assert response.status_code == 302
    response, _data = _post_form(client, url, {"group_type": elderly, "starts_on": "2025-01-01"})
    assert "该居民已在“高龄老人”中" in response.content.decode()
    form = client.get(url).content.decode()
    assert "低保（须登记月保障金额）" in form and "残疾人（须登记等级）" in form


@pytest.mark.django_db
def test_special_groups_of_another_community_are_404(client, people):
    client.force_login(people["user_a"])
    member = people["group_b"]
    urls = [
        reverse("ledgers:special_group_add", args=[people["other"].pk]),
        reverse("ledgers:special_group_edit", args=[member.pk]),
        reverse("ledgers:special_group_end", args=[member.pk]),
        reverse("ledgers:special_groups", args=[people["b"].pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        data = {"group_type": special_group_type("unemployed").pk, "starts_on": "2024-01-01"}
        assert client.post(url, {**data, "ends_on": "2024-02-01"}).status_code == 404, url
    member.refresh_from_db()
    assert member.ends_on is None and SpecialGroupMember.objects.count() == 1


@pytest.mark.django_db
def test_a_member_may_see_but_not_change_special_groups(client, people):
    own = SpecialGroupMemberFactory(resident=people["young"])
    client.force_login(user_with_role(Role.MEMBER, community=people["a"]))
    page = client.get(reverse("ledgers:resident", args=[people["young"].pk])).content.decode()
    assert "低保" in page and "登记特殊群体" not in page and "终止" not in page
    assert (
        client.get(reverse("ledgers:special_group_add", args=[people["young"].pk])).status_code
        == 403
    )
    assert client.get(reverse("ledgers:special_group_end", args=[own.pk])).status_code == 403
    listing = client.get(reverse("ledgers:special_groups", args=[people["a"].pk]))
    assert listing.status_code == 200 and "张建华" in listing.content.decode()


@pytest.mark.django_db
def test_special_group_list_filters_and_fixed_query_count(client, people):
    client.force_login(people["user_a"])
    url = reverse("ledgers:special_groups", args=[people["a"].pk])

    def grow(n):
        for _i in range(n):
            SpecialGroupMemberFactory(resident=ResidentFactory(community=people["a"]))
            SpecialGroupMemberFactory(
                resident=ResidentFactory(community=people["a"]),
                group_type=special_group_type("disabled"),
            )

    grow(1)
    SpecialGroupMemberFactory(
        resident=people["young"], starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2021, 1, 1)
    )
    client.get(url)
    small = {u: query_count(client, u) for u in (url, url + "?group=disabled&status=all")}
    grow(8)
    large = {u: query_count(client, u) for u in (url, url + "?group=disabled&status=all")}
    assert large == small
    body = client.get(url, {"group": "disabled"}).content.decode()
    assert "残疾人" in body and "共 9 人次" in body
    assert "张建华" not in client.get(url).content.decode()  # ended: not current
    assert "张建华" in client.get(url, {"status": "all"}).content.decode()


# --- special targets ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.MEMBER, Role.DEPUTY])
def test_special_targets_are_hidden_from_other_roles(client, people, role):
    target = SpecialTargetFactory(resident=people["young"])
    client.force_login(user_with_role(role, community=people["a"]))
    residents = client.get(reverse("ledgers:residents", args=[people["a"].pk])).content.decode()
    assert reverse("ledgers:special_targets", args=[people["a"].pk]) not in residents
    detail = client.get(reverse("ledgers:resident", args=[people["young"].pk])).content.decode()
    assert "特别对象" not in detail
    assert client.get(reverse("ledgers:special_targets", args=[people["a"].pk])).status_code == 403
    for name in ("special_target", "special_target_edit"):
        assert client.get(reverse(f"ledgers:{name}", args=[target.pk])).status_code == 404
    add = reverse("ledgers:special_target_add", args=[people["young"].pk])
    assert client.get(add).status_code == 403
    assert client.post(add, {"kind": "drug", "since": "2024-01-01"}).status_code == 403
    assert SpecialTarget.objects.count() == 2 and not PersonalDataLog.objects.exists()


@pytest.mark.django_db
def test_special_target_add_view_edit_and_every_view_logged(client, people):
    user = people["user_a"]
    client.force_login(user)
    add = reverse("ledgers:special_target_add", args=[people["young"].pk])
    response, data = _post_form(
        client, add, {"kind": "released", "since": "2024-06-01", "responsible": "赵帮教"}
    )
    target = SpecialTarget.objects.get(resident=people["young"])
    detail = reverse("ledgers:special_target", args=[target.pk])
    assert response.status_code == 302 and response["Location"] == detail
    assert client.post(add, data)["Location"] == detail  # double submit: saved once
    assert SpecialTarget.objects.filter(resident=people["young"]).count() == 1
    assert target.community == people["a"] and not PersonalDataLog.objects.exists()

    body = client.get(detail).content.decode()
    assert "刑满释放人员" in body and "赵帮教" in body and people["young"].id_number not in body
    listing = client.get(reverse("ledgers:special_targets", args=[people["a"].pk]))
    assert "张建华" in listing.content.decode() and "乙居民" not in listing.content.decode()
    edit = reverse("ledgers:special_target_edit", args=[target.pk])
    response, _data = _post_form(
        client, edit, {"kind": "released", "since": "2024-06-01", "until": "2024-05-01"}
    )
    assert "终止日期不能早于起始日期" in response.content.decode()
    response, _data = _post_form(
        client, edit, {"kind": "released", "since": "2024-06-01", "responsible": "钱帮教"}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.responsible == "钱帮教"
    logs = list(
        PersonalDataLog.objects.filter(action=PersonalDataAction.VIEW_SPECIAL).order_by("id")
    )
    # detail (after add), list, edit form (twice: two GETs for the tokens)
    assert [(log.object_id, log.rows) for log in logs] == [
        (target.pk, 1),
        (None, 1),
        (target.pk, 1),
        (target.pk, 1),
    ]
    assert {(log.user_id, log.community_id, log.ip) for log in logs} == {
        (user.pk, people["a"].pk, "127.0.0.1")
    }


@pytest.mark.django_db
def test_special_targets_of_another_community_are_404(client, people):
    client.force_login(people["user_a"])
    target = people["target_b"]
    for url in [
        reverse("ledgers:special_targets", args=[people["b"].pk]),
        reverse("ledgers:special_target", args=[target.pk]),
        reverse("ledgers:special_target_edit", args=[target.pk]),
        reverse("ledgers:special_target_add", args=[people["other"].pk]),
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"kind": "drug", "since": "2024-01-01"}).status_code == 404
    target.refresh_from_db()
    assert target.kind == "correction" and not PersonalDataLog.objects.exists()


@pytest.mark.django_db
def test_special_target_list_fixed_query_count_and_one_log_row_per_view(client, people):
    client.force_login(people["user_a"])
    url = reverse("ledgers:special_targets", args=[people["a"].pk])
    SpecialTargetFactory(resident=people["young"])
    client.get(url)
    small = query_count(client, url)
    for _i in range(6):
        SpecialTargetFactory(resident=ResidentFactory(community=people["a"]))
    assert query_count(client, url) == small
    last = PersonalDataLog.objects.order_by("-id").first()
    assert last.rows == 7 and last.object_id is None


# --- volunteers and service hours ---------------------------------------------------------


@pytest.mark.django_db
def test_add_volunteer_record_hours_totals_prg_double_submit(client, people):
    client.force_login(people["user_a"])
    community = people["a"]
    org = OrganisationFactory(community=community, name="红十字志愿队")
    add = reverse("ledgers:volunteer_add", args=[community.pk])
    response, data = _post_form(
        client,
        add,
        {
            "name": "周热心",
            "phone": "139 0000 2222",
            "organisation": org.pk,
            "skills": "助老",
            "registered_on": "2025-01-10",
            "is_active": "on",
        },
    )
    volunteer = Volunteer.objects.get(name="周热心")
    page = reverse("ledgers:volunteer", args=[volunteer.pk])
    assert response.status_code == 302 and response["Location"] == page
    assert client.post(add, data)["Location"] == page
    assert Volunteer.objects.filter(name="周热心").count() == 1
    assert volunteer.community == community and volunteer.phone == "13900002222"

    record = reverse("ledgers:volunteer_service_add", args=[volunteer.pk])
    for day, hours in (("2025-03-01", "2.5"), ("2025-03-08", "3")):
        response, data = _post_form(
            client, record, {"date": day, "activity": "陪老人就医", "hours": hours}
        )
        assert response.status_code == 302 and response["Location"] == page
        client.post(record, data)  # a second tap saves nothing
    assert VolunteerService.objects.filter(volunteer=volunteer).count() == 2
    body = client.get(page).content.decode()
    assert "2 次，共 5.5 小时" in body and "陪老人就医" in body
    assert "13900002222" not in body and "139****2222" in body
    listing = client.get(reverse("ledgers:volunteers", args=[community.pk])).content.decode()
    assert "5.5" in listing and page in listing


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [
        ({"hours": "0"}, "服务时长应大于 0 且不超过 24 小时"),
        ({"hours": "25"}, "服务时长应大于 0 且不超过 24 小时"),
        ({"date": "2999-01-01"}, "服务日期不能晚于今天"),
        ({"activity": ""}, "该字段是必填项。"),
        ({"hours": "abc"}, "输入一个数字。"),
    ],
)
def test_service_hours_errors_are_chinese(client, people, data, message):
    client.force_login(people["user_a"])
    url = reverse("ledgers:volunteer_service_add", args=[people["volunteer_a"].pk])
    sent = {"date": "2025-03-01", "activity": "环境整治", "hours": "2", **data}
    response, _data = _post_form(client, url, sent)
    assert response.status_code == 200 and message in response.content.decode()
    assert not VolunteerService.objects.exists()


@pytest.mark.django_db
def test_volunteer_edit_keeps_the_phone_masked_and_refuses_another_communitys_org(client, people):
    client.force_login(people["user_a"])
    volunteer = people["volunteer_a"]
    url = reverse("ledgers:volunteer_edit", args=[volunteer.pk])
    form = client.get(url).content.decode()
    assert "13700001111" not in form and "137****1111" in form
    foreign = OrganisationFactory(community=people["b"])
    base = {"name": "王志愿", "new_phone": "", "registered_on": "2024-01-01", "is_active": "on"}
    response, _data = _post_form(client, url, {**base, "organisation": foreign.pk})
    assert "选择一个有效的选项" in response.content.decode()
    response, _data = _post_form(client, url, {**base, "skills": "理发"})
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.skills == "理发" and volunteer.phone == "13700001111"


@pytest.mark.django_db
def test_volunteer_reveal_is_logged_and_for_permitted_roles_only(client, people):
    volunteer = people["volunteer_a"]
    url = reverse("ledgers:volunteer_reveal", args=[volunteer.pk])
    client.force_login(user_with_role(Role.GRID_WORKER, community=people["a"]))
    assert client.post(url).status_code == 403
    client.force_login(people["user_a"])
    assert client.get(url).status_code == 405
    assert "13700001111" in client.post(url).content.decode()
    log = PersonalDataLog.objects.get()
    assert (log.action, log.model, log.object_id) == ("reveal", "volunteer", volunteer.pk)


@pytest.mark.django_db
def test_volunteers_of_another_community_are_404(client, people):
    client.force_login(people["user_a"])
    volunteer = people["volunteer_b"]
    for url in [
        reverse("ledgers:volunteer", args=[volunteer.pk]),
        reverse("ledgers:volunteer_edit", args=[volunteer.pk]),
        reverse("ledgers:volunteer_service_add", args=[volunteer.pk]),
        reverse("ledgers:volunteer_add", args=[people["b"].pk]),
    ]:
        assert client.get(url).status_code == 404, url
        data = {"name": "入侵", "date": "2025-01-01", "activity": "x", "hours": "1"}
        assert client.post(url, data).status_code == 404, url
    assert client.post(reverse("ledgers:volunteer_reveal", args=[volunteer.pk])).status_code == 404
    volunteer.refresh_from_db()
    assert volunteer.name == "乙志愿" and not VolunteerService.objects.exists()
    assert not PersonalDataLog.objects.exists()


@pytest.mark.django_db
def test_a_member_may_not_register_volunteers(client, people):
    client.force_login(user_with_role(Role.MEMBER, community=people["a"]))
    listing = client.get(reverse("ledgers:volunteers", args=[people["a"].pk])).content.decode()
    assert "登记志愿者" not in listing
    assert client.get(reverse("ledgers:volunteer_add", args=[people["a"].pk])).status_code == 403
    url = reverse("ledgers:volunteer_service_add", args=[people["volunteer_a"].pk])
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_volunteer_page_query_count_is_fixed(client, people):
    client.force_login(people["user_a"])
    volunteer = people["volunteer_a"]
    url = reverse("ledgers:volunteer", args=[volunteer.pk])
    VolunteerServiceFactory(volunteer=volunteer)
    client.get(url)
    small = query_count(client, url)
    for _i in range(40):
        VolunteerServiceFactory(volunteer=volunteer, hours=Decimal("1.0"))
    assert query_count(client, url) == small
    assert "41 次，共 42.5 小时" in client.get(url).content.decode()


# --- audit history: masked unless revealed ---------------------------------------------------


def _history(client, name, obj, method="get"):
    url = reverse(f"admin:communities_{name}_history", args=[obj.pk])
    return getattr(client, method)(url)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DEPUTY, Role.COMMITTEE_DIRECTOR])
def test_resident_history_never_shows_the_full_id_without_a_logged_reveal(client, people, role):
    """The event tables keep full ID numbers; the history page of a resident masks them
    (and phones, in the diff and in recorded URLs) for every role, and shows them only to a
    role holding reveal_personal that asks (POST), which is logged."""
    from communities import ledger_services as ls

    resident = people["young"]
    director = people["user_a"]
    first_id, first_phone = resident.id_number, resident.phone
    resident.id_number = valid_id_number(resident.birth_date, 997)
    resident.phone = "13911112222"
    ls.resident_save(user=director, resident=resident)
    # a bulk action after a search by full ID number: the URL lands in the audit context
    client.force_login(director)
    client.post(
        reverse("admin:communities_resident_changelist") + f"?q={resident.id_number}",
        {"action": "mark_reviewed", "_selected_action": [resident.pk]},
    )
    user = (
        director if role == Role.COMMITTEE_DIRECTOR else user_with_role(role, community=people["a"])
    )
    client.force_login(user)
    response = _history(client, "resident", resident)
    assert response.status_code == 200
    body = response.content.decode()
    for secret in (first_id, resident.id_number, first_phone, "13911112222"):
        assert secret not in body, secret
    assert first_id[:4] + "**********" + first_id[-4:] in body
    assert "139****2222" in body and "id_number" in body
    assert not PersonalDataLog.objects.exists()

    revealed = _history(client, "resident", resident, "post")
    if role == Role.DEPUTY:  # no reveal_personal: no button, and the POST is refused
        assert "查看完整信息（将记录）" not in body
        assert revealed.status_code == 403 and not PersonalDataLog.objects.exists()
        return
    assert "查看完整信息（将记录）" in body
    text = revealed.content.decode()
    assert revealed.status_code == 200 and first_id in text and resident.id_number in text
    log = PersonalDataLog.objects.get()
    assert (log.user, log.action, log.model, log.object_id) == (
        director,
        PersonalDataAction.REVEAL,
        "resident",
        resident.pk,
    )


@pytest.mark.django_db
def test_volunteer_and_household_history_mask_phones(client, people):
    from communities import ledger_services as ls

    volunteer = people["volunteer_a"]
    volunteer.phone = "13655556666"
    ls.volunteer_save(user=people["user_a"], volunteer=volunteer)
    deputy = user_with_role(Role.DEPUTY, community=people["a"])
    client.force_login(deputy)
    body = _history(client, "volunteer", volunteer).content.decode()
    assert "13655556666" not in body and "13700001111" not in body and "136****6666" in body
    household = people["young"].household
    household.phone = "13544445555"
    ls.household_save(user=people["user_a"], household=household)
    body = _history(client, "household", household).content.decode()
    assert "13544445555" not in body and "135****5555" in body


@pytest.mark.django_db
def test_special_target_history_is_a_logged_view(client, people):
    target = SpecialTargetFactory(resident=people["young"])
    client.force_login(people["user_a"])
    assert _history(client, "specialtarget", target).status_code == 200
    log = PersonalDataLog.objects.get()
    assert (log.action, log.object_id) == (PersonalDataAction.VIEW_SPECIAL, target.pk)
    client.force_login(user_with_role(Role.DEPUTY, community=people["a"]))
    assert _history(client, "specialtarget", target).status_code in (403, 404)
    assert PersonalDataLog.objects.count() == 1


# --- the resident list's page query says what the ORM annotations say --------------------


@pytest.mark.django_db
def test_list_page_rows_match_the_orm_flags_and_groups(people):
    """resident_page_rows (one SQL query for the portal list's page) against
    with_review_flags and with_group_names on every case they distinguish."""
    from communities.ledger_selectors import (
        resident_list,
        resident_list_base,
        resident_page_rows,
    )
    from communities.models import RegistrationType

    a, b = people["a"], people["b"]
    household = people["young"].household
    shared = valid_id_number(dt.date(1970, 1, 1), 31)
    twice = ResidentFactory(household=household, name="甲重复", id_number=shared)
    ResidentFactory(community=b, name="乙重复", id_number=shared)
    separated_id = valid_id_number(dt.date(1971, 1, 1), 41)
    ResidentFactory(
        household=household,
        name="甲分离",
        id_number=separated_id,
        registration_type=RegistrationType.SEPARATED,
    )
    ResidentFactory(community=b, name="乙分离", id_number=separated_id)
    ResidentFactory(
        household=household, name="甲迁出", id_number=shared, moved_out_on=dt.date(2024, 1, 1)
    )
    ResidentFactory(household=household, name="甲无证", id_number="")
    SpecialGroupMemberFactory(resident=twice, group_type=special_group_type("disabled"))
    SpecialGroupMemberFactory(resident=twice)  # 低保, sorts first
    SpecialGroupMemberFactory(
        resident=twice,
        group_type=special_group_type("unemployed"),
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2021, 1, 1),  # ended: not shown
    )
    user = user_with_role(Role.STREET_ADMIN, street=a.street)
    for filters in ({"community_id": a.pk}, {"community_id": a.pk, "include_moved_out": True}):
        base = resident_list_base(user=user, **filters)
        rows = resident_page_rows(base.values_list("pk", flat=True)[0:50])
        orm = list(resident_list(user=user, **filters))
        assert [r["id"] for r in rows] == [r.pk for r in orm]
        for row, obj in zip(rows, orm, strict=True):
            assert (
                row["registered_elsewhere"],
                row["duplicate_elsewhere"],
                row["group_names"],
                row["address"],
            ) == (
                obj.registered_elsewhere,
                obj.duplicate_elsewhere,
                obj.group_names,
                obj.household.address,
            ), obj.name
    flags = {r.name: (r.registered_elsewhere, r.duplicate_elsewhere) for r in orm}
    assert flags["甲重复"] == (True, True) and flags["甲分离"] == (True, False)
    assert flags["甲迁出"] == (False, False) and flags["甲无证"] == (False, False)
    assert next(r for r in orm if r.name == "甲重复").group_names == "低保、残疾人"
