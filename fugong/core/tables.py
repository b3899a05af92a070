"""Reading uploaded spreadsheets (.xlsx, .xls, .ods via python-calamine; .csv in UTF-8 or GBK).

Files are recognised by their first bytes, not their names, so a renamed .docx or an
encrypted workbook gets a message that says what it really is. The header row is found by
matching known column names (with aliases), even below title rows and across two-row merged
headers such as 员工情况 over 在册/报到/隔离/到岗 (or 上岗).
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from python_calamine import CalamineWorkbook

from fugong.core.errors import ErrorItem, ValidationFailed
from fugong.core.sheets import GUARD, unguard

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
HEADER_SCAN_ROWS = 10
PICTURE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF")


def file_error(message: str) -> ValidationFailed:
    """The file as a whole cannot be read (not a sheet, no header, no rows): no row or column to name."""
    return ValidationFailed.of([ErrorItem(message, code="bad_file", field="file")])


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]
    # ((first row, first column), (last row, last column)), 0-based, where the reader knows them
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    visible: bool = True


def read_sheet(data: bytes, filename: str = "", *, max_bytes: int | None = None) -> Sheet:
    """The first sheet of the file that has a recognisable header is chosen by the caller;
    this returns the first non-empty sheet (or the CSV) as rows of cell values."""
    sheets = read_sheets(data, filename, max_bytes=max_bytes)
    for sheet in sheets:
        if any(any(c not in (None, "") for c in row) for row in sheet.rows):
            return sheet
    raise file_error("文件中没有任何数据，请确认填写的是第一个工作表并已保存")


def read_sheets(data: bytes, filename: str = "", *, max_bytes: int | None = None) -> list[Sheet]:
    sheets = _read_sheets(data, filename, max_bytes=max_bytes)
    for sheet in sheets:
        _drop_guards(sheet.rows)
    return sheets


def _drop_guards(rows: list[list[Any]]) -> None:
    """Cells as the user typed them: without the apostrophe our writers put before a formula
    trigger (`core.sheets.guard`), so a template or result sheet the system wrote imports as is.
    In place, so a 100,000-row sheet is not copied."""
    for row in rows:
        for index, value in enumerate(row):
            if isinstance(value, str) and value[:1] == GUARD:
                row[index] = unguard(value)


def _read_sheets(data: bytes, filename: str = "", *, max_bytes: int | None = None) -> list[Sheet]:
    if max_bytes is not None and len(data) > max_bytes:
        raise file_error(
            f"文件过大（{len(data) / 1048576:.1f} MB），上限为{max_bytes / 1048576:.0f} MB；请分成几个文件分别导入"
        )
    if not data.strip():
        raise file_error("文件是空的，请选择已填写并保存的表格文件")
    if data.startswith(ZIP_MAGIC):
        return _read_zip_workbook(data)
    if data.startswith(OLE_MAGIC):
        return _read_ole_workbook(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode 文本": UTF-16, tab-separated
        return [Sheet("CSV", _read_csv(data, encodings=("utf-16",)))]
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        raise file_error(
            "这是网页（HTML/XML）格式的文件，只是扩展名为 .xls（一些业务系统这样导出）；"
            "请用 Excel/WPS 打开后“另存为” .xlsx 再导入"
        )
    if data.startswith(PICTURE_MAGIC):
        raise file_error(
            "无法识别的文件格式：这是图片或 PDF，不是表格；请上传 .xlsx、.xls 或 .csv 文件（纸质表请录入填报模板）"
        )
    sample = data[:4096]
    if b"\x00" in sample:
        if sample.count(b"\x00") > len(sample) // 3 or not looks_like_text(sample.replace(b"\x00", b"")):
            raise file_error("无法识别的文件格式，请上传 .xlsx、.xls 或 .csv 文件")
        raise file_error(
            "文件中夹杂大量空字符（NUL），不是正常的表格或文本文件；请用 Excel/WPS 打开后另存为 .xlsx 或 UTF-8 编码的 CSV"
        )
    return [Sheet("CSV", _read_csv(data))]


BROKEN_ZIP = (
    "文件已损坏（压缩包结构不完整，可能没有下载或复制完整），请在 Excel 或 WPS 中重新打开并另存为 .xlsx"
)


def looks_like_text(sample: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(sample) - 3:  # only a character cut at the sample's end
                return True
    return False


def _read_zip_workbook(data: bytes) -> list[Sheet]:
    try:
        return _read_checked_zip(data)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        raise file_error(BROKEN_ZIP) from None


def _read_checked_zip(data: bytes) -> list[Sheet]:
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    if "word/document.xml" in names:
        raise file_error("这是一个 Word 文档（.docx），不是表格，请上传 Excel/WPS 表格文件")
    if "xl/workbook.xml" not in names and "content.xml" not in names:
        raise file_error("这个压缩文件不是 Excel 工作簿，请上传 .xlsx、.xls 或 .csv 文件")
    _refuse_huge_sheets(zipfile.ZipFile(io.BytesIO(data)))
    return _read_with_calamine(data)


MAX_SHEET_CELLS = 12_000_000  # e.g. 200,000 rows × 60 columns; the reader holds the whole grid
DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+:([A-Z]+)(\d+)"')


def _refuse_huge_sheets(archive: zipfile.ZipFile) -> None:
    """A stray cell far away (say at XFD1048576) would make the reader allocate gigabytes."""
    for name in archive.namelist():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        with archive.open(name) as f:
            match = DIMENSION.search(f.read(4096))
        if match:
            columns = 0
            for letter in match.group(1).decode():
                columns = columns * 26 + ord(letter) - 64
            rows = int(match.group(2))
            if rows * columns > MAX_SHEET_CELLS:
                raise file_error(
                    f"工作表的使用范围过大（{rows}行×{columns}列），多半是远处有误填的单元格；"
                    "请删除数据区域以外的行和列后另存再导入"
                )


def ole_stream_named(data: bytes, name: str) -> bool:
    """Whether a Compound File's directory names a stream (names are stored in UTF-16)."""
    return name.encode("utf-16-le") in data


def _read_ole_workbook(data: bytes) -> list[Sheet]:
    if ole_stream_named(data, "EncryptedPackage"):
        raise file_error("文件设置了打开密码，系统无法读取；请在 Excel/WPS 中取消密码保护后另存再导入")
    if ole_stream_named(data, "WordDocument"):
        raise file_error("这是一个 Word 文档（.doc），不是表格，请上传 Excel/WPS 表格文件")
    if ole_stream_named(data, "PowerPoint Document"):
        raise file_error("这是一个 PowerPoint 演示文稿，不是表格，请上传 Excel/WPS 表格文件")
    return _read_with_calamine(data)


def _read_with_calamine(data: bytes) -> list[Sheet]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in workbook.sheets_metadata:
            sheet = workbook.get_sheet_by_name(meta.name)
            visible = str(meta.visible).rsplit(".", 1)[-1] == "Visible"
            rows = sheet.to_python(skip_empty_area=False)
            sheets.append(Sheet(meta.name, rows, list(sheet.merged_cell_ranges or []), visible))
        return sheets
    except ValidationFailed:
        raise
    except Exception as exc:  # calamine raises several types for broken files
        text = str(exc)
        if "password" in text.lower() or "encrypt" in text.lower():
            raise file_error("文件设置了密码保护，系统无法读取；请取消密码保护后另存再导入") from None
        raise file_error(
            "文件无法作为表格读取（文件不完整或格式已损坏），请在 Excel/WPS 中打开后另存为 .xlsx 再导入"
        ) from None


HIDDEN_ROW = re.compile(rb'<row [^>]*?\br="(\d+)"[^>]*?\bhidden="(?:1|true)"')
ERROR_CELL = re.compile(rb'<c ([^>/]*\bt="e"[^>/]*)>(.*?)</c>', re.S)
CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
CELL_VALUE = re.compile(rb"<v>([^<]*)</v>")
SHEET_ENTRY = re.compile(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
RELATIONSHIP = re.compile(rb'<Relationship [^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
RELATIONSHIP_REVERSED = re.compile(rb'<Relationship [^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


@dataclass
class SheetXml:
    """What the reader does not say about an .xlsx sheet: hidden rows (1-based numbers) and
    cells holding a formula error, which it gives as empty (0-based row, column → "#REF!")."""

    hidden_rows: list[int] = field(default_factory=list)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


def scan_sheet_xml(data: bytes, sheet_name: str) -> SheetXml:
    """Reads the sheet's XML in pieces, so a 100,000-row sheet costs no more memory than a
    small one. Other formats give nothing."""
    found = SheetXml()
    path = _sheet_path(data, sheet_name) if data.startswith(ZIP_MAGIC) else None
    if path is None:
        return found
    tail = b""
    with zipfile.ZipFile(io.BytesIO(data)).open(path) as f:
        while chunk := f.read(1 << 20):
            text = tail + chunk
            cut = text.rfind(b"<row ")  # a row cut in two is searched with the next piece
            cut = cut if cut >= 0 else len(text)
            _scan(text[:cut], found)
            tail = text[cut:]
    _scan(tail, found)
    return found


def _scan(text: bytes, found: SheetXml) -> None:
    found.hidden_rows += [int(n) for n in HIDDEN_ROW.findall(text)]
    if b't="e"' not in text:
        return
    for attributes, body in ERROR_CELL.findall(text):
        ref, value = CELL_REF.search(attributes), CELL_VALUE.search(body)
        if ref and value:
            found.errors[int(ref.group(2)) - 1, column_index(ref.group(1).decode())] = value.group(1).decode()


def column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _sheet_path(data: bytes, sheet_name: str) -> str | None:
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = {name.lower(): name for name in archive.namelist()}
    try:
        workbook = archive.read(names["xl/workbook.xml"])
        rels = archive.read(names["xl/_rels/workbook.xml.rels"])
    except KeyError:
        return None
    ids = {html.unescape(n.decode()): rid for n, rid in SHEET_ENTRY.findall(workbook)}
    targets = dict(RELATIONSHIP.findall(rels)) | {i: t for t, i in RELATIONSHIP_REVERSED.findall(rels)}
    target = targets.get(ids.get(sheet_name, b""))
    if target is None:
        return None
    path = target.decode().lstrip("/")
    path = path if path.startswith("xl/") else f"xl/{path}"
    # part names are case-insensitive in a package (Sheet1.xml and sheet1.xml are the same part)
    return {name.lower(): name for name in archive.namelist()}.get(path.lower())


def _read_csv(data: bytes, encodings: tuple[str, ...] = ("utf-8-sig", "gb18030")) -> list[list[Any]]:
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise file_error("CSV 文件的文字编码无法识别，请另存为 UTF-8 或 GBK 编码")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def header_text(value: Any) -> str:
    """A header cell reduced to its bare words: no spaces, line breaks, units or marks."""
    text = "" if value is None else str(value)
    for junk in (" ", "\u3000", "\n", "\r", "\t", "*", "＊", "：", ":"):
        text = text.replace(junk, "")
    for opener, closer in (("（", "）"), ("(", ")")):
        while opener in text and closer in text.split(opener, 1)[1]:
            head, rest = text.split(opener, 1)
            text = head + rest.split(closer, 1)[1]
    return text


@dataclass
class Header:
    row_index: int  # index of the last header row (0-based); data starts below it
    columns: dict[str, int]  # field → column index


def locate_header(
    rows: Sequence[Sequence[Any]], aliases: dict[str, str], *, required: Sequence[str]
) -> Header | None:
    """Finds the header among the first rows: one row, or two rows of merged cells.

    `aliases` maps a bare header text to a field name. The best-matching candidate wins; a
    header must name at least one of `required` and two fields in all.
    """
    best: Header | None = None
    for index in range(min(HEADER_SCAN_ROWS, len(rows))):
        for header in (_one_row_header(rows, index, aliases), _two_row_header(rows, index, aliases)):
            if header is None or not any(f in header.columns for f in required) or len(header.columns) < 2:
                continue
            if best is None or len(header.columns) > len(best.columns):
                best = header
    return best


def _one_row_header(rows: Sequence[Sequence[Any]], index: int, aliases: dict[str, str]) -> Header:
    columns: dict[str, int] = {}
    for col, cell in enumerate(rows[index]):
        field = aliases.get(header_text(cell))
        if field and field not in columns:
            columns[field] = col
    return Header(index, columns)


def _two_row_header(rows: Sequence[Sequence[Any]], index: int, aliases: dict[str, str]) -> Header | None:
    if index + 1 >= len(rows):
        return None
    top, bottom = rows[index], rows[index + 1]
    columns: dict[str, int] = {}
    group = ""
    for col in range(max(len(top), len(bottom))):
        upper = header_text(top[col]) if col < len(top) else ""
        lower = header_text(bottom[col]) if col < len(bottom) else ""
        if upper:
            group = upper
        candidates = [lower, group + lower, upper] if lower else [upper]
        for candidate in candidates:
            field = aliases.get(candidate)
            if field and field not in columns:
                columns[field] = col
                break
    return Header(index + 1, columns)


SKIP_FIRST_CELL_WORDS = ("合计", "总计", "小计", "备注", "说明", "填表说明", "注：", "注:")


def data_rows(rows: Sequence[Sequence[Any]], header: Header) -> Iterator[tuple[int, Sequence[Any]]]:
    """(spreadsheet row number, row) for each row below the header that holds data."""
    for index in range(header.row_index + 1, len(rows)):
        row = rows[index]
        cells = [c for c in row if c not in (None, "") and str(c).strip()]
        if not cells:
            continue
        first = str(cells[0]).strip()
        if first.startswith(SKIP_FIRST_CELL_WORDS):
            continue
        yield index + 1, row
