"""Personal data in the ledgers (issue #4): ID numbers and phones masked in every list,
detail, history, export and API response; reveals only for the permitted roles and always
logged; special targets invisible to other roles and every view logged; exports logged with
their filter and row count, cells formula-escaped."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from communities.ledger_exports import resident_export
from communities.models import PersonalDataAction, PersonalDataLog
from core.models import Role
from tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    SpecialTargetFactory,
    UnitFactory,
    user_with_role,
)

PHONE = "13812345678"


def xlsx_rows(response) -> list[list]:
    """The data rows (without the header) of an .xlsx download."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return rows[1:]


@pytest.fixture
def person(ab):
    household = HouseholdFactory(unit=UnitFactory(community=ab["a"]), phone="13900001111")
    resident = ResidentFactory(household=household, name="张建华", phone=PHONE)
    other = ResidentFactory(community=ab["b"], name="乙居民")
    return {**ab, "resident": resident, "household": household, "other": other}


def _no_personal_data(body: str, resident) -> None:
    assert resident.id_number not in body
    assert resident.phone not in body
    assert resident.id_number[:4] + "**********" + resident.id_number[-4:] in body


# --- masking everywhere -------------------------------------------------------------------


@pytest.mark.django_db
def test_full_id_and_phone_never_shown_by_default(client, person):
    resident = person["resident"]
    client.force_login(person["user_a"])  # a committee director: may reveal, has not
    pages = [
        reverse("ledgers:residents", args=[person["a"].pk]),
        reverse("ledgers:resident", args=[resident.pk]),
        reverse("ledgers:household", args=[person["household"].pk]),
        reverse("admin:communities_resident_changelist"),
        reverse("admin:communities_resident_change", args=[resident.pk]),
        reverse("admin:communities_household_change", args=[person["household"].pk]),
    ]
    for url in pages:
        body = client.get(url).content.decode()
        _no_personal_data(body, resident)
        assert "13900001111" not in body, url
    history = client.get(reverse("admin:communities_resident_history", args=[resident.pk]))
    assert resident.id_number not in history.content.decode()
    for url in [reverse("resident-list"), reverse("resident-detail", args=[resident.pk])]:
        body = client.get(url).content.decode()
        _no_personal_data(body, resident)
    assert not PersonalDataLog.objects.exists()


@pytest.mark.django_db
def test_history_masks_an_id_correction(client, person):
    from communities import ledger_services as ls
    from tests.factories import valid_id_number

    resident = person["resident"]
    old = resident.id_number
    resident.id_number = valid_id_number(resident.birth_date, 998)
    ls.resident_save(user=person["user_a"], resident=resident)
    client.force_login(person["user_a"])
    body = client.get(reverse("admin:communities_resident_history", args=[resident.pk]))
    body = body.content.decode()
    assert old not in body and resident.id_number not in body
    assert "id_number" in body  # the change itself is shown, masked


@pytest.mark.django_db
def test_export_is_masked_escaped_and_logged(client, person):
    ResidentFactory(household=person["household"], name="=HYPERLINK(1)", phone="")
    client.force_login(person["user_a"])
    url = reverse("ledgers:residents_export", args=[person["a"].pk])
    response = client.get(url, {"q": "zjh"})
    rows = xlsx_rows(response)
    assert len(rows) == 1
    flat = " ".join(str(c) for c in rows[0])
    assert person["resident"].id_number not in flat and PHONE not in flat
    assert "138****5678" in flat
    log = PersonalDataLog.objects.get()
    assert (log.action, log.rows, log.community, log.user) == (
        PersonalDataAction.EXPORT,
        1,
        person["a"],
        person["user_a"],
    )
    assert "搜索=zjh" in log.filters and log.fields == ""
    names = [r[2] for r in xlsx_rows(client.get(url))]
    assert "'=HYPERLINK(1)" in names


@pytest.mark.django_db
def test_full_export_only_for_permitted_roles_and_logged(client, person):
    url = reverse("ledgers:residents_export", args=[person["a"].pk])
    grid = user_with_role(Role.GRID_WORKER, community=person["a"])
    client.force_login(grid)
    assert client.post(url, {"reveal": "1"}).status_code == 403
    assert not PersonalDataLog.objects.exists()
    client.force_login(person["user_a"])
    rows = xlsx_rows(client.post(url, {"reveal": "1"}))
    assert person["resident"].id_number in [r[6] for r in rows]
    log = PersonalDataLog.objects.get()
    assert log.fields == "id_number,phone" and log.rows == 1


def test_resident_export_writes_to_any_stream_and_refuses_reveal_without_permission(db, person):
    from django.core.exceptions import PermissionDenied

    stream = io.BytesIO()
    rows = resident_export(user=person["user_a"], filters={}, stream=stream)
    assert rows == 1 and stream.getvalue()[:2] == b"PK"
    member = user_with_role(Role.MEMBER, community=person["a"])
    with pytest.raises(PermissionDenied):
        resident_export(user=member, filters={}, reveal=True, stream=io.BytesIO())


# --- reveal -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, allowed",
    [
        (Role.PARTY_SECRETARY, True),
        (Role.COMMITTEE_DIRECTOR, True),
        (Role.STREET_ADMIN, True),
        (Role.GRID_WORKER, False),
        (Role.MEMBER, False),
        (Role.ACCOUNTANT, False),
        (Role.CASHIER, False),
        (Role.DEPUTY, False),
    ],
)
def test_reveal_per_role_and_logged(client, person, role, allowed):
    resident = person["resident"]
    user = user_with_role(role, community=person["a"])
    client.force_login(user)
    portal = client.post(reverse("ledgers:resident_reveal", args=[resident.pk]))
    api = client.post(reverse("resident-reveal", args=[resident.pk]))
    if allowed:
        assert portal.status_code == 200 and resident.id_number in portal.content.decode()
        assert api.status_code == 200 and api.json() == {
            "id_number": resident.id_number,
            "phone": PHONE,
        }
        logs = PersonalDataLog.objects.filter(user=user, action=PersonalDataAction.REVEAL)
        assert logs.count() == 2
        log = logs.first()
        assert (log.model, log.object_id, log.community) == ("resident", resident.pk, person["a"])
        assert log.fields == "id_number,phone" and log.ip == "127.0.0.1"
        detail = client.get(reverse("ledgers:resident", args=[resident.pk])).content.decode()
        assert "查看完整身份证号和电话" in detail
    else:
        assert portal.status_code == 403 and api.status_code == 403
        assert not PersonalDataLog.objects.exists()
        detail = client.get(reverse("ledgers:resident", args=[resident.pk])).content.decode()
        assert "查看完整身份证号和电话" not in detail


@pytest.mark.django_db
def test_reveal_is_post_only_and_another_communitys_record_is_404(client, person):
    client.force_login(person["user_a"])
    assert (
        client.get(reverse("ledgers:resident_reveal", args=[person["resident"].pk])).status_code
        == 405
    )
    assert (
        client.post(reverse("ledgers:resident_reveal", args=[person["other"].pk])).status_code
        == 404
    )
    assert client.post(reverse("resident-reveal", args=[person["other"].pk])).status_code == 404
    url = reverse("admin:communities_resident_reveal", args=[person["other"].pk])
    assert client.post(url).status_code == 404
    assert not PersonalDataLog.objects.exists()


@pytest.mark.django_db
def test_admin_reveal_button_and_view(client, person):
    resident = person["resident"]
    client.force_login(person["user_a"])
    change = client.get(reverse("admin:communities_resident_change", args=[resident.pk]))
    assert "查看完整信息（将记录）" in change.content.decode()
    url = reverse("admin:communities_resident_reveal", args=[resident.pk])
    assert client.get(url).status_code == 405
    body = client.post(url).content.decode()
    assert resident.id_number in body and PHONE in body
    assert PersonalDataLog.objects.filter(action="reveal", object_id=resident.pk).count() == 1
    grid = user_with_role(Role.GRID_WORKER, community=person["a"])
    client.force_login(grid)
    # grid workers do not use the admin; were they staff, the reveal is still refused
    assert client.post(url).status_code in (302, 403)


# --- special targets ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.MEMBER, Role.DEPUTY])
def test_special_targets_invisible_to_other_roles(client, person, role):
    target = SpecialTargetFactory(resident=person["resident"])
    user = user_with_role(role, community=person["a"])
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(reverse("specialtarget-list")).status_code == 403
    assert client.get(reverse("specialtarget-detail", args=[target.pk])).status_code in (403, 404)
    assert client.get(reverse("admin:communities_specialtarget_changelist")).status_code == 403
    url = reverse("admin:communities_specialtarget_change", args=[target.pk])
    assert client.get(url).status_code in (403, 404)
    assert not PersonalDataLog.objects.exists()


@pytest.mark.django_db
def test_special_target_views_are_logged(client, person):
    target = SpecialTargetFactory(resident=person["resident"])
    SpecialTargetFactory(resident=person["other"])  # another community's: never shown
    client.force_login(person["user_a"])
    listing = client.get(reverse("specialtarget-list")).json()
    assert [row["id"] for row in listing["results"]] == [target.pk]
    client.get(reverse("specialtarget-detail", args=[target.pk]))
    body = client.get(reverse("admin:communities_specialtarget_changelist")).content.decode()
    assert person["resident"].name in body and "乙居民" not in body
    client.get(reverse("admin:communities_specialtarget_change", args=[target.pk]))
    logs = list(
        PersonalDataLog.objects.filter(action=PersonalDataAction.VIEW_SPECIAL).order_by("id")
    )
    assert [(log.object_id, log.rows) for log in logs] == [
        (None, 1),
        (target.pk, 1),
        (None, 1),
        (target.pk, 1),
    ]
    assert {log.community_id for log in logs} == {person["a"].pk}


# --- the access log -----------------------------------------------------------------------


@pytest.mark.django_db
def test_access_log_is_for_the_street_admin_only(client, person):
    client.force_login(person["user_a"])
    client.post(reverse("resident-reveal", args=[person["resident"].pk]))
    url = reverse("admin:communities_personaldatalog_changelist")
    assert client.get(url).status_code == 403
    admin_user = user_with_role(Role.STREET_ADMIN, street=person["a"].street)
    client.force_login(admin_user)
    body = client.get(url).content.decode()
    assert "resident" in body
    log = PersonalDataLog.objects.get()
    change = client.get(reverse("admin:communities_personaldatalog_change", args=[log.pk]))
    assert change.status_code == 200
    assert (
        client.post(reverse("admin:communities_personaldatalog_delete", args=[log.pk])).status_code
        == 403
    )
    assert json.loads(json.dumps(PersonalDataLog.objects.count())) == 1
