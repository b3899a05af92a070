"""Builders of real spreadsheet files (xlsx via XlsxWriter, xls via xlwt, csv) for import tests."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence
from typing import Any

import xlsxwriter
import xlwt

Rows = Sequence[Sequence[Any]]


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
