"""The data sheet of an upload: which worksheet, where its header is, which column is which,
and its rows streamed in the order of the spec's columns (core.imports.reader).

`open_sheet` is the only entry: the container checks of files.inspect_container, the
workbook's parts, one quick pass over the raw XML of the sheet (`scan_sheet`: row count,
merged ranges, columns past the limit, DTDs) and the rows up to the header. The data rows
are read later, streaming, by Sheet.values() (bulk specs) or Sheet.rows().
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from core.imports.files import (
    CHUNK,
    FileRejected,
    date_styles,
    inspect_container,
    read_book,
)
from core.imports.reader import (
    MAX_ROW_BYTES,
    SharedStrings,
    SheetReader,
    column_index,
    column_letter,
    too_many_columns,
)
from core.imports.spec import ImportSpec, Row, in_every_language, normalize_header

_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_ROW_END = re.compile(rb"</[A-Za-z_][\w.-]*:row>")  # a row's end tag with a prefix
_WIDE_REF = re.compile(rb' r="([A-Z]{2,3})[0-9]')  # cells from column AA on
_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\sref="([A-Z0-9:]+)"')


@dataclass
class SheetScan:
    """What one quick pass over the raw XML of the sheet tells before any row is read."""

    rows: int = 0  # rows with content (an end tag): an upper bound of the rows with a value
    merged: list[str] = field(default_factory=list)  # merged ranges, e.g. "A1:B1"


def scan_sheet(zf, part: str) -> SheetScan:
    """Count the rows, collect the merged ranges, refuse cells past the column limit and
    DTDs: regular-expression searches over the inflated chunks, no parsing, flat memory."""
    scan, carry, tail = SheetScan(), b"", b""
    max_columns = settings.IMPORT_MAX_COLUMNS
    try:
        with zf.open(part) as stream:
            while True:
                chunk = stream.read(CHUNK)
                if any(mark in tail + chunk for mark in (b"<!DOCTYPE", b"<!ENTITY")):
                    raise FileRejected(_("文件包含不安全的 XML 内容（DTD/实体声明），已拒绝导入"))
                tail = chunk[-16:]
                buf = carry + chunk
                cut = buf.rfind(b">") + 1 if chunk else len(buf)
                carry = buf[cut:]
                if len(carry) > MAX_ROW_BYTES:
                    raise FileRejected(_("工作表中有一行内容过大，请检查后重新保存"))
                piece = buf[:cut]
                scan.rows += piece.count(b"</row>")
                if b":row>" in piece:
                    scan.rows += len(_ROW_END.findall(piece))
                for letters in set(_WIDE_REF.findall(piece)):
                    if column_index(letters.decode()) >= max_columns:
                        raise too_many_columns()
                if b"mergeCell" in piece:
                    scan.merged.extend(m.decode() for m in _MERGE.findall(piece))
                if not chunk:
                    break
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error):
        raise FileRejected(_("工作表内容已损坏，无法读取，请在 Excel 中重新保存")) from None
    return scan


def too_many_rows(limit: int):
    return FileRejected(_("数据行数超过上限（%(max)s 行），请分批导入") % {"max": limit})


@dataclass
class Sheet:
    """The data sheet of an upload, checked: header found, columns mapped, no merged cells,
    within the limits. `values()` and `rows()` stream the data rows from the XML."""

    name: str
    header_row: int  # Excel row number of the header
    positions: dict[str, int]  # column key -> 0-based column of the sheet
    data_rows: int  # an upper bound until a full pass has counted them
    keys: tuple[str, ...] = ()  # the spec's column keys: slot i of values() is keys[i]
    row_limit: int = 0
    reader: SheetReader | None = field(repr=False, default=None)

    def letter(self, key: str) -> str:
        return column_letter(self.positions[key]) if key in self.positions else ""

    def values(self, share=None) -> Iterator[tuple[int, list, list | None]]:
        """(Excel row number, values in the order of the spec's columns (None for a column
        missing from the file), formula slots or None) of each data row with a value.
        FileRejected once more rows than the limit have been read. `share` (k, n): only
        the rows whose number is k modulo n (SheetReader.rows)."""
        wanted = {
            self.positions[key]: i for i, key in enumerate(self.keys) if key in self.positions
        }
        count, limit, header = 0, self.row_limit, self.header_row
        for number, values, formulas in self.reader.rows(wanted, len(self.keys), share):
            if number <= header:
                continue
            count += 1
            if count > limit:
                raise too_many_rows(limit)
            yield number, values, formulas

    def rows(self) -> Iterator[Row]:
        """The data rows with their raw values by column key (the row-by-row path)."""
        keys = self.keys
        for number, values, formulas in self.values():
            yield Row(
                number=number,
                raw=dict(zip(keys, values, strict=True)),
                formulas=frozenset(keys[i] for i in formulas) if formulas else frozenset(),
            )

    def formula_keys(self, row: Row) -> list[str]:
        return sorted(row.formulas)


def open_sheet(data: bytes, spec: ImportSpec, *, checked: bool = False) -> Sheet:
    """The spec's data sheet of an uploaded file, or FileRejected with the reason. Reads
    the package's small parts, one quick pass over the sheet (scan_sheet) and the rows up
    to the header; the data rows are read later, streaming, by Sheet.values().

    `checked=True`: the bytes of a stored job, which passed every check at the upload; the
    passes that only repeat those checks (inflating every member, scan_sheet) are skipped
    and `data_rows` is 0 (the row and column limits still hold while reading)."""
    zf = inspect_container(data, inflate=not checked)
    book = read_book(zf)
    wanted = {normalize_header(n) for n in in_every_language(spec.sheet_name)}
    chosen = next((p for p in book.sheets if normalize_header(p.name) in wanted), None)
    chosen = chosen or next((p for p in book.sheets if p.visible), None)
    if chosen is None:
        raise FileRejected(_("工作簿中没有工作表"))
    if chosen.part not in set(zf.namelist()):
        raise FileRejected(
            _("文件结构不完整或已损坏（%(part)s），请在 Excel 中重新保存") % {"part": chosen.part}
        )
    limit = spec.row_limit()
    scan = SheetScan() if checked else scan_sheet(zf, chosen.part)
    shared = SharedStrings.read(
        zf, book.shared_strings, limit * settings.IMPORT_MAX_COLUMNS + 100_000
    )
    reader = SheetReader(
        zf,
        chosen.part,
        name=chosen.name,
        shared=shared,
        date_styles=date_styles(zf, book.styles),
        date1904=book.date1904,
    )
    header_row, header = _find_header(spec, reader)
    if header is None:
        raise FileRejected(_("工作表“%(name)s”是空的，没有表头和数据") % {"name": chosen.name})
    positions, missing, errors = _map_headers(spec, header, chosen.name, header_row)
    _check_merged(scan.merged, header_row, positions, chosen.name)
    if missing:
        raise FileRejected(
            _("工作表“%(name)s”缺少列：%(cols)s（请使用下载的模板，表头不要改动）")
            % {"name": chosen.name, "cols": "、".join(missing)},
            errors,
        )
    data_rows = max(scan.rows - 1, 0)
    if not data_rows and not checked:
        raise FileRejected(_("工作表“%(name)s”只有表头，没有数据行") % {"name": chosen.name})
    if data_rows > limit:
        raise too_many_rows(limit)
    return Sheet(
        name=chosen.name,
        header_row=header_row,
        positions=positions,
        data_rows=data_rows,
        keys=tuple(c.key for c in spec.columns),
        row_limit=limit,
        reader=reader,
    )


HEADER_SEARCH_ROWS = 10


def _find_header(spec, reader: SheetReader):
    """The header: among the first rows with a value, the first that names at least two of
    the spec's columns (a title row above it is skipped); else the first row, so that the
    missing columns are reported."""
    known = set()
    for column in spec.columns:
        known |= column.headers()
    need = min(2, len(spec.columns))
    first = None
    for i, (number, cells, _formulas) in enumerate(reader.rows()):
        if first is None:
            first = (number, cells)
        if sum(1 for v in cells.values() if normalize_header(v) in known) >= need:
            return number, cells
        if i + 1 >= HEADER_SEARCH_ROWS:
            break
    return first if first is not None else (0, None)


def _map_headers(spec, cells: dict, sheet_name, header_row):
    by_header = {}
    for column in spec.columns:
        for text in column.headers():
            by_header[text] = column.key
    positions, errors, dupes = {}, [], []
    for col in sorted(cells):
        key = by_header.get(normalize_header(cells[col]))
        if key is None:
            continue
        if key in positions:
            dupes.append(str(cells[col]))
        positions[key] = col
    missing = [
        str(c.header) for c in spec.columns if c.key not in positions and not c.header_optional
    ]
    for header in missing:
        errors.append(
            {
                "sheet": sheet_name,
                "row": header_row,
                "column": header,
                "value": "",
                "reason": _("缺少此列"),
            }
        )
    if dupes:
        raise FileRejected(
            _("工作表“%(name)s”有重复的列：%(cols)s")
            % {"name": sheet_name, "cols": "、".join(dupes)}
        )
    return positions, missing, errors


def _range(ref: str) -> tuple[int, int, int, int] | None:
    """ "B2:D3" -> (first row, last row, first column, last column), 0-based columns."""
    ends = []
    for part in ref.split(":")[:2]:
        match = _CELL_REF.match(part)
        if not match:
            return None
        ends.append((int(match.group(2)), column_index(match.group(1))))
    (r1, c1), (r2, c2) = ends[0], ends[-1]
    return min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)


def _check_merged(merged: list[str], header_row: int, positions: dict, sheet_name: str) -> None:
    """Merged cells hide values: a merged header is ambiguous, and in merged data cells only
    the first row holds the value (the others would be read as blank)."""
    columns = set(positions.values())
    header, data = [], []
    for ref in merged:
        bounds = _range(ref)
        if bounds is None:
            continue
        r1, r2, c1, c2 = bounds
        if r1 <= header_row <= r2:
            header.append(ref)  # whatever the columns: the merged cells have lost headers
        elif r2 > header_row and any(c1 <= c <= c2 for c in columns):
            data.append(ref)
    if header:
        raise FileRejected(
            _("工作表“%(name)s”的表头有合并单元格（%(refs)s），请取消合并，每列填写一个表头")
            % {"name": sheet_name, "refs": "、".join(header[:5])}
        )
    if data:
        raise FileRejected(
            _(
                "工作表“%(name)s”的数据区有合并单元格（%(refs)s），合并后只有第一行有值，"
                "请取消合并并在每一行填写"
            )
            % {"name": sheet_name, "refs": "、".join(data[:5])}
        )
