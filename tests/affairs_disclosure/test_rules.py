"""Pure rules of affairs disclosure at their boundaries: DISC-2 blocks, reminder window and
block status, masked names and the personal-data check, tables, attachment sniffing."""

import datetime as dt

import pytest

from affairs_disclosure import rules
from affairs_disclosure.models import Category

D = dt.date


@pytest.mark.parametrize(
    "day, interval, label, first, last",
    [
        (D(2026, 3, 31), 3, "2026-Q1", D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 4, 1), 3, "2026-Q2", D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 12, 31), 3, "2026-Q4", D(2026, 10, 1), D(2026, 12, 31)),
        (D(2026, 2, 28), 1, "2026-02", D(2026, 2, 1), D(2026, 2, 28)),
        (D(2026, 7, 1), 6, "2026-H2", D(2026, 7, 1), D(2026, 12, 31)),
        (D(2026, 7, 1), 12, "2026", D(2026, 1, 1), D(2026, 12, 31)),
        (D(2026, 5, 1), 5, "2026-Q2", D(2026, 4, 1), D(2026, 6, 30)),  # not a divisor: quarter
    ],
)
def test_disc2_blocks_tile_the_year(day, interval, label, first, last):
    block = rules.block_of(day, interval)
    assert (block.label, block.first, block.last) == (label, first, last)


def test_disc2_previous_block_crosses_the_year():
    block = rules.previous_block(rules.block_of(D(2026, 1, 15), 3), 3)
    assert block.label == "2025-Q4" and block.last == D(2025, 12, 31)


@pytest.mark.parametrize(
    "day, due", [(D(2026, 3, 15), False), (D(2026, 3, 16), True), (D(2026, 3, 31), True)]
)
def test_disc2_reminder_window_is_15_days_before_the_quarter_end(day, due):
    block = rules.block_of(D(2026, 3, 1), 3)
    assert rules.reminder_due(day, block, 15) is due


def test_disc2_reminder_window_closes_after_the_last_day():
    block = rules.block_of(D(2026, 3, 1), 3)
    assert not rules.reminder_due(D(2026, 4, 1), block, 15)


Q1 = rules.block_of(D(2026, 2, 1), 3)


@pytest.mark.parametrize(
    "published, today, expected",
    [
        ([(2026, 1, None, D(2026, 3, 31))], D(2026, 4, 1), (rules.OK, D(2026, 3, 31))),
        ([(2026, 1, None, D(2026, 4, 1))], D(2026, 4, 2), (rules.LATE, D(2026, 4, 1))),
        # the Q4 statement posted in Q1 is Q1's publication
        ([(2025, 4, None, D(2026, 1, 20))], D(2026, 4, 1), (rules.OK, D(2026, 1, 20))),
        ([], D(2026, 3, 31), (rules.PENDING, None)),
        ([], D(2026, 4, 1), (rules.MISSING, None)),
        # about another quarter and published after Q1: says nothing about Q1
        ([(2026, 2, None, D(2026, 4, 2))], D(2026, 4, 3), (rules.MISSING, None)),
        # a monthly release of March published late counts as late for Q1
        ([(2026, 1, 3, D(2026, 4, 3))], D(2026, 4, 5), (rules.LATE, D(2026, 4, 3))),
    ],
)
def test_disc2_block_status_at_the_last_day(published, today, expected):
    assert rules.block_status(Q1, published, today) == expected


@pytest.mark.parametrize(
    "name, masked",
    [("张建华", "张*华"), ("李明", "李*"), ("欧阳修文", "欧**文"), ("王", "*"), ("", "")],
)
def test_mask_name(name, masked):
    assert rules.mask_name(name) == masked


@pytest.mark.parametrize(
    "text, found",
    [
        ("身份证 220104195001010011", ["身份证号"]),
        ("2201 0419 5001 0100 1X", ["身份证号"]),
        ("电话 13912345678", ["手机号码"]),
        ("电话 139-1234-5678", ["手机号码"]),
        ("办公电话 0431-88880000，金额 650.00 元，3 人", []),
        ("编号 1391234567", []),  # 10 digits: not a mobile number
    ],
)
def test_personal_data_found(text, found):
    assert rules.personal_data_found(text) == found


def test_tables_problem_accepts_the_shape_and_refuses_others():
    good = [{"title": "表", "columns": ["a", "b"], "rows": [["1", 2], ["x", 3.5]]}]
    assert rules.tables_problem(good) is None
    assert rules.tables_problem({"rows": []})
    assert rules.tables_problem([{"columns": ["a"], "rows": [["1", "2"]]}])
    assert rules.tables_problem([{"columns": ["a"], "rows": [[{"x": 1}]]}])
    assert rules.tables_problem([{"columns": ["a"], "rows": [["x" * 301]]}])
    assert rules.tables_problem([{"columns": ["a"], "rows": [], "script": "x"}])


def test_parse_table_text():
    assert rules.parse_table_text("项目|金额\n\n办公费｜100\n活动\t50") == [
        ["项目", "金额"],
        ["办公费", "100"],
        ["活动", "50"],
    ]


@pytest.mark.parametrize(
    "name, head, expected",
    [
        ("a.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("a.JPG", b"\xff\xd8\xff\xe0", "image/jpeg"),
        ("a.pdf", b"%PDF-1.7", "application/pdf"),
        ("a.pdf", b"\x89PNG\r\n\x1a\n", None),  # a PNG called .pdf
        ("a.svg", b"<svg onload=alert(1)>", None),
        ("a.html", b"<script>", None),
        ("a.png", b"MZ\x90\x00", None),
    ],
)
def test_sniff_attachment(name, head, expected):
    assert rules.sniff_attachment(name, head) == expected


def test_required_categories_and_financial():
    assert Category.FINANCE in rules.REQUIRED_CATEGORIES
    assert rules.needs_stamp(Category.FINANCE) and not rules.needs_stamp(Category.DIBAO)
    assert rules.question_due(D(2026, 1, 1), 15) == D(2026, 1, 16)
    assert rules.question_due(D(2026, 12, 25), 7) == D(2027, 1, 1)
