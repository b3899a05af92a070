"""Builders of real spreadsheet files (xlsx via XlsxWriter, xls via xlwt, csv) for import tests,
and the header and rows of the two sheets a clerk uploads: the dispatch sheet and the registry."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence
from typing import Any

import xlsxwriter
import xlwt

from tests.conftest import World, uscc

Rows = Sequence[Sequence[Any]]

# The dispatch sheet's figure columns, as a county fills them (no 复工日期, no problem columns)
REPORT_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "是否复工",
    "在册员工",
    "报到人数",
    "报到后隔离",
    "实际上岗",
    "产能恢复比例",
]
ENTERPRISE_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "所属区划",
    "行业代码",
    "行业标签",
    "规模以上",
    "重点企业层级",
    "在册员工",
    "联系电话",
    "启用日期",
]
LISTED = (uscc("220102", 9001), uscc("220104", 9002))  # the two enterprises of enterprise_rows()


def report_row(world: World, key: str, *values: Any) -> list[Any]:
    """A dispatch-sheet row of the enterprise `key`: its USCC and name, then `values`."""
    e = world.enterprise(key)
    return [e.uscc, e.name, *values]


def enterprise_rows() -> list[list[Any]]:
    """A registry sheet as a city sends it: title rows, the header, two enterprises written the
    ways clerks write them, a blank row and a 合计 row."""
    a, b = LISTED
    return [
        ["2020年企业复工调度名单"],
        ["填报单位：长春市商务局", None, None, "日期：2020-02-17"],
        ENTERPRISE_HEADER,
        [
            a,
            "长春甲汽车配件有限公司",
            "220102",
            "C36",
            "外贸、规上工业",
            "是",
            "省级",
            480,
            "0431-8888",
            "2020-01-01",
        ],
        [
            b,
            "长春乙食品有限公司",
            "长春市朝阳区",
            "13",
            "民生保供",
            "否",
            "",
            "1,200",
            13900000000,
            "2020年2月1日",
        ],
        [None, None, None, None, None, None, None, None, None, None],
        ["合计", None, None, None, None, None, None, 1680],
    ]


def xlsx(*sheets: tuple[str, Any]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, rows in sheets:
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("="):
                    sheet.write_formula(r, c, value)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def xls(rows: Rows) -> bytes:
    book = xlwt.Workbook(encoding="gbk")
    sheet = book.add_sheet("企业名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Rows, encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def docx_like() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A Compound File (the container of .xls, .doc and password-protected .xlsx) holding `streams`.

    Laid out as Excel and Word write it (header, FAT, directory, stream sectors), so a reader that
    walks the directory sees the stream names it would see in a real file. Each stream is padded to
    the 4096-byte cutoff so that it sits in ordinary sectors and no mini stream is needed.
    """
    sector, free, end, fat_mark, none = 512, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    # siblings must be in the format's order (shorter names first, then case-insensitive)
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    bodies = [streams[n].ljust(max(4096, -(-len(streams[n]) // sector) * sector), b"\0") for n in names]
    dir_sectors = -(-(len(names) + 1) // 4)
    fat = [fat_mark, *range(2, dir_sectors + 1), end]
    starts = []
    for body in bodies:
        first, count = len(fat), len(body) // sector
        starts.append(first)
        fat += [*range(first + 1, first + count), end]
    if len(fat) > sector // 4:
        raise ValueError("ole_file keeps to one FAT sector; use smaller streams")
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded),
            kind,
            1,
            none,
            right,
            child,
            b"",
            0,
            0,
            0,
            start,
            size,
        )

    directory = entry("Root Entry", 5, none, 1 if names else none, end, 0)
    for i, (start, body) in enumerate(zip(starts, bodies, strict=True)):
        directory += entry(names[i], 2, i + 2 if i + 1 < len(names) else none, none, start, len(body))
    directory += entry("", 0, none, none, 0, 0) * (dir_sectors * 4 - len(names) - 1)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"",
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"",
        0,
        1,
        1,
        0,
        4096,
        end,
        0,
        end,
        0,
    ) + struct.pack("<109I", 0, *([free] * 108))
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + b"".join(bodies)


def encrypted_workbook() -> bytes:
    """What Excel or WPS saves when a workbook gets an opening password: the .xlsx, encrypted,
    inside a Compound File with its EncryptionInfo beside it (contents here are filler)."""
    info = struct.pack("<HHI", 4, 4, 0x40) + "Microsoft Enhanced RSA and AES Cryptographic Provider".encode(
        "utf-16-le"
    )
    package = struct.pack("<Q", 9876) + bytes(range(256)) * 40
    return ole_file({"EncryptionInfo": info, "EncryptedPackage": package})


def word97_document(text: str) -> bytes:
    """An old Word .doc: a Compound File whose main stream is WordDocument, not Workbook."""
    return ole_file({"WordDocument": b"\xec\xa5\xc1\x00" + text.encode("utf-16-le"), "1Table": b"\x00" * 64})
