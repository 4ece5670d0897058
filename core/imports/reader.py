"""Streaming reader of one worksheet of an uploaded .xlsx: values and formula flags in one
pass, with flat memory whatever the number of rows.

The sheet's XML is inflated in 1 MiB chunks. Rows are cut out with a regular expression and
each row's text is matched against the few cell forms spreadsheet programs write
(`<c r="B7" s="3" t="s"><v>12</v></c>`, inline strings, formulas with a cached value, empty
cells). The match is strict: a row whose text is not exactly a run of those forms (rich
text, other attributes, comments, ...) is parsed by defusedxml instead, and so is a whole
sheet written with prefixed element names. Nothing is guessed: the fast path only accepts
what it fully understands, and is about six times faster than iterparse.

Safety (on top of files.inspect_container): only the five predefined XML entities and
character references are decoded (any other entity sends the row to defusedxml, which
refuses it); a DTD or an entity declaration anywhere in a part is refused; shared strings
are kept as one string plus an offsets array and their number is capped; a row cannot grow
past MAX_ROW_BYTES; row numbers past Excel's last row are refused.

Cell values: shared and inline strings and formula results as str, booleans as bool,
numbers as int or float, numbers whose cell style is a date format (built-in ids 14-22,
27-36, 45-47, 50-58, 71-81 or a custom format with date tokens) as dt.date, dt.datetime or
dt.time from the Excel serial (1900 or 1904 date system), ISO dates (t="d") as dates.
"""

from __future__ import annotations

import array
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring, iterparse
from django.conf import settings
from django.utils.translation import gettext as _

CHUNK = 1 << 20
MAX_ROW_BYTES = 16 << 20  # one row: 100 columns of 32,767 characters fit
EXCEL_MAX_ROW = 1_048_576

_EMPTY_ROW = re.compile(rb"<row\b([^>]*?)/>")
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
# A cell in the forms Excel, WPS, LibreOffice and openpyxl write. Groups: column letters,
# style, type, formula, inline text, value. Anything else stays unmatched (see above).
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="([a-zA-Z]+)")?'
    rb"(?:/>|>"
    rb"(<f\b[^>]*?(?:/>|>[^<]*</f>))?"
    rb'(?:<is><t(?: xml:space="preserve")?>([^<]*)</t></is>|<v>([^<]*)</v>|<v/>|<is><t/></is>)?'
    rb"</c>)"
)
_STRIDE = 7  # re.split gives the text before each match, then its 6 groups
_SI = re.compile(
    rb'<si><t(?: xml:space="preserve")?>([^<]*)</t>(?:<phoneticPr\b[^>]*/>)?</si>'
    rb"|<si><t/>(?:<phoneticPr\b[^>]*/>)?</si>|<si/>"
)
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_COMMENTS = re.compile(rb"<!--.*?-->|<\?.*?\?>", re.S)
_NS_DECL = re.compile(rb'\sxmlns(?::[A-Za-z_][\w.-]*)?\s*=\s*"[^"]*"')
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_UNSAFE = (b"<!DOCTYPE", b"<!ENTITY")

# Built-in number formats that show dates or times (ECMA-376 18.8.30, and the East Asian
# ids Excel uses in Chinese, Japanese and Korean locales).
DATE_FORMAT_IDS = frozenset(
    [*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)]
)
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_LAST_SERIAL = 2958465  # 9999-12-31


class Irregular(Exception):
    """Internal: XML not in a form the fast path reads; defusedxml parses it instead."""


def _rejected(message):
    from core.imports.files import FileRejected

    return FileRejected(message)


def damaged(name: str = ""):
    if name:
        return _rejected(
            _("工作表“%(name)s”内容已损坏，无法读取，请在 Excel 中重新保存") % {"name": name}
        )
    return _rejected(_("工作表内容已损坏，无法读取，请在 Excel 中重新保存"))


def unsafe():
    return _rejected(_("文件包含不安全的 XML 内容（DTD/实体声明），已拒绝导入"))


def too_many_columns():
    return _rejected(
        _("表格列数超过上限（%(max)s 列），请使用模板的列") % {"max": settings.IMPORT_MAX_COLUMNS}
    )


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


def _text(raw: bytes) -> str:
    """XML character data as text: the predefined entities and character references
    decoded, line ends normalised. Any other '&' raises Irregular."""
    text = raw.decode()
    if "&" in text:
        if "&" in _ENTITY.sub("", text):
            raise Irregular
        text = _ENTITY.sub(_entity, text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _entity(match) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _ENTITIES[name]
    try:
        return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
    except (ValueError, OverflowError):
        raise Irregular from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rich_text(el) -> str:
    """The text of a string item (<si> or <is>): its <t>, or its runs' <t>, without the
    phonetic guides (<rPh>)."""
    parts = []
    for child in el:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _fragment(xml: bytes, namespaces: bytes, name: str = ""):
    """A piece of a part (rows, string items) parsed by defusedxml, with the namespace
    declarations of the part's root."""
    try:
        return fromstring(b"<fragment" + namespaces + b">" + xml + b"</fragment>", forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise damaged(name) from None


def _pieces(stream, element: bytes, item_end: bytes):
    """The content of the first <element> of a part, as (bytes, namespace declarations of
    the root) pieces that each end after a complete item (a row, a string item). Raises
    Irregular when the root element has a prefixed name."""
    close = b"</" + element[1:] + b">"
    buf, tail, namespaces, started = b"", b"", None, False
    while True:
        chunk = stream.read(CHUNK)
        window = tail + chunk
        if any(mark in window for mark in _UNSAFE):
            raise unsafe()
        tail = chunk[-16:]
        buf = buf + chunk if buf else chunk
        if namespaces is None:
            head = _root_tag(buf)
            if head is None:
                if not chunk:
                    raise damaged()
                continue
            if b":" in head.split(None, 1)[0]:
                raise Irregular
            namespaces = b"".join(_NS_DECL.findall(head))
        if not started:
            i = _find_tag(buf, element)
            if i < 0 or buf.find(b">", i) < 0:
                if not chunk:
                    return
                buf = buf[-(len(element) + 64) :] if i < 0 else buf
                continue
            j = buf.find(b">", i)
            if buf[j - 1 : j] == b"/":
                return
            buf, started = buf[j + 1 :], True
        end = buf.find(close)
        if end >= 0:
            yield buf[:end], namespaces
            return
        if not chunk:
            raise damaged()
        cut = buf.rfind(item_end)
        if cut < 0:
            if len(buf) > MAX_ROW_BYTES:
                raise _rejected(_("工作表中有一行内容过大，请检查后重新保存"))
            continue
        cut += len(item_end)
        yield buf[:cut], namespaces
        buf = buf[cut:]


def _root_tag(buf: bytes) -> bytes | None:
    """The start tag of the document element (after the declaration and comments)."""
    pos = 0
    while True:
        pos = buf.find(b"<", pos)
        if pos < 0:
            return None
        if buf.startswith(b"<?", pos):
            pos = buf.find(b"?>", pos)
        elif buf.startswith(b"<!--", pos):
            pos = buf.find(b"-->", pos)
        else:
            end = buf.find(b">", pos)
            return buf[pos + 1 : end] if end >= 0 else None
        if pos < 0:
            return None


def _find_tag(buf: bytes, element: bytes) -> int:
    i = buf.find(element)
    while i >= 0 and buf[i + len(element) : i + len(element) + 1] not in b" \t\r\n/>":
        i = buf.find(element, i + 1)
    return i


class SharedStrings:
    """The workbook's shared strings: one str and the end offset of each item."""

    def __init__(self):
        self._text = ""
        self._ends = array.array("Q")

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:
        end = self._ends[index]  # IndexError past the end
        if index < 0:
            raise IndexError(index)
        return self._text[self._ends[index - 1] if index else 0 : end]

    @classmethod
    def read(cls, zf: zipfile.ZipFile, part: str | None, limit: int) -> SharedStrings:
        sst = cls()
        if not part:
            return sst
        out, ends = io.StringIO(), sst._ends
        total = 0

        def add(text: str) -> None:
            nonlocal total
            out.write(text)
            total += len(text)
            ends.append(total)
            if len(ends) > limit:
                raise _rejected(_("工作簿中的文字条目过多，请只保留需要导入的工作表，另存后再导入"))

        try:
            try:
                with zf.open(part) as stream:
                    for piece, namespaces in _pieces(stream, b"<sst", b"</si>"):
                        parts = _SI.split(piece)
                        for i in range(0, len(parts), 2):
                            between = parts[i]
                            if between and between.strip():
                                for text in _slow_items(between, namespaces):
                                    add(text)
                            if i + 1 < len(parts):
                                raw = parts[i + 1]
                                try:
                                    add(_text(raw) if raw else "")
                                except Irregular:
                                    xml = b"<si><t>" + raw + b"</t></si>"
                                    for text in _slow_items(xml, namespaces):
                                        add(text)
            except Irregular:  # prefixed names: the whole part through defusedxml
                out, ends, total = io.StringIO(), sst._ends, 0
                del ends[:]
                with zf.open(part) as stream:
                    for _event, el in iterparse(stream, events=("end",), forbid_dtd=True):
                        if _local(el.tag) == "si":
                            add(_rich_text(el))
                            el.clear()
        except (ParseError, DefusedXmlException, KeyError, zipfile.BadZipFile, OSError):
            raise damaged() from None
        except (UnicodeDecodeError, EOFError, ValueError):
            raise damaged() from None
        sst._text = out.getvalue()
        return sst


def _slow_items(xml: bytes, namespaces: bytes) -> list[str]:
    xml = _COMMENTS.sub(b"", xml)
    if not xml.strip():
        return []
    out = []
    for si in _fragment(xml, namespaces):
        if _local(si.tag) != "si":
            raise damaged()
        out.append(_rich_text(si))
    return out


def _iso(text: str):
    try:
        moment = dt.datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        try:
            return dt.time.fromisoformat(text)
        except ValueError:
            return text
    return moment.date() if moment.time() == dt.time(0) else moment


class SheetReader:
    """The rows of one worksheet; `rows()` streams them and can be called again."""

    def __init__(self, zf: zipfile.ZipFile, part: str, *, name, shared, date_styles, date1904):
        self.zf = zf
        self.part = part
        self.name = name
        self.shared = shared
        self.date_styles = frozenset(str(s).encode() for s in date_styles)
        self.epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
        self.epoch_day = self.epoch.date()
        self.max_columns = settings.IMPORT_MAX_COLUMNS
        self._letters = {column_letter(i).encode(): i for i in range(self.max_columns)}

    # --- values ---------------------------------------------------------------------------

    def _number(self, v: str, s: str | None):
        number = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
        if s is not None and s.encode() in self.date_styles:
            return self.serial_date(number)
        return number

    def serial_date(self, number):
        """An Excel serial number as a date (whole days), a datetime, or a time (< 1 day);
        a number outside Excel's dates stays a number."""
        if number.__class__ is int and 61 <= number <= _LAST_SERIAL:  # a whole day
            return self.epoch_day + dt.timedelta(days=number)
        if number < 0 or number > _LAST_SERIAL:
            return number
        seconds = round(number * 86400)
        if number < 1:
            return (dt.datetime.min + dt.timedelta(seconds=seconds)).time()
        if self.epoch is _EPOCH_1900 and number < 61:
            seconds += 86400  # Excel's 1900-02-29: serials before it are one day off
        moment = self.epoch + dt.timedelta(seconds=seconds)
        return moment.date() if moment.time() == dt.time(0) else moment

    def _value(self, t, s, v, text):
        """A cell's value from its type, style, <v> and inline text as they appear in the
        XML (bytes; the fast path) -- str when they come from defusedxml (`decoded`)."""
        if t is None or t == b"n":
            if not v:
                return None
            number = float(v) if (b"." in v or b"E" in v or b"e" in v) else int(v)
            return self.serial_date(number) if s is not None and s in self.date_styles else number
        if t == b"s":
            try:
                return self.shared[int(v)]
            except (IndexError, ValueError, TypeError):
                raise damaged(self.name) from None
        if t == b"inlineStr":
            return _text(text) if text is not None else None
        if t == b"str" or t == b"e":
            return _text(v) if v else None
        if t == b"b":
            return v == b"1" if v else None
        if t == b"d":
            return _iso(v.decode()) if v else None
        raise damaged(self.name)

    def _decoded_value(self, t, s, v, text):
        if t is None or t == "n":
            return self._number(v, s) if v else None
        if t == "s":
            try:
                return self.shared[int(v)]
            except (IndexError, ValueError, TypeError):
                raise damaged(self.name) from None
        if t == "inlineStr":
            return text
        if t in ("str", "e"):
            return v or None
        if t == "b":
            return v == "1" if v else None
        if t == "d":
            return _iso(v) if v else None
        raise damaged(self.name)

    # --- rows -------------------------------------------------------------------------------

    def rows(
        self, wanted: dict[int, int] | None = None, width: int = 0, share=None
    ) -> Iterator[tuple]:
        """(row number, values, formula slots or None) of each row that has a value.

        With `wanted` (sheet column -> slot) values is a list of `width` slots, and the
        other cells are only checked (column limit, whether the row has a value); without
        it values is a dict {column: value} of every non-empty cell. With `share` (k, n)
        only the rows whose number is k modulo n (the others' cells are not read)."""
        try:
            try:
                with self.zf.open(self.part) as stream:
                    yield from self._fast_rows(stream, wanted, width, share)
            except Irregular:  # raised before the first row: prefixed names
                with self.zf.open(self.part) as stream:
                    for row in self._element_rows(stream, wanted, width):
                        if share is None or row[0] % share[1] == share[0]:
                            yield row
        except (KeyError, zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError):
            raise damaged(self.name) from None
        except (ValueError, OverflowError):
            raise damaged(self.name) from None

    def _fast_rows(self, stream, wanted, width, share=None):
        """The regular-expression path; the loop is written out (no call per cell) because
        it runs for every cell of 100,000 rows."""
        letters, value, shared, dates = self._letters, self._value, self.shared, self.date_styles
        slot_of = None
        if wanted is not None:
            slot_of = {column_letter(col).encode(): slot for col, slot in wanted.items()}
        number = 0
        for piece, namespaces in _pieces(stream, b"<sheetData", b"</row>"):
            # Rows end with </row> (text never holds a "<"): the piece splits at them in C,
            # and each part is "[self-closing rows]<row attrs>content".
            chunks = piece.split(b"</row>")
            tail = chunks.pop()
            for chunk in chunks:
                start = chunk.rfind(b"<row")
                gt = chunk.find(b">", start)
                if start < 0 or gt < 0 or chunk[start + 4 : start + 5] not in b" \t\r\n>":
                    raise damaged(self.name)
                if start:
                    number = self._empty_rows(chunk[:start], number)
                attrs, content = chunk[start + 4 : gt], chunk[gt + 1 :]
                if attrs.endswith(b"/"):
                    raise damaged(self.name)
                if attrs.startswith(b' r="') and attrs.find(b'"', 4) > 4:
                    number = int(attrs[4 : attrs.find(b'"', 4)])
                else:
                    found = _ROW_NUMBER.search(attrs)
                    number = int(found.group(1)) if found else number + 1
                if number > EXCEL_MAX_ROW:
                    raise damaged(self.name)
                if not content or (share is not None and number % share[1] != share[0]):
                    continue
                cells = _CELL.split(content)
                row = None
                if any(cells[0::_STRIDE]):
                    cells = None
                elif slot_of is None:
                    try:
                        row = self._fast_row(cells, number, letters, value)
                    except Irregular:
                        cells = None
                else:
                    values, formulas, has_value = [None] * width, None, False
                    try:
                        for j in range(1, len(cells), _STRIDE):
                            slot = slot_of.get(cells[j])
                            if slot is None:
                                if cells[j] not in letters:
                                    raise too_many_columns()
                                if cells[j + 3] or cells[j + 4] or cells[j + 5]:
                                    has_value = True
                                continue
                            if cells[j + 3] is not None:
                                formulas = [*(formulas or ()), slot]
                                has_value = True
                            t = cells[j + 2]
                            if t == b"inlineStr":
                                raw = cells[j + 4]
                                if raw is None:
                                    continue
                                val = raw.decode()
                                if "&" in val or "\r" in val:
                                    val = _text(raw)
                            elif t == b"s":
                                val = shared[int(cells[j + 5])]
                            elif t is None and cells[j + 1] not in dates and cells[j + 5]:
                                raw = cells[j + 5]
                                val = (
                                    float(raw)
                                    if (b"." in raw or b"E" in raw or b"e" in raw)
                                    else int(raw)
                                )
                            elif cells[j + 4] is None and cells[j + 5] is None:
                                continue
                            else:
                                val = value(t, cells[j + 1], cells[j + 5], cells[j + 4])
                                if val is None:
                                    continue
                            values[slot] = val
                            if not has_value and (val.__class__ is not str or val.strip()):
                                has_value = True
                    except Irregular:
                        cells = None
                    except IndexError:
                        raise damaged(self.name) from None
                    else:
                        if has_value:
                            row = (number, values, formulas)
                if cells is None:
                    xml = b"<row" + attrs + b">" + content + b"</row>"
                    row = self._fragment_row(xml, namespaces, number, wanted, width)
                if row is not None:
                    yield row
            if tail:
                number = self._empty_rows(tail, number)

    def _empty_rows(self, text: bytes, number: int) -> int:
        """What may stand between rows: rows without cells (<row r="7" .../>), white space
        and comments. Returns the number of the last of those rows."""
        text = _COMMENTS.sub(b"", text)
        pos = 0
        for match in _EMPTY_ROW.finditer(text):
            if text[pos : match.start()].strip():
                raise damaged(self.name)
            found = _ROW_NUMBER.search(match.group(1))
            number = int(found.group(1)) if found else number + 1
            pos = match.end()
        if text[pos:].strip():
            raise damaged(self.name)
        return number

    def _fast_row(self, cells, number, letters, value):
        """A row of the fast path as {column: value} (the header search)."""
        values, formulas, has_value = {}, None, False
        for j in range(1, len(cells), _STRIDE):
            slot = letters.get(cells[j])
            if slot is None:
                raise too_many_columns()
            if cells[j + 3] is not None:
                formulas = [*(formulas or ()), slot]
                has_value = True
            text, v = cells[j + 4], cells[j + 5]
            if v is None and text is None:
                continue
            val = value(cells[j + 2], cells[j + 1], v, text)
            if val is not None:
                values[slot] = val
                if val.__class__ is not str or val.strip():
                    has_value = True
        return (number, values, formulas) if has_value else None

    def _fragment_row(self, xml: bytes, namespaces: bytes, number: int, wanted, width):
        rows = list(_fragment(_COMMENTS.sub(b"", xml), namespaces, self.name))
        if len(rows) != 1 or _local(rows[0].tag) != "row":
            raise damaged(self.name)
        return self._element_row(rows[0], number, wanted, width)

    def _element_rows(self, stream, wanted, width):
        """The whole sheet through defusedxml (prefixed element names)."""
        number, in_data = 0, False
        try:
            for event, el in iterparse(stream, events=("start", "end"), forbid_dtd=True):
                name = _local(el.tag)
                if event == "start":
                    in_data = in_data or name == "sheetData"
                    continue
                if name == "sheetData":
                    return
                if name != "row" or not in_data:
                    continue
                r = el.get("r")
                number = int(r) if r and r.isdigit() else number + 1
                if number > EXCEL_MAX_ROW:
                    raise damaged(self.name)
                row = self._element_row(el, number, wanted, width)
                el.clear()
                if row is not None:
                    yield row
        except (ParseError, DefusedXmlException):
            raise damaged(self.name) from None

    def _element_row(self, row_el, number, wanted, width):
        values = [None] * width if wanted is not None else {}
        formulas, has_value, col = None, False, -1
        for c in row_el:
            if _local(c.tag) != "c":
                continue
            ref = c.get("r")
            if ref:
                match = _REF.match(ref)
                if not match:
                    raise damaged(self.name)
                col = column_index(match.group(1))
            else:
                col += 1
            if col >= self.max_columns:
                raise too_many_columns()
            children = {_local(child.tag): child for child in c}
            t = c.get("t")
            text = v = None
            if t == "inlineStr":
                text = _rich_text(children["is"]) if "is" in children else None
            elif "v" in children:
                v = children["v"].text or ""
            has_formula = "f" in children
            slot = col if wanted is None else wanted.get(col)
            if slot is None:
                has_value = has_value or has_formula or bool(v) or bool(text)
                continue
            if has_formula:
                formulas = [*(formulas or ()), slot]
                has_value = True
            if v is None and text is None:
                continue
            val = self._decoded_value(t, c.get("s"), v, text)
            if val is not None:
                values[slot] = val
                if not isinstance(val, str) or val.strip():
                    has_value = True
        return (number, values, formulas) if has_value else None
