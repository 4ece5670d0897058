"""Exports of the smaller ledgers (issue #4, Excel out): special groups, volunteers and their
service records, households, resident units / social organisations — from the portal list
(its query string) and from the admin changelist (its filters): masked unless revealed by a
permitted role, only the filter's rows, never another community's, formula-escaped,
a fixed number of queries, one PersonalDataLog row per community exported; an export with
full values re-imports unchanged."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from communities import rules
from communities.ledger_exports_more import VOLUNTEERS, ledger_export
from communities.models import OrgKind, PersonalDataAction, PersonalDataLog, Volunteer
from core.imports import get_spec, import_job_create, import_job_validate
from core.models import Role
from tests.factories import (
    CommunityFactory,
    HouseholdFactory,
    OrganisationFactory,
    ResidentFactory,
    SpecialGroupMemberFactory,
    UnitFactory,
    VolunteerFactory,
    VolunteerServiceFactory,
    special_group_type,
    user_with_role,
)

PHONE = "13812345678"


def sheet_rows(response) -> tuple[list, list[list]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def column(header, rows, name):
    i = header.index(name)
    return [r[i] for r in rows]


@pytest.fixture
def ledgers(ab):
    """In A: two 低保 members (one with a formula name) and one 残疾, two volunteers with
    services, households; in B: one of each."""
    a, b = ab["a"], ab["b"]
    household = HouseholdFactory(unit=UnitFactory(community=a))
    first = ResidentFactory(household=household, name="张建华", phone=PHONE)
    formula = ResidentFactory(household=household, name="=cmd|' /C calc'!A0")
    disabled = ResidentFactory(household=household, name="李秀英")
    SpecialGroupMemberFactory(resident=first, household_size=3)
    SpecialGroupMemberFactory(resident=formula)
    SpecialGroupMemberFactory(resident=disabled, group_type=special_group_type("disabled"))
    SpecialGroupMemberFactory(resident=ResidentFactory(community=b, name="乙居民"))
    v1 = VolunteerFactory(community=a, name="王志愿", phone=PHONE, skills="=1+1")
    v2 = VolunteerFactory(community=a, name="刘志愿")
    VolunteerServiceFactory(volunteer=v1, hours="2.5")
    VolunteerServiceFactory(volunteer=v1, hours="1.5", activity="助老")
    VolunteerServiceFactory(volunteer=v2)
    VolunteerServiceFactory(volunteer=VolunteerFactory(community=b, name="乙志愿"))
    HouseholdFactory(community=b)
    return {**ab, "first": first, "v1": v1, "household": household}


def _portal(name, community):
    return reverse(f"ledgers:{name}", args=[community.pk])


# --- masked by default, full only when revealed by a permitted role, logged -----------------


@pytest.mark.django_db
def test_special_groups_masked_by_default_and_logged(client, ledgers):
    client.force_login(ledgers["user_a"])
    response = client.get(_portal("special_groups_export", ledgers["a"]))
    assert response.status_code == 200
    header, rows = sheet_rows(response)
    ids = column(header, rows, "身份证号")
    assert rules.mask_id(ledgers["first"].id_number) in ids
    assert ledgers["first"].id_number not in ids
    assert "138****5678" in column(header, rows, "联系电话")
    assert sorted(column(header, rows, "类别")) == ["低保", "低保", "残疾人"]
    assert 3 in column(header, rows, "保障人口")
    log = PersonalDataLog.objects.get()
    assert (log.action, log.model, log.community, log.rows, log.fields) == (
        PersonalDataAction.EXPORT,
        "specialgroupmember",
        ledgers["a"],
        3,
        "",
    )
    assert log.user == ledgers["user_a"] and "社区=" in log.filters


@pytest.mark.django_db
def test_full_values_only_with_the_reveal_permission_and_logged(client, ledgers):
    url = _portal("special_groups_export", ledgers["a"])
    grid = user_with_role(Role.GRID_WORKER, community=ledgers["a"])
    client.force_login(grid)
    assert client.post(url, {"reveal": "1"}).status_code == 403
    assert not PersonalDataLog.objects.filter(user=grid).exists()

    client.force_login(ledgers["user_a"])
    header, rows = sheet_rows(client.post(url, {"reveal": "1"}))
    assert ledgers["first"].id_number in column(header, rows, "身份证号")
    assert PHONE in column(header, rows, "联系电话")
    log = PersonalDataLog.objects.get(user=ledgers["user_a"])
    assert log.fields == "id_number,phone" and log.rows == 3


@pytest.mark.django_db
def test_volunteers_with_total_hours_masked_and_revealed(client, ledgers):
    client.force_login(ledgers["user_a"])
    url = _portal("volunteers_export", ledgers["a"])
    header, rows = sheet_rows(client.get(url))
    by_name = dict(zip(column(header, rows, "姓名"), rows, strict=True))
    assert set(by_name) == {"王志愿", "刘志愿"}
    v1 = dict(zip(header, by_name["王志愿"], strict=True))
    assert v1["联系电话"] == "138****5678" and float(v1["服务总时长（小时）"]) == 4.0
    assert v1["服务次数"] == 2
    header, rows = sheet_rows(client.post(url, {"reveal": "1"}))
    assert PHONE in column(header, rows, "联系电话")
    logs = PersonalDataLog.objects.order_by("pk")
    assert [(log.model, log.rows, log.fields) for log in logs] == [
        ("volunteer", 2, ""),
        ("volunteer", 2, "phone"),
    ]


# --- the filter's rows only --------------------------------------------------------------------


@pytest.mark.django_db
def test_portal_filter_is_honoured(client, ledgers):
    client.force_login(ledgers["user_a"])
    response = client.get(_portal("special_groups_export", ledgers["a"]), {"group": "disabled"})
    header, rows = sheet_rows(response)
    assert column(header, rows, "姓名") == ["李秀英"]
    assert "特殊群体=disabled" in PersonalDataLog.objects.get().filters

    response = client.get(_portal("volunteers_export", ledgers["a"]), {"q": "刘"})
    assert column(*sheet_rows(response), "姓名") == ["刘志愿"]
    response = client.get(_portal("volunteer_services_export", ledgers["a"]), {"q": "王"})
    header, rows = sheet_rows(response)
    assert column(header, rows, "姓名") == ["王志愿", "王志愿"]
    log = PersonalDataLog.objects.filter(model="volunteerservice").get()
    assert log.rows == 2 and "搜索=王" in log.filters


@pytest.mark.django_db
def test_households_with_head_and_number_of_residents(client, ledgers):
    client.force_login(ledgers["user_a"])
    address = ledgers["household"].address
    response = client.get(_portal("households_export", ledgers["a"]), {"q": address})
    header, rows = sheet_rows(response)
    assert column(header, rows, "地址") == [address]
    assert column(header, rows, "在册人数") == [3]
    assert column(header, rows, "户主") == ["张建华"]  # the first current head
    assert PersonalDataLog.objects.get().model == "household"


@pytest.mark.django_db
def test_admin_changelist_filters_are_honoured(client, ledgers):
    admin_user = user_with_role(Role.STREET_ADMIN, street=ledgers["a"].street)
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:communities_volunteer_changelist"))
    assert reverse("admin:communities_volunteer_xlsx") in changelist.content.decode()
    url = reverse("admin:communities_volunteer_xlsx")
    header, rows = sheet_rows(client.get(url, {"community": ledgers["a"].pk, "q": "王"}))
    assert column(header, rows, "姓名") == ["王志愿"]
    neighbour = CommunityFactory(street=ledgers["a"].street, name="丙社区")
    VolunteerFactory(community=neighbour, name="丙志愿")
    PersonalDataLog.objects.all().delete()
    header, rows = sheet_rows(client.get(url))  # the street's communities, a log each
    assert sorted(column(header, rows, "姓名")) == sorted(["王志愿", "刘志愿", "丙志愿"])
    logs = PersonalDataLog.objects.all()
    assert sorted((log.community_id, log.rows) for log in logs) == sorted(
        [(ledgers["a"].pk, 2), (neighbour.pk, 1)]
    )
    group_url = reverse("admin:communities_specialgroupmember_xlsx")
    disabled = special_group_type("disabled")
    header, rows = sheet_rows(client.get(group_url, {"group_type__id__exact": disabled.pk}))
    assert column(header, rows, "姓名") == ["李秀英"]
    # the import page's 导出 goes through the same exporter
    response = client.get(reverse("admin:communities_volunteerservice_export"))
    assert len(sheet_rows(response)[1]) == 3  # A's three records (B is another street)


@pytest.mark.django_db
def test_admin_organisations_export(client, ledgers):
    OrganisationFactory(community=ledgers["a"], kind=OrgKind.RESIDENT_UNIT, name="=HYPERLINK()")
    OrganisationFactory(
        community=ledgers["a"], kind=OrgKind.SOCIAL_ORG, name="夕阳红", contact_phone=PHONE
    )
    OrganisationFactory(community=ledgers["b"], kind=OrgKind.SOCIAL_ORG, name="乙组织")
    director = ledgers["user_a"]
    director.is_staff = True
    director.save()
    client.force_login(director)
    url = reverse("admin:communities_organisation_xlsx")
    header, rows = sheet_rows(client.get(url, {"kind__exact": OrgKind.SOCIAL_ORG}))
    assert column(header, rows, "名称") == ["夕阳红"]
    assert column(header, rows, "联系电话") == ["138****5678"]
    header, rows = sheet_rows(client.get(url))
    assert "'=HYPERLINK()" in column(header, rows, "名称")  # text, not a formula
    assert "乙组织" not in column(header, rows, "名称")


# --- another community's rows: never --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "special_groups_export",
        "volunteers_export",
        "volunteer_services_export",
        "households_export",
    ],
)
def test_other_communitys_export_is_404(client, ledgers, name):
    client.force_login(ledgers["user_a"])
    url = _portal(name, ledgers["b"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reveal": "1"}).status_code == 404
    assert not PersonalDataLog.objects.exists()


@pytest.mark.django_db
def test_admin_export_of_another_community_has_no_rows(client, ledgers):
    director = ledgers["user_a"]
    director.is_staff = True
    director.save()
    client.force_login(director)
    for model in ("volunteer", "volunteerservice", "specialgroupmember", "household"):
        url = reverse(f"admin:communities_{model}_xlsx")
        response = client.get(url, {"community": ledgers["b"].pk})
        if response.status_code == 200:
            header, rows = sheet_rows(response)
            assert rows == [], model
        else:
            assert response.status_code in (302, 403, 404), model
    assert not PersonalDataLog.objects.filter(community=ledgers["b"]).exists()
    response = client.get(reverse("admin:communities_volunteer_export"))  # import page's
    names = column(*sheet_rows(response), "姓名")
    assert "乙志愿" not in names


# --- formula escaping --------------------------------------------------------------------------


@pytest.mark.django_db
def test_formula_text_is_written_as_text(client, ledgers):
    client.force_login(ledgers["user_a"])
    header, rows = sheet_rows(client.get(_portal("special_groups_export", ledgers["a"])))
    assert "'=cmd|' /C calc'!A0" in column(header, rows, "姓名")
    header, rows = sheet_rows(client.get(_portal("volunteers_export", ledgers["a"])))
    assert "'=1+1" in column(header, rows, "服务特长")
    response = client.get(_portal("volunteers_export", ledgers["a"]))
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# --- queries fixed at two sizes --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "special_groups_export",
        "volunteers_export",
        "volunteer_services_export",
        "households_export",
    ],
)
def test_export_query_count_is_fixed(client, ledgers, name, django_assert_max_num_queries):
    from tests.helpers import query_count

    client.force_login(ledgers["user_a"])
    url = _portal(name, ledgers["a"])
    small = query_count(client, url)
    household = HouseholdFactory(unit=UnitFactory(community=ledgers["a"]))
    for _i in range(12):
        resident = ResidentFactory(household=household)
        SpecialGroupMemberFactory(resident=resident)
        VolunteerServiceFactory(volunteer=VolunteerFactory(community=ledgers["a"]))
        HouseholdFactory(unit=household.unit)
    with django_assert_max_num_queries(small):
        response = client.get(url)
        b"".join(response.streaming_content)


# --- an export with full values re-imports unchanged ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("reveal", [True, False])
def test_volunteer_export_reimports_unchanged_only_with_full_values(ledgers, reveal):
    """A full export re-imports as all "unchanged"; a masked one is refused row by row
    (a masked phone is never taken for a real one) and changes nothing."""
    user = ledgers["user_a"]
    stream = io.BytesIO()
    rows = ledger_export(
        ledger=VOLUNTEERS,
        user=user,
        queryset=Volunteer.objects.filter(community=ledgers["a"]),
        filters="",
        reveal=reveal,
        stream=stream,
    )
    assert rows == 2
    before = list(Volunteer.objects.order_by("pk").values_list("name", "phone"))
    job = import_job_create(
        user=user,
        spec=get_spec("volunteers"),
        community=ledgers["a"],
        upload=SimpleUploadedFile("v.xlsx", stream.getvalue()),
    )
    import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    if reveal:
        assert (job.rows_new, job.rows_updated, job.rows_unchanged, job.rows_invalid) == (
            0,
            0,
            2,
            0,
        ), job.errors
    else:
        assert job.rows_invalid == 2 and not job.can_confirm
    assert list(Volunteer.objects.order_by("pk").values_list("name", "phone")) == before
