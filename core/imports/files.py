"""Reading an uploaded workbook without trusting it.

Before python-calamine sees a byte, `inspect_container` refuses what is not a plain .xlsx:
empty or oversize files, legacy .xls and password-protected workbooks (both OLE containers),
anything that is not a zip, macro-enabled (.xlsm) and binary (.xlsb) workbooks, and zip
bombs: every member is inflated once, counting, so the true size (not the size the header
declares) is held against settings.IMPORT_MAX_UNCOMPRESSED_BYTES and
IMPORT_MAX_COMPRESSION_RATIO. The package's own XML is read with defusedxml (no DTDs, no
entities); the data sheet is scanned once with defusedxml's iterparse for formulas and for
its used range, because calamine allocates the whole rectangle between the first and the
last used cell.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring, iterparse
from django.conf import settings
from django.utils.translation import gettext as _

from core.imports.spec import ImportSpec, Row, in_every_language, normalize_header

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")  # stream name in an encrypted OOXML
XLSX_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
MACRO_TYPES = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml",
}
BINARY_TYPES = {"application/vnd.ms-excel.sheet.binary.macroEnabled.main"}
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CHUNK = 1 << 20
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


class FileRejected(Exception):
    """The file as a whole cannot be imported; `message` says why in Chinese. `errors` are
    rows for the error report (e.g. one per missing column)."""

    def __init__(self, message, errors=()):
        super().__init__(str(message))
        self.message = str(message)
        self.errors = list(errors)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def check_size(size: int) -> None:
    if size > settings.IMPORT_MAX_BYTES:
        raise FileRejected(
            _("文件过大（%(size)s），上限为 %(max)s，请分批导入")
            % {"size": _mb(size), "max": _mb(settings.IMPORT_MAX_BYTES)}
        )


def _bomb():
    return FileRejected(_("文件解压后的内容异常庞大（疑似压缩炸弹），已拒绝导入"))


def inspect_container(data: bytes) -> zipfile.ZipFile:
    """Refuse anything but a plain, reasonably sized .xlsx; return it opened as a zip."""
    if not data:
        raise FileRejected(_("文件为空"))
    check_size(len(data))
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_MARK in data:
            raise FileRejected(
                _(
                    "文件设置了打开密码（已加密），无法读取。请在 Excel 中取消密码后另存为 .xlsx 再导入"
                )
            )
        raise FileRejected(
            _("这是旧版 Excel 文件（.xls），请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再导入")
        )
    if not data.startswith(ZIP_MAGIC):
        raise FileRejected(
            _("文件不是 Excel 工作簿（.xlsx），可能是改了扩展名的其他文件。请下载模板填写后上传")
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise FileRejected(_("文件已损坏，无法作为 .xlsx 工作簿打开")) from None
    if len(infos) > settings.IMPORT_MAX_ZIP_MEMBERS:
        raise _bomb()
    if any(info.flag_bits & 0x1 for info in infos):
        raise FileRejected(_("文件已加密，无法读取。请取消密码后另存为 .xlsx 再导入"))
    if sum(info.file_size for info in infos) > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise _bomb()
    _check_true_sizes(data, infos)
    names = {info.filename for info in infos}
    main_type = _main_content_type(zf, names)
    if main_type in MACRO_TYPES or "xl/vbaProject.bin" in names:
        raise FileRejected(
            _("这是启用宏的工作簿（.xlsm），出于安全原因不能导入。请另存为 Excel 工作簿（.xlsx）")
        )
    if main_type in BINARY_TYPES:
        raise FileRejected(_("这是二进制工作簿（.xlsb），请另存为 Excel 工作簿（.xlsx）后再导入"))
    if main_type not in XLSX_TYPES:
        raise FileRejected(_("文件不是 Excel 工作簿（.xlsx），请下载模板填写后上传"))
    return zf


def _check_true_sizes(data: bytes, infos) -> None:
    """Inflate every member once, counting: the header's sizes are the attacker's word."""
    total = 0
    view = memoryview(data)
    limit = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    for info in infos:
        if info.is_dir():
            continue
        offset = info.header_offset
        header = bytes(view[offset : offset + 30])
        if len(header) < 30 or not header.startswith(ZIP_MAGIC):
            raise FileRejected(_("文件已损坏，无法作为 .xlsx 工作簿打开"))
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = offset + 30 + name_len + extra_len
        raw = view[start : start + info.compress_size]
        if info.compress_type == zipfile.ZIP_STORED:
            size, head = len(raw), bytes(raw[:4096])
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            size, head = _inflated_size(raw, limit - total)
        else:
            raise FileRejected(_("文件使用了不支持的压缩方式，请在 Excel 中重新保存为 .xlsx"))
        total += size
        ratio = size / max(info.compress_size, 1)
        if total > limit or (size > CHUNK and ratio > settings.IMPORT_MAX_COMPRESSION_RATIO):
            raise _bomb()
        if size > info.file_size + 1024:  # more than it admits to: a crafted archive
            raise _bomb()
        if info.filename.endswith((".xml", ".rels")) and (
            b"<!DOCTYPE" in head or b"<!ENTITY" in head
        ):
            raise FileRejected(_("文件包含不安全的 XML 内容（DTD/实体声明），已拒绝导入"))


def _inflated_size(raw, budget: int) -> tuple[int, bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending, size, head = bytes(raw), 0, b""
    try:
        while not inflater.eof:
            out = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            size += len(out)
            if len(head) < 4096:
                head += out[: 4096 - len(head)]
            if size > budget:
                raise _bomb()
            if not out and not pending:
                break
    except zlib.error:
        raise FileRejected(_("文件已损坏，无法作为 .xlsx 工作簿打开")) from None
    return size, head


def _xml(zf: zipfile.ZipFile, name: str):
    try:
        return fromstring(zf.read(name))
    except (KeyError, ParseError, DefusedXmlException, zipfile.BadZipFile, OSError):
        raise FileRejected(
            _("文件结构不完整或已损坏（%(part)s），请在 Excel 中重新保存") % {"part": name}
        ) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _main_content_type(zf, names) -> str | None:
    if "[Content_Types].xml" not in names:
        raise FileRejected(_("文件不是 Excel 工作簿（.xlsx），请下载模板填写后上传"))
    types = _xml(zf, "[Content_Types].xml")
    found = None
    for el in types:
        if _local(el.tag) != "Override":
            continue
        content_type = el.get("ContentType", "")
        if content_type in XLSX_TYPES | MACRO_TYPES | BINARY_TYPES:
            found = content_type
            if content_type not in XLSX_TYPES:
                return content_type
    return found


def _workbook_part(zf) -> str:
    types = _xml(zf, "[Content_Types].xml")
    for el in types:
        if _local(el.tag) == "Override" and el.get("ContentType") in XLSX_TYPES:
            return el.get("PartName", "").lstrip("/")
    raise FileRejected(_("文件不是 Excel 工作簿（.xlsx），请下载模板填写后上传"))


@dataclass
class SheetPart:
    name: str
    part: str
    visible: bool


def sheet_parts(zf) -> list[SheetPart]:
    """Worksheets in workbook order with the zip member that holds each."""
    book = _workbook_part(zf)
    folder, base = posixpath.split(book)
    rels = _xml(zf, posixpath.join(folder, "_rels", base + ".rels"))
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        targets[rel.get("Id")] = posixpath.normpath(path)
    out = []
    for el in _xml(zf, book).iter():
        if _local(el.tag) == "sheet":
            part = targets.get(el.get(f"{{{REL_NS}}}id"))
            if part:
                out.append(
                    SheetPart(el.get("name", ""), part, el.get("state", "visible") == "visible")
                )
    return out


@dataclass
class SheetScan:
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (excel row, 0-based col)
    value_rows: int = 0
    max_row: int = 0
    max_col: int = 0


def scan_sheet(zf, part: str) -> SheetScan:
    """One streaming pass over the sheet's XML: formula cells and the used range. Rows are
    dropped as soon as they are read, so memory stays flat whatever the file."""
    scan = SheetScan()
    max_rows = settings.IMPORT_MAX_ROWS
    row_no, col_no, row_has_value, parent = 0, -1, False, None
    try:
        with zf.open(part) as stream:
            for event, el in iterparse(stream, events=("start", "end")):
                tag = _local(el.tag)
                if event == "start":
                    if tag == "sheetData":
                        parent = el
                    elif tag == "row":
                        row_no = int(el.get("r") or row_no + 1)
                        col_no, row_has_value = -1, False
                    continue
                if tag == "c":
                    ref = _CELL_REF.match(el.get("r") or "")
                    col_no = column_index(ref.group(1)) if ref else col_no + 1
                    children = {_local(child.tag): child for child in el}
                    if "f" in children:
                        scan.formulas.add((row_no, col_no))
                    if "f" in children or any(
                        k in children and "".join(children[k].itertext()) for k in ("v", "is")
                    ):
                        row_has_value = True
                        scan.max_col = max(scan.max_col, col_no + 1)
                        scan.max_row = max(scan.max_row, row_no)
                elif tag == "row":
                    scan.value_rows += row_has_value
                    if parent is not None:
                        parent.remove(el)
                    if scan.value_rows > max_rows + 1 or scan.max_row > 2 * max_rows + 100:
                        raise _too_many_rows()
                    if scan.max_col > settings.IMPORT_MAX_COLUMNS:
                        raise FileRejected(
                            _("表格列数超过上限（%(max)s 列），请使用模板的列")
                            % {"max": settings.IMPORT_MAX_COLUMNS}
                        )
    except (ParseError, DefusedXmlException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileRejected(_("工作表内容已损坏，无法读取，请在 Excel 中重新保存")) from None
    return scan


def _too_many_rows():
    return FileRejected(
        _("数据行数超过上限（%(max)s 行），请分批导入") % {"max": settings.IMPORT_MAX_ROWS}
    )


@dataclass
class Sheet:
    """The data sheet of an upload, checked: headers found, size within limits. Rows are
    read from calamine one at a time (`rows()`), not copied into Python lists."""

    name: str
    header_row: int  # Excel row number of the header
    positions: dict[str, int]  # column key -> 0-based column of the sheet
    data_rows: int
    formulas: set[tuple[int, int]]
    _sheet: object = field(repr=False, default=None)
    _row0: int = 0  # rows before the first one calamine yields
    _col0: int = 0  # columns before the first cell of each row calamine yields

    def letter(self, key: str) -> str:
        return column_letter(self.positions[key]) if key in self.positions else ""

    def rows(self) -> Iterator[Row]:
        """Non-blank rows after the header, in order, with raw values by column key."""
        for number, cells in enumerate(self._sheet.iter_rows(), start=self._row0 + 1):
            if number <= self.header_row or _blank(cells):
                continue
            raw = {}
            for key, pos in self.positions.items():
                j = pos - self._col0
                raw[key] = cells[j] if 0 <= j < len(cells) else None
            yield Row(number=number, raw=raw)

    def formula_keys(self, row: Row) -> list[str]:
        return [k for k, pos in self.positions.items() if (row.number, pos) in self.formulas]


def _blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def open_sheet(data: bytes, spec: ImportSpec) -> Sheet:
    """The spec's data sheet of an uploaded file, or FileRejected with the reason."""
    import python_calamine

    zf = inspect_container(data)
    parts = sheet_parts(zf)
    wanted = {normalize_header(n) for n in in_every_language(spec.sheet_name)}
    chosen = next((p for p in parts if normalize_header(p.name) in wanted), None)
    chosen = chosen or next((p for p in parts if p.visible), None)
    if chosen is None:
        raise FileRejected(_("工作簿中没有工作表"))
    scan = scan_sheet(zf, chosen.part)
    count, header_at, header, width, data_rows = 0, None, None, 0, 0
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_name(chosen.name)
        if sheet.start is not None:
            # One pass: where the header is and how many data rows follow it.
            for i, cells in enumerate(sheet.iter_rows()):
                count, width = i + 1, len(cells)
                if _blank(cells):
                    continue
                if header_at is None:
                    header_at, header = i, cells
                else:
                    data_rows += 1
    except python_calamine.PasswordError:
        raise FileRejected(_("文件设置了密码，无法读取。请取消密码后另存为 .xlsx 再导入")) from None
    except Exception:  # calamine's errors (CalamineError, XmlError, ZipError, ...)
        raise FileRejected(
            _("工作表“%(name)s”无法读取，请在 Excel 中重新保存") % {"name": chosen.name}
        ) from None
    if header_at is None:
        raise FileRejected(_("工作表“%(name)s”是空的，没有表头和数据") % {"name": chosen.name})
    # calamine yields the rows up to its last used one and the columns from its first used
    # one; the end of its range says where the rows and cells it yields sit in the sheet.
    end_row, end_col = sheet.end
    row0, col0 = end_row + 1 - count, end_col + 1 - width
    header_row = row0 + header_at + 1
    positions, missing, errors = _map_headers(spec, header, col0, chosen.name, header_row)
    if missing:
        raise FileRejected(
            _("工作表“%(name)s”缺少列：%(cols)s（请使用下载的模板，表头不要改动）")
            % {"name": chosen.name, "cols": "、".join(missing)},
            errors,
        )
    if not data_rows:
        raise FileRejected(_("工作表“%(name)s”只有表头，没有数据行") % {"name": chosen.name})
    if data_rows > settings.IMPORT_MAX_ROWS:
        raise _too_many_rows()
    return Sheet(
        name=chosen.name,
        header_row=header_row,
        positions=positions,
        data_rows=data_rows,
        formulas=scan.formulas,
        _sheet=sheet,
        _row0=row0,
        _col0=col0,
    )


def _map_headers(spec, cells, col0, sheet_name, header_row):
    by_header = {}
    for column in spec.columns:
        for text in column.headers():
            by_header[text] = column.key
    positions, errors, dupes = {}, [], []
    for j, cell in enumerate(cells):
        key = by_header.get(normalize_header(cell))
        if key is None:
            continue
        if key in positions:
            dupes.append(str(cell))
        positions[key] = col0 + j
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
