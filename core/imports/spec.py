"""Import specs: what one Excel ledger looks like and how one row reaches the database.

A spec is a class per ledger (staffing.imports.RosterSpec, later the households ledger of
issue #4), registered with @register. It declares its columns, which rows count as the same
record (natural key) and `apply_row`, which matches the row against the database and saves
it through the app's service, so every rule (RuleViolation and its rule id) applies to
imports exactly as to the admin, the portal and the API.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exports import FORMULA_PREFIXES

TEXT, INT, DECIMAL, DATE, CHOICE, BOOL = "text", "int", "decimal", "date", "choice", "bool"

TYPE_LABELS = {
    TEXT: gettext_lazy("文本"),
    INT: gettext_lazy("整数"),
    DECIMAL: gettext_lazy("数字"),
    DATE: gettext_lazy("日期（如 2024-01-31）"),
    CHOICE: gettext_lazy("下拉选择"),
    BOOL: gettext_lazy("是 / 否"),
}

TRUE_WORDS = frozenset({"是", "true", "yes", "y", "1", "√"})
FALSE_WORDS = frozenset({"否", "false", "no", "n", "0", "×"})

_DATE_SEP = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SPACES = re.compile(r"[\s\u3000*＊]+")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")


class Outcome(StrEnum):
    """What applying one row did (or, during validation, would do)."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message says why, in Chinese."""


class RowError(Exception):
    """A row refused by the spec (not by a service): `column` is the key of the column the
    reason is about, or None for the row as a whole."""

    def __init__(self, message, *, column: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.column = column


def normalize_header(text) -> str:
    """Headers compare without spaces, line breaks and the required mark (*)."""
    return _SPACES.sub("", str(text or "")).lower()


def in_every_language(text) -> set[str]:
    """A lazy string in every language of settings.LANGUAGES (a template downloaded in
    English imports as well as a Chinese one)."""
    out = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out.add(str(text))
    return out


def unquote_formula(text: str) -> str:
    """core.exports.safe_cell writes "'=..." for text starting with a formula character;
    reading it back gives the original text, so an export re-imports unchanged."""
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_PREFIXES:
        return text[1:]
    return text


@dataclass(frozen=True)
class Column:
    """One column of a ledger sheet. `key` is the spec's name for the value (usually the
    model field); `header` the Chinese heading; `choices` a TextChoices class whose labels are
    the dropdown; `header_optional` columns may be missing from the file altogether."""

    key: str
    header: Any
    type: str = TEXT
    required: bool = False
    choices: Any = None
    width: int = 14
    example: Any = ""
    help: Any = ""
    max_length: int | None = None
    decimal_places: int | None = None
    header_optional: bool = False
    # TEXT columns of long digit strings (ID numbers): a cell Excel stored as a number has
    # lost its last digits (15 significant digits), so it is refused instead of read.
    text_only: bool = False

    def headers(self) -> set[str]:
        return {normalize_header(h) for h in in_every_language(self.header)} | {
            normalize_header(self.key)
        }

    def labels(self) -> list[str]:
        """The dropdown entries (choices' labels, or 是/否) in the active language."""
        if self.type == CHOICE:
            return [str(label) for label in self.choices.labels]
        if self.type == BOOL:
            return [_("是"), _("否")]
        return []

    def _choice_lookup(self) -> dict[str, str]:
        return self._choices_by_text

    @functools.cached_property
    def _choices_by_text(self) -> dict[str, str]:
        """Normalised value or label (in every language) -> value; computed once."""
        lookup = {}
        for value, label in self.choices.choices:
            lookup[normalize_header(value)] = value
            for text in in_every_language(label):
                lookup[normalize_header(text)] = value
        return lookup

    def parse(self, raw):
        """The cell's value as the column's Python type, None when empty. Raises CellError."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                raise CellError(_("必填项不能为空"))
            return None
        if self.text_only:
            self._check_text(raw)
        parser = getattr(self, f"_parse_{self.type}")
        return parser(raw)

    def _check_text(self, raw) -> None:
        if (isinstance(raw, int | float) and not isinstance(raw, bool)) or (
            isinstance(raw, str) and _SCIENTIFIC.match(raw.strip())
        ):
            raise CellError(
                _(
                    "Excel 把这一格存成了数字（如 2.20104E+17），长数字的末几位已丢失。"
                    "请把该列设置为“文本”格式后重新填写"
                )
            )

    def parser(self):
        """A function raw -> value doing what parse() does, with the common cases (a text
        cell, a choice typed as its label) first: the bulk path calls it per cell."""
        parse, required, max_length = self.parse, self.required, self.max_length
        if self.type == TEXT:
            text_only = self.text_only

            def parse_text(raw):
                if raw.__class__ is not str:
                    return parse(raw)
                text = raw.strip()
                if not text:
                    if required:
                        raise CellError(_("必填项不能为空"))
                    return None
                if text_only and ("e" in text or "E" in text):
                    self._check_text(text)
                if text[0] == "'":
                    text = unquote_formula(text)
                if max_length is not None and len(text) > max_length:
                    raise CellError(_("不能超过 %(n)s 个字符") % {"n": max_length})
                return text

            return parse_text
        if self.type == CHOICE:
            exact = {}
            for value, label in self.choices.choices:
                exact[value] = value
                for text in in_every_language(label):
                    exact[text] = value

            def parse_choice(raw):
                value = exact.get(raw) if raw.__class__ is str else None
                return value if value is not None else parse(raw)

            return parse_choice
        if self.type == DATE:
            known = {}  # dates typed as text, parsed once (a ledger repeats them)

            def parse_date(raw):
                kind = raw.__class__
                if kind is dt.date:
                    return raw
                if kind is dt.datetime:
                    return raw.date()
                if kind is not str:
                    return parse(raw)
                value = known.get(raw)
                if value is None:
                    value = parse(raw)
                    if len(known) >= 4096:
                        known.clear()
                    known[raw] = value
                return value

            return parse_date
        return parse

    def _parse_text(self, raw):
        if isinstance(raw, bool):
            text = _("是") if raw else _("否")
        elif isinstance(raw, float):
            text = str(int(raw)) if raw.is_integer() else repr(raw)
        elif isinstance(raw, dt.datetime | dt.date):
            text = raw.isoformat()
        else:
            text = unquote_formula(str(raw).strip())
        if self.max_length is not None and len(text) > self.max_length:
            raise CellError(_("不能超过 %(n)s 个字符") % {"n": self.max_length})
        return text

    def _parse_int(self, raw):
        number = self._parse_decimal(raw, kind=_("整数"))
        if number != number.to_integral_value():
            raise CellError(_("应为整数"))
        return int(number)

    def _parse_decimal(self, raw, kind=None):
        if isinstance(raw, bool | dt.date | dt.time | dt.timedelta):
            raise CellError(_("应为%(kind)s") % {"kind": kind or _("数字")})
        try:
            number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip())
        except InvalidOperation:
            try:  # numbers typed as text with thousands separators: "1,234.50"
                number = Decimal(str(raw).strip().replace(",", "").replace("，", ""))
            except InvalidOperation:
                raise CellError(_("应为%(kind)s") % {"kind": kind or _("数字")}) from None
        if not number.is_finite():
            raise CellError(_("应为%(kind)s") % {"kind": kind or _("数字")})
        places = self.decimal_places
        if places is not None and number != round(number, places):
            raise CellError(_("最多保留 %(n)s 位小数") % {"n": places})
        return number

    def _parse_date(self, raw):
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        match = _DATE_SEP.match(text) or _DATE_COMPACT.match(text)
        if match and not isinstance(raw, bool):
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                raise CellError(_("不是有效日期")) from None
        raise CellError(_("日期格式不正确，应为 2024-01-31 或 2024/1/31"))

    def _parse_choice(self, raw):
        value = self._choice_lookup().get(normalize_header(raw))
        if value is None:
            raise CellError(
                _("不是可选值，应为：%(labels)s") % {"labels": "、".join(self.labels())}
            )
        return value

    def _parse_bool(self, raw):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | float) and raw in (0, 1):
            return bool(raw)
        word = normalize_header(raw)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError(_("应填“是”或“否”"))

    def to_cell(self, value):
        """A Python value as the cell an export writes (labels for choices, 是/否)."""
        if value is None or value == "":
            return None
        if self.type == CHOICE:
            return str(self.choices(value).label) if value in self.choices.values else value
        if self.type == BOOL:
            return _("是") if value else _("否")
        return value


@dataclass
class Row:
    """One data row of the sheet: its Excel row number, the raw cells and the parsed values
    (by column key; a column missing from the file reads as None), and the keys of the
    cells that hold a formula."""

    number: int
    raw: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    formulas: frozenset = frozenset()


@dataclass
class BulkCheck:
    """What a bulk spec's set-based check found (spec.bulk_check): the outcome counts of the
    rows without errors, the number of rows with errors, and the first errors as
    (Excel row, column key or None, value, reason)."""

    counts: dict[str, int]
    invalid_rows: int = 0
    error_count: int = 0
    errors: list[tuple[int, str | None, Any, str]] = field(default_factory=list)


class ImportSpec:
    """Base class of a ledger's import. Subclasses set the attributes and implement
    `apply_row`; everything else (template, reading, checks, preview, apply, error report)
    is the framework's."""

    kind: str = ""  # URL-safe code, e.g. "roster"
    title: Any = ""  # Chinese title, e.g. 社区工作者花名册
    sheet_name: Any = ""  # the data sheet of the template
    columns: tuple[Column, ...] = ()
    # Permissions ("app.action_model") the user needs in the community a row goes to.
    perms: tuple[str, ...] = ()
    view_perm: str | None = None  # to export the current records (None: the spec's perms)
    # Key of the 社区 column: blank means the community chosen at upload; a street-wide
    # import (no community chosen) requires it. None: the spec has no such column.
    community_column: str | None = None
    rules: tuple[tuple[str, Any], ...] = ()  # (rule id, what it means for a row): notes sheet
    notes: tuple[Any, ...] = ()  # how rows are matched, what blank cells mean: notes sheet
    # Model field names whose errors belong to another column than the one of that name.
    field_columns: dict[str, str] = {}

    # Set-based ("bulk") mode, for ledgers of street size (core.imports.bulk): instead of
    # apply_row in a savepoint per row, the validation derives each row in Python
    # (`bulk_row`, no queries) into a staging table, checks and counts the whole set in SQL
    # (`bulk_check`), and the apply writes it with a few statements (`bulk_apply`).
    bulk: bool = False
    # (name, type) of the values bulk_row returns, type one of "text", "date", "int",
    # "bool": the slots of the staging table the spec's SQL reads (Stage.source).
    staging: tuple[tuple[str, str], ...] = ()

    def row_limit(self) -> int:
        """The most data rows one file may have."""
        return settings.IMPORT_MAX_ROWS

    def bulk_prepare(self, ctx: ImportContext) -> None:
        """Load what bulk_row looks up (once per run) into ctx.cache; raise FileRejected
        when the import cannot run at all."""

    def bulk_row(self, ctx: ImportContext, number: int, values: dict) -> tuple:
        """One parsed row -> (the staging values in `staging` order, or None; errors as a
        list of (column key or None, reason)). No queries: it runs for every row, while
        the COPY into the staging table holds the database connection."""
        raise NotImplementedError

    def bulk_check(self, ctx: ImportContext, stage) -> BulkCheck:
        """Match the staged rows against the database and check them as a set (duplicates
        within the file, conflicts): counts and errors. Read-only; runs after the
        validation and again, under the apply lock, before the apply writes."""
        raise NotImplementedError

    def bulk_apply(self, ctx: ImportContext, stage, progress) -> dict[str, int]:
        """Write the staged rows (the apply's transaction is open); call progress(rows
        done) between batches (it raises when the job was cancelled). Returns the counts
        of what was written, which must equal those of the bulk_check just before."""
        raise NotImplementedError

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def column_for_field(self, name: str) -> Column | None:
        key = self.field_columns.get(name, name)
        return next((c for c in self.columns if c.key == key), None)

    def natural_key(self, values: dict) -> tuple | None:
        """Rows with the same key in one file are duplicates (the second is refused)."""
        return None

    def clean_row(self, ctx: ImportContext, row: Row) -> None:
        """Checks across columns before the row is applied; raise RowError."""

    def apply_row(self, ctx: ImportContext, row: Row) -> Outcome:
        """Match the row to existing records, save what differs through the app's services
        and say what happened. Raise RowError or let ValidationError/RuleViolation through;
        the framework runs each row in a savepoint and reports the reason."""
        raise NotImplementedError

    def export_response(self, *, user, community=None):
        """An .xlsx of the current records in this layout (None: the spec has no export)."""
        return None

    @property
    def can_export(self) -> bool:
        return type(self).export_response is not ImportSpec.export_response


@dataclass
class ImportContext:
    """What apply_row gets besides the row: the acting user, the community chosen at upload
    (None for a street-wide import) and a cache the spec may fill (lookups by natural key)."""

    user: Any
    spec: ImportSpec
    community: Any = None
    cache: dict = field(default_factory=dict)
    applying: bool = False  # the apply run (bulk_check then runs inside its transaction)
    _by_name: dict | None = None
    _pending: list = field(default_factory=list)

    def after_row(self, callback) -> None:
        """Run `callback` once the current row has been applied. A refused row's savepoint
        is rolled back, so a cache must only learn what a row made through here."""
        self._pending.append(callback)

    def community_for(self, name) -> Any:
        """The community of a row: the 社区 cell when filled (looked up by name among the
        communities the user may import into), else the one chosen at upload."""
        key = self.spec.community_column
        name = (name or "").strip() if isinstance(name, str) else name
        if not name:
            if self.community is None:
                raise RowError(_("全街道导入须填写社区"), column=key)
            return self.community
        if self.community is not None:
            if name != self.community.name:
                raise RowError(
                    _("本次导入只能导入到“%(mine)s”，不能导入到“%(other)s”")
                    % {"mine": self.community.name, "other": name},
                    column=key,
                )
            return self.community
        matches = self._communities().get(name, [])
        if not matches:
            raise RowError(
                _("社区“%(name)s”不存在或不在您的管理范围内") % {"name": name}, column=key
            )
        if len(matches) > 1:
            raise RowError(
                _("有多个名为“%(name)s”的社区，请分社区导入") % {"name": name}, column=key
            )
        return matches[0]

    def _communities(self) -> dict:
        if self._by_name is None:
            from communities.models import Community
            from core.scoping import can, scoped

            self._by_name = {}
            for community in scoped(Community.objects.select_related("profile"), self.user):
                if all(can(self.user, perm, community) for perm in self.spec.perms):
                    self._by_name.setdefault(community.name, []).append(community)
        return self._by_name


_SPECS: dict[str, ImportSpec] = {}
_discovered = False


def register(cls):
    """Class decorator: make a spec available by its kind (URLs, tasks)."""
    if not cls.kind:
        raise ValueError(f"{cls.__name__} has no kind")
    _SPECS[cls.kind] = cls()
    return cls


def _discover() -> None:
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("imports")  # every app's imports.py registers its specs
        _discovered = True


def get_spec(kind) -> ImportSpec:
    """The registered spec of `kind` (a code or a spec class); LookupError if unknown."""
    kind = getattr(kind, "kind", kind)
    if kind not in _SPECS:
        _discover()
    try:
        return _SPECS[kind]
    except KeyError:
        raise LookupError(kind) from None


def all_specs() -> list[ImportSpec]:
    _discover()
    return list(_SPECS.values())
