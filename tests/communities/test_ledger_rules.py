"""Pure ledger rules (issue #4, ORG-13): ID numbers checked and read, masks, pinyin
initials, address order, age groups, review age."""

import datetime as dt
from types import SimpleNamespace

import pytest

from communities import rules

VALID = "11010519491231002X"  # GB 11643 example: female, born 1949-12-31, 北京市朝阳区


def _with_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, rules._ID_WEIGHTS, strict=True))
    return first17 + rules._ID_CHECK[total % 11]


def test_valid_id_gives_birth_date_and_gender():
    info = rules.parse_id_number(VALID)
    assert info.valid and info.birth_date == dt.date(1949, 12, 31) and info.gender == "female"
    male = rules.parse_id_number(_with_check_digit("22010419800101001"))
    assert male.valid and male.gender == "male"


def test_the_check_digit_agrees_with_the_weighted_sum_of_gb_11643():
    """parse_id_number computes the check in one step (base 13); every other check digit
    of the same 17 digits is refused, for thousands of numbers."""
    import random

    draw = random.Random(11643)
    for _ in range(3000):
        birth = dt.date(1900, 1, 1) + dt.timedelta(days=draw.randrange(45000))
        first17 = f"110105{birth:%Y%m%d}{draw.randrange(1000):03d}"
        good = _with_check_digit(first17)
        assert rules.parse_id_number(good, dt.date(2030, 1, 1)).valid, good
        for digit in "0123456789X":
            if digit != good[17]:
                assert not rules.parse_id_number(first17 + digit).valid


@pytest.mark.parametrize(
    "value, normalised",
    [
        ("11010519491231002x", VALID),
        (" 1101 0519 4912 3100 2X ", VALID),
        ("１１０１０５１９４９１２３１００２Ｘ", VALID),
    ],
)
def test_id_is_normalised(value, normalised):
    info = rules.parse_id_number(value)
    assert info.valid and info.number == normalised


@pytest.mark.parametrize(
    "value, reason",
    [
        ("", "未填写"),
        ("11010519491231002", "18 位"),
        ("1101051949123100211", "18 位"),
        ("1.10105194912310E+17", "18 位"),  # an ID read by Excel as a number
        ("110105194912310021", "校验码"),
        (_with_check_digit("11010519490230002"), "出生日期不存在"),  # 30 February
        (_with_check_digit("11010521000101002"), "不合理"),  # born in 2100
        (_with_check_digit("99999919800101002"), "地区代码"),
    ],
)
def test_invalid_ids_say_why(value, reason):
    info = rules.parse_id_number(value, today=dt.date(2026, 11, 23))
    assert not info.valid and reason in info.error


def test_birth_today_is_valid_tomorrow_is_not():
    today = dt.date(2026, 11, 23)
    assert rules.parse_id_number(_with_check_digit("22010420261123002"), today=today).valid
    assert not rules.parse_id_number(_with_check_digit("22010420261124002"), today=today).valid


def test_masks():
    assert rules.mask_id("22010119800101123X") == "2201**********123X"
    assert rules.mask_phone("13812345678") == "138****5678"
    assert rules.mask_id("") == "" and rules.mask_phone("") == ""
    assert rules.mask_phone("1234567") == "*******"


def test_pinyin_initials():
    assert rules.name_initials("张建华") == "zjh"
    assert rules.name_initials("") == ""


def test_address_order_compares_numbers_by_value():
    a = rules.address_order(1, "2栋", 1, "1单元", "301")
    b = rules.address_order(1, "10栋", 1, "1单元", "101")
    c = rules.address_order(1, "2栋", 1, "1单元", "1201")
    assert a < c < b


@pytest.mark.parametrize(
    "birth, group",
    [
        (dt.date(1946, 11, 23), "80+"),  # 80 today
        (dt.date(1946, 11, 24), "60+"),  # 80 tomorrow
        (dt.date(1966, 11, 23), "60+"),
        (dt.date(1966, 11, 24), "18-59"),
        (dt.date(2008, 11, 24), "0-17"),
        (None, ""),
    ],
)
def test_age_groups_at_birthdays(birth, group):
    assert rules.age_group(birth, dt.date(2026, 11, 23)) == group


def test_review_overdue_at_the_profile_boundary():
    profile = SimpleNamespace(ledger_review_days=365)
    today = dt.date(2026, 11, 23)
    assert not rules.review_overdue(today - dt.timedelta(days=365), today, today, profile)
    assert rules.review_overdue(today - dt.timedelta(days=366), today, today, profile)
    assert rules.review_overdue(None, today - dt.timedelta(days=366), today, profile)
