"""Policy profiles: presets per seed, validation, audit of edits."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from pghistory.models import Events

from core.models import PolicyProfile


@pytest.mark.django_db
def test_presets_exist_one_per_seed_plus_default():
    codes = set(PolicyProfile.objects.filter(is_preset=True).values_list("code", flat=True))
    assert codes == {
        "default",
        "seed-000-jinshan",
        "seed-001-shandong",
        "seed-002-reform",
        "seed-003-changchun",
        "seed-004-opinion",
    }


@pytest.mark.django_db
def test_presets_carry_the_numbers_where_seeds_disagree():
    p = {x.code: x for x in PolicyProfile.objects.all()}
    assert (
        p["seed-002-reform"].households_per_worker_high,
        p["default"].households_per_worker_high,
    ) == (300, 400)
    assert p["seed-002-reform"].funding_basis == "per_community"
    assert p["seed-001-shandong"].funding_basis == "per_1000_households"
    assert p["seed-003-changchun"].service_room_head == "committee_director"
    assert p["seed-002-reform"].service_room_head == "party_secretary"
    assert p["seed-004-opinion"].facility_checklist == "18r1h1s6b"
    assert p["default"].approval_street_from == Decimal("300")
    assert p["default"].cash_limit == Decimal("1000")
    assert p["default"].pay_days_per_month == Decimal("21.75")


@pytest.mark.django_db
def test_every_param_field_cites_a_rule():
    for field in PolicyProfile.param_fields():
        assert str(field.help_text).split("：")[0].split("-")[0] in {
            "ORG",
            "STAFF",
            "FIN",
            "DISC",
            "MEET",
            "ATT",
        }, field.name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "low, high, rule",
    [
        ("party_committee_min", "party_committee_max", "ORG-2"),
        ("committee_min", "committee_max", "ORG-3"),
        ("households_per_worker_low", "households_per_worker_high", "STAFF-1"),
    ],
)
def test_profile_min_greater_than_max_refused_with_chinese_message(low, high, rule):
    profile = PolicyProfile(code="mine", name="本街道方案")
    setattr(profile, low, 10)
    setattr(profile, high, 9)
    with pytest.raises(ValidationError) as err:
        profile.full_clean()
    assert rule in str(err.value.message_dict[low])
    assert "不得大于" in str(err.value.message_dict[low])
    # min == max is allowed (boundary)
    setattr(profile, low, 9)
    profile.full_clean()


@pytest.mark.django_db
def test_profile_min_greater_than_max_refused_by_the_database_too():
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyProfile.objects.create(code="x", name="x", committee_min=10, committee_max=9)


@pytest.mark.django_db
def test_fin3_tiers_must_be_ordered():
    profile = PolicyProfile(
        code="y", name="y", approval_street_from=1000, approval_collective_from=999
    )
    with pytest.raises(ValidationError, match="FIN-3"):
        profile.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("pct, ok", [(9, False), (10, True), (20, True), (21, False)])
def test_staff2_catch_up_between_10_and_20_percent(pct, ok):
    profile = PolicyProfile(code=f"w{pct}", name=f"w{pct}", wage_catchup_pct=pct)
    if ok:
        profile.full_clean()
    else:
        with pytest.raises(ValidationError):
            profile.full_clean()


@pytest.mark.django_db
def test_profile_edits_are_audited_even_through_bulk_update():
    profile = PolicyProfile.objects.create(code="audit", name="审计测试")
    PolicyProfile.objects.filter(pk=profile.pk).update(committee_max=8)
    events = list(Events.objects.tracks(profile).order_by("pgh_created_at", "pgh_id"))
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert events[-1].pgh_diff["committee_max"] == [9, 8]


@pytest.mark.django_db
def test_snapshot_is_json_ready_and_limited_to_named_params():
    profile = PolicyProfile.objects.get(code="default")
    snap = profile.snapshot(["committee_min", "cash_limit"])
    assert snap == {"committee_min": "5", "cash_limit": "1000.00"}
