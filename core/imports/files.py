"""Reading an uploaded workbook without trusting it.

Before any XML is read, `inspect_container` refuses what is not a plain .xlsx: empty or
oversize files, legacy .xls and password-protected workbooks (both OLE containers), anything
that is not a zip, macro-enabled (.xlsm) and binary (.xlsb) workbooks, and zip bombs: every
member is inflated once, counting, so the true size (not the size the header declares) is
held against settings.IMPORT_MAX_UNCOMPRESSED_BYTES and IMPORT_MAX_COMPRESSION_RATIO. The
package's small parts (content types, workbook, relationships, styles) are read with
defusedxml (no DTDs, no entities). The data sheet itself is never loaded whole: see
core.imports.sheets (which sheet, the header, a quick scan) and core.imports.reader (the
rows, streamed).
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import is_date_format

from core.imports.reader import DATE_FORMAT_IDS

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


def check_size(size: int) -> None:
    if size > settings.IMPORT_MAX_BYTES:
        raise FileRejected(
            _("文件过大（%(size)s），上限为 %(max)s，请分批导入")
            % {"size": _mb(size), "max": _mb(settings.IMPORT_MAX_BYTES)}
        )


def _bomb():
    return FileRejected(_("文件解压后的内容异常庞大（疑似压缩炸弹），已拒绝导入"))


def inspect_container(data: bytes, *, inflate: bool = True) -> zipfile.ZipFile:
    """Refuse anything but a plain, reasonably sized .xlsx; return it opened as a zip.
    `inflate=False` skips inflating every member (the bytes of a stored job, inspected
    when they were uploaded)."""
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
    if inflate:
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
    """The true inflated size of a member (and its first 4 KB), fed in 64 KB slices of the
    upload: neither the member nor what it inflates to is ever held whole."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size, head = 0, b""
    try:
        for start in range(0, len(raw), 1 << 16):
            pending = raw[start : start + (1 << 16)]
            while pending and not inflater.eof:
                out = inflater.decompress(pending, CHUNK)
                pending = inflater.unconsumed_tail
                size += len(out)
                if len(head) < 4096:
                    head += out[: 4096 - len(head)]
                if size > budget:
                    raise _bomb()
            if inflater.eof:
                break
        while not inflater.eof:  # output still held after the last input
            out = inflater.decompress(b"", CHUNK)
            if not out:
                break
            size += len(out)
            if size > budget:
                raise _bomb()
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


@dataclass
class Book:
    """What the workbook part says: its worksheets in order, the shared strings and styles
    parts and the date system."""

    sheets: list[SheetPart]
    shared_strings: str | None = None
    styles: str | None = None
    date1904: bool = False


def read_book(zf) -> Book:
    book_part = _workbook_part(zf)
    folder, base = posixpath.split(book_part)
    rels = _xml(zf, posixpath.join(folder, "_rels", base + ".rels"))
    targets, by_type = {}, {}
    for rel in rels:
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        path = posixpath.normpath(path)
        targets[rel.get("Id")] = path
        by_type.setdefault(rel.get("Type", "").rsplit("/", 1)[-1], path)
    book = Book(sheets=[])
    names = set(zf.namelist())
    for el in _xml(zf, book_part).iter():
        tag = _local(el.tag)
        if tag == "sheet":
            part = targets.get(el.get(f"{{{REL_NS}}}id"))
            if part:
                visible = el.get("state", "visible") == "visible"
                book.sheets.append(SheetPart(el.get("name", ""), part, visible))
        elif tag == "workbookPr":
            book.date1904 = el.get("date1904", "").lower() in ("1", "true")
    shared = by_type.get("sharedStrings")
    book.shared_strings = shared if shared in names else None
    styles = by_type.get("styles")
    book.styles = styles if styles in names else None
    return book


def sheet_parts(zf) -> list[SheetPart]:
    """Worksheets in workbook order with the zip member that holds each."""
    return read_book(zf).sheets


def date_styles(zf, part: str | None) -> set[int]:
    """Indexes of the cell formats (cellXfs) that show a date or a time."""
    if not part:
        return set()
    root = _xml(zf, part)
    custom, out = {}, set()
    for el in root:
        if _local(el.tag) == "numFmts":
            for fmt in el:
                try:
                    custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
                except ValueError:
                    continue
    for el in root:
        if _local(el.tag) != "cellXfs":
            continue
        for index, xf in enumerate(x for x in el if _local(x.tag) == "xf"):
            try:
                fmt_id = int(xf.get("numFmtId", "0"))
            except ValueError:
                continue
            if fmt_id in custom:
                if is_date_format(custom[fmt_id]):
                    out.add(index)
            elif fmt_id in DATE_FORMAT_IDS:
                out.add(index)
    return out
