"""Pure predicates and calculations of affairs disclosure (居务公开, DISC-1..7 with FIN-7).
No database access: the services, checks, reminders and views call these.

Periods: an item is for a quarter (year + quarter) or, for the monthly information release of
DISC-6, a month (which also fixes its quarter). Disclosure is due at the end of each block of
`profile.disclosure_interval_months` months counted from 1 January (DISC-2, 003 四(三)
"原则上应每季度末…公布一次": 3 months by default, so the blocks are the quarters)."""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from affairs_disclosure.models import Category

# DISC-2 (003 四(三)): what has to be on the board at each block's end. The conditional items
# of DISC-1 — (3) assembly resolutions, (5) relief donations, (7) other matters — are due when
# they happen, which the system cannot know, so they are not reminded; DISC-6 monthly releases
# and DISC-7 party affairs have no quarterly deadline in the seeds.
REQUIRED_CATEGORIES = (
    Category.DUTIES,
    Category.FINANCE,
    Category.DIBAO,
    Category.REGULAR_RELIEF,
)

# DISC-3 / FIN-7 (003 十四(七)): the financial disclosure is reviewed and stamped by the street
# supervision committee before it is posted.
FINANCIAL_CATEGORIES = frozenset({Category.FINANCE})

# Lists of named residents (DISC-1(4)(6)): published with masked names only, and checked for
# ID numbers and mobile numbers before approval and publication (MCA 最低生活保障审核确认办法
# 第二十四条; 社会救助暂行办法 第六十一条).
PERSONAL_LIST_CATEGORIES = frozenset({Category.DIBAO, Category.RELIEF, Category.REGULAR_RELIEF})

# Generated lists: which special groups of the ledgers (communities.SpecialGroupType.code)
# make up each list.
LIST_GROUP_CODES = {
    Category.DIBAO: ("dibao",),
    Category.REGULAR_RELIEF: ("tekun",),
}

# DISC-4 (003 四(四) "及时查处并公布调查处理结果"): the seed names no time limit, so the
# days are the profile's question_reply_days (a system parameter; default 15, the time
# 《信访条例》(2005) 第二十二条 gave an office to tell a petitioner in writing whether it
# takes the matter up). Each question keeps the deadline it got when it arrived (due_on).
QUESTION_MAX_CHARS = 500
QUESTION_MIN_CHARS = 5
QUESTION_CONTACT_MAX_CHARS = 50
REPLY_MAX_CHARS = 2000
# How many questions one address (IP) may send per hour before the form refuses.
QUESTIONS_PER_IP_PER_HOUR = 5

# Attachments: images at most 5 MB (core.validators), PDFs at most 10 MB.
IMAGE_MAX_BYTES = 5 * 1024 * 1024
PDF_MAX_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20

# Tables (JSON): bounded so that a page stays small on a cheap phone.
MAX_TABLES = 10
MAX_COLUMNS = 12
MAX_ROWS = 2000
MAX_CELL_CHARS = 300
MAX_TITLE_CHARS = 100


# --- periods -----------------------------------------------------------------------------------


def quarter_of_month(month: int) -> int:
    return (month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, 3 * (quarter - 1) + 1, 1)
    return first, month_last(year, 3 * quarter)


def month_last(year: int, month: int) -> dt.date:
    nxt = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return nxt - dt.timedelta(days=1)


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def period_months(year: int, quarter: int, month: int | None) -> tuple[int, int]:
    """The item's period as (first, last) month numbers counted from year 0 (year*12+m-1)."""
    if month:
        index = year * 12 + month - 1
        return index, index
    first = year * 12 + 3 * (quarter - 1)
    return first, first + 2


def effective_interval(interval_months: int) -> int:
    """DISC-2 blocks must tile the year: 1, 2, 3, 4, 6 or 12 months. Any other profile value
    falls back to the seed's quarter (003 四(三))."""
    return interval_months if interval_months in (1, 2, 3, 4, 6, 12) else 3


@dataclass(frozen=True)
class Block:
    """One disclosure block (DISC-2): its label (the Reminder period), first and last day."""

    label: str
    first: dt.date
    last: dt.date

    @property
    def months(self) -> tuple[int, int]:
        return (
            self.first.year * 12 + self.first.month - 1,
            self.last.year * 12 + self.last.month - 1,
        )


def block_of(day: dt.date, interval_months: int) -> Block:
    """DISC-2: the block of `interval_months` months (from 1 January) that contains `day`;
    disclosure is due on its last day ("每季度末", 003 四(三))."""
    n = effective_interval(interval_months)
    index = (day.month - 1) // n
    first_month = index * n + 1
    last_month = first_month + n - 1
    if n == 3:
        label = quarter_label(day.year, index + 1)
    elif n == 1:
        label = f"{day.year}-{first_month:02d}"
    elif n == 6:
        label = f"{day.year}-H{index + 1}"
    elif n == 12:
        label = str(day.year)
    else:
        label = f"{day.year}-P{index + 1}of{12 // n}"
    return Block(label, dt.date(day.year, first_month, 1), month_last(day.year, last_month))


def previous_block(block: Block, interval_months: int) -> Block:
    return block_of(block.first - dt.timedelta(days=1), interval_months)


def covers(block: Block, year: int, quarter: int, month: int | None) -> bool:
    """An item counts for a block when its period overlaps the block's months."""
    first, last = period_months(year, quarter, month)
    b_first, b_last = block.months
    return first <= b_last and last >= b_first


def reminder_due(day: dt.date, block: Block, reminder_days: int) -> bool:
    """DISC-2: from `reminder_days` days before the block's last day up to that day
    (both included) the block's missing disclosures are reminded."""
    return block.last - dt.timedelta(days=reminder_days) <= day <= block.last


# DISC-2 status of one category in one block.
OK, LATE, MISSING, PENDING = "ok", "late", "missing", "pending"


def block_status(block: Block, published, today: dt.date) -> tuple[str, dt.date | None]:
    """DISC-2 (003 四(三) "原则上应每季度末…公布一次"): at least one publication of the
    category on a day within the block, the block's last day included. `published` holds
    (year, quarter, month, published_on) of the category's public items. Returns

    - (OK, first day published within the block);
    - (LATE, first day) when nothing was published within the block but an item about the
      block's period came after its last day;
    - (MISSING, None) when the block is over with neither;
    - (PENDING, None) while the block runs.

    The period an item is about does not decide: the quarterly financial statement is made
    after its quarter ends (finance), so the Q1 statement posted in Q2 is Q2's publication."""
    within = [p for _y, _q, _m, p in published if block.first <= p <= block.last]
    if within:
        return OK, min(within)
    about = [p for y, q, m, p in published if covers(block, y, q, m) and p > block.last]
    if about:
        return LATE, min(about)
    return (MISSING, None) if today > block.last else (PENDING, None)


def is_met(status: str) -> bool:
    """The block's duty is settled (on time, or remedied late): its reminder closes."""
    return status in (OK, LATE)


# --- workflow ----------------------------------------------------------------------------------


def needs_stamp(category: str) -> bool:
    """DISC-3 / FIN-7: a financial disclosure is stamped by the street supervision committee."""
    return category in FINANCIAL_CATEGORIES


def stamp_precedes_publication(stamped_on: dt.date | None, published_on: dt.date) -> bool:
    """FIN-7 (003 十四(七) 上墙公布前必须进行审核签章): stamped on or before the posting day."""
    return stamped_on is not None and stamped_on <= published_on


def question_due(received_on: dt.date, reply_days: int) -> dt.date:
    """DISC-4: the day by which a resident's question is answered (`reply_days` from the
    community's profile)."""
    return received_on + dt.timedelta(days=reply_days)


# --- privacy (低保 and relief lists) -----------------------------------------------------------


def mask_name(name: str) -> str:
    """The name on a public list (MCA 最低生活保障审核确认办法 第二十四条; 社会救助暂行办法
    第六十一条): the first and the last character, the ones between starred — 张建华 → 张*华,
    欧阳修文 → 欧**文; a two-character name keeps its first character (李明 → 李*)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# 18-digit resident ID numbers (GB 11643; a 15-digit old number too), mainland mobile numbers.
_ID_RE = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?!\d)")
_MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def personal_data_found(text: str) -> list[str]:
    """What looks like an ID number or a mobile number in `text` (whitespace and hyphens
    inside numbers ignored), for the check before a list is approved or published."""
    compact = re.sub(r"(?<=\d)[\s-]+(?=[\dXx])", "", text or "")
    found = []
    if _ID_RE.search(compact):
        found.append(str(_("身份证号")))
    if _MOBILE_RE.search(compact):
        found.append(str(_("手机号码")))
    return found


def tables_text(tables) -> str:
    """All the text of an item's tables, for personal_data_found."""
    parts = []
    for table in tables or []:
        parts.append(str(table.get("title", "")))
        parts.extend(str(c) for c in table.get("columns", []))
        for row in table.get("rows", []):
            parts.extend(str(c) for c in row)
    return "\n".join(parts)


# --- tables and attachments ---------------------------------------------------------------------


def tables_problem(tables) -> str | None:
    """Why `tables` is not a valid list of {"title", "columns", "rows"} (None when it is)."""
    if not isinstance(tables, list):
        return str(_("表格数据应为列表"))
    if len(tables) > MAX_TABLES:
        return str(_("表格不能超过 %(n)s 个") % {"n": MAX_TABLES})
    for table in tables:
        if not isinstance(table, dict) or set(table) - {"title", "columns", "rows"}:
            return str(_("每个表格应包含标题（title）、列名（columns）和行（rows）"))
        title, columns, rows = table.get("title", ""), table.get("columns"), table.get("rows")
        if not isinstance(title, str) or len(title) > MAX_TITLE_CHARS:
            return str(_("表格标题应为不超过 %(n)s 字的文字") % {"n": MAX_TITLE_CHARS})
        if not isinstance(columns, list) or not 1 <= len(columns) <= MAX_COLUMNS:
            return str(_("每个表格应有 1—%(n)s 列") % {"n": MAX_COLUMNS})
        if not isinstance(rows, list) or len(rows) > MAX_ROWS:
            return str(_("每个表格不能超过 %(n)s 行") % {"n": MAX_ROWS})
        for row in [columns, *rows]:
            if not isinstance(row, list) or len(row) != len(columns):
                return str(_("表格每行的单元格数应与列数相同"))
            for cell in row:
                if isinstance(cell, bool) or not isinstance(cell, str | int | float):
                    return str(_("单元格只能是文字或数字"))
                if len(str(cell)) > MAX_CELL_CHARS:
                    return str(_("单元格不能超过 %(n)s 字") % {"n": MAX_CELL_CHARS})
    return None


def parse_table_text(text: str) -> list[list[str]]:
    """A table typed on a phone: one row a line, cells separated by a tab, "|" or "｜"; the
    first line holds the column names. Empty lines are skipped."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        cells = re.split(r"\t|\||｜", line)
        rows.append([cell.strip() for cell in cells])
    return rows


_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_EXTENSION_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
}
ATTACHMENT_EXTENSIONS = tuple(_EXTENSION_TYPES)


def sniff_attachment(name: str, head: bytes) -> str | None:
    """The content type of an attachment when its name and its first bytes agree on JPEG,
    PNG or PDF; None otherwise (a renamed script or an SVG is refused, so is a PNG called
    .pdf)."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = _EXTENSION_TYPES.get(ext)
    if expected is None:
        return None
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type if content_type == expected else None
    return None


def attachment_max_bytes(content_type: str) -> int:
    return PDF_MAX_BYTES if content_type == "application/pdf" else IMAGE_MAX_BYTES
