"""Malformed dispatch sheets (issue 5 §3): files as bureaus and enterprises really send them, wrong.

Each case builds its file in memory when the test runs (no binary fixtures in the repository),
says whether the import must refuse the whole file (`file`) or reject one row (`row`, with the
spreadsheet row number), and lists the Chinese words the message must contain. Apart from the one
defect, every sheet is a valid report of the test enterprises for `DAY`, so that a case cannot
pass because of some other, accidental, mistake; `valid_files` are the same sheets without the
defect, and a test checks that they import.

Layout of the sheets, as in the fill-in template: a merged title row, a merged 填报单位 line, the
header on row 3 and data from row 4 (so the second enterprise is on spreadsheet row 5), unless a
case says otherwise.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import xlsxwriter
import xlwt

from fugong.dispatch.sheets.columns import META_SHEET, meta_rows
from tests.conftest import ENTERPRISES, uscc
from tests.support import sheets
from tests.support.reports import DAY  # a Monday within the plan

TITLE = "全省外贸企业开复工情况日调度表"
HEADER = [
    "统一社会信用代码",
    "企业名称",
    "所属区划",
    "是否复工",
    "复工日期",
    "在册员工",
    "报到人数",
    "报到后隔离",
    "实际上岗",
    "产能恢复比例",
    "防疫措施",
    "问题类别",
    "突出问题",
    "政策建议",
]
FIELDS = [
    "uscc",
    "name",
    "region",
    "resumed",
    "resumed_on",
    "baseline_headcount",
    "reported_back",
    "isolated",
    "on_duty",
    "capacity_pct",
    "measures",
    "problem_tags",
    "problems",
    "suggestions",
]
COL = {f: i for i, f in enumerate(FIELDS)}
REGION_NAMES = {
    "220102": "南关区",
    "220104": "朝阳区",
    "220202": "昌邑区",
    "220184": "公主岭市",
    "220173": "长春高新技术产业开发区",
}
USCC = {
    key: uscc(region, serial) for serial, (key, (region, _, _)) in enumerate(ENTERPRISES.items(), start=1)
}
FIRST_DATA_ROW = 4  # spreadsheet row of the first enterprise under the standard layout

# Each enterprise's report for DAY: consistent (isolated and on duty within reported back, no
# more back than on the books), so no warning needs confirming and a clean file imports.
FIGURES: dict[str, dict[str, Any]] = {
    "nanguan": {
        "resumed": "是",
        "resumed_on": "2020-02-10",
        "baseline_headcount": 480,
        "reported_back": 300,
        "isolated": 20,
        "on_duty": 260,
        "capacity_pct": 55,
        "measures": "测温、消毒、口罩储备",
        "problem_tags": "物流运输不畅、原材料供应",
        "problems": "部分一级供应商在外省尚未复工，库存只够一周",
        "suggestions": "协调外省供应商货车通行证",
    },
    "chaoyang": {
        "resumed": "是",
        "resumed_on": "2020年2月3日",
        "baseline_headcount": 120,
        "reported_back": 100,
        "isolated": 5,
        "on_duty": 90,
        "capacity_pct": 70,
        "measures": "测温、消毒、错峰就餐",
        "problem_tags": "",
        "problems": "",
        "suggestions": "",
    },
    "changyi": {
        "resumed": "否",
        "resumed_on": None,
        "baseline_headcount": 300,
        "reported_back": 40,
        "isolated": 0,
        "on_duty": 0,
        "capacity_pct": 0,
        "measures": "测温、员工健康台账",
        "problem_tags": "防疫物资短缺、用工难",
        "problems": "口罩缺口约2000只/天，复工备案材料未齐",
        "suggestions": "请求调配口罩，简化复工备案",
    },
    "gongzhuling": {
        "resumed": "是",
        "resumed_on": "2020-02-12",
        "baseline_headcount": 90,
        "reported_back": 80,
        "isolated": 2,
        "on_duty": 70,
        "capacity_pct": 60,
        "measures": "测温、通风",
        "problem_tags": "产品积压",
        "problems": "玉米油出口订单延期装运",
        "suggestions": "",
    },
    "gaoxin": {
        "resumed": "是",
        "resumed_on": "2020-02-10",
        "baseline_headcount": 60,
        "reported_back": 50,
        "isolated": 0,
        "on_duty": 48,
        "capacity_pct": 80,
        "measures": "测温、消毒、隔离观察场所",
        "problem_tags": "",
        "problems": "",
        "suggestions": "",
    },
}


def record(key: str, **changes: Any) -> dict[str, Any]:
    """One enterprise's row as a dict of fields, with the registry's code, name and region."""
    region, name, _ = ENTERPRISES[key]
    return {"uscc": USCC[key], "name": name, "region": REGION_NAMES[region], **FIGURES[key], **changes}


def three(middle: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """南关, 朝阳 (or the case's own second row) and 昌邑: the bad row sits between good ones."""
    return [record("nanguan"), middle if middle is not None else record("chaoyang"), record("changyi")]


def table(records: Sequence[dict[str, Any]], *, title: bool = True) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if title:
        rows += [[TITLE], ["填报单位：吉林省商务厅　填报日期：2020年02月17日"]]
    rows.append(list(HEADER))
    rows += [[r.get(f) for f in FIELDS] for r in records]
    return rows


@dataclass(frozen=True)
class Formula:
    """A formula cell with the value Excel cached for it (which is what readers see)."""

    text: str
    cached: Any


@dataclass
class Tab:
    """One worksheet: rows of values, merged ranges (0-based, inclusive), hidden rows."""

    name: str
    rows: list[list[Any]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_rows: tuple[int, ...] = ()
    very_hidden: bool = False


def title_merges(width: int = len(HEADER)) -> list[tuple[int, int, int, int]]:
    # the template merges its title and 填报单位 lines across the sheet: merges there are fine
    return [(0, 0, 0, width - 1), (1, 0, 1, width - 1)]


def workbook(*tabs: Tab) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for tab in tabs:
        sheet = book.add_worksheet(tab.name)
        covered = set()
        for first_row, first_col, last_row, last_col in tab.merges:
            value = tab.rows[first_row][first_col] if first_col < len(tab.rows[first_row]) else None
            sheet.merge_range(first_row, first_col, last_row, last_col, value)
            covered |= {
                (r, c) for r in range(first_row, last_row + 1) for c in range(first_col, last_col + 1)
            }
        for r, row in enumerate(tab.rows):
            for c, value in enumerate(row):
                if (r, c) in covered or value is None:
                    continue
                if isinstance(value, Formula):
                    sheet.write_formula(r, c, value.text, None, value.cached)
                elif isinstance(value, datetime.date):
                    sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date_format)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)  # "=..." and "0012" stay text, as typed
                else:
                    sheet.write(r, c, value)
        for r in tab.hidden_rows:
            sheet.set_row(r, None, None, {"hidden": True})
        if tab.very_hidden:
            sheet.very_hidden()
    book.close()
    return buffer.getvalue()


def meta_tab(plan_id: int, day: datetime.date, region: str = "220000") -> Tab:
    """The template's very hidden sheet naming the plan, day and region it was made for."""
    return Tab(META_SHEET, [list(pair) for pair in meta_rows(plan_id, day, region)], very_hidden=True)


def report_xlsx(rows: list[list[Any]], **tab: Any) -> bytes:
    merges = tab.pop("merges", [])
    return workbook(Tab("调度表", rows, merges=title_merges() + merges, **tab))


def xls_book(rows: Sequence[Sequence[Any]], sheet_name: str = "调度表") -> bytes:
    book = xlwt.Workbook(encoding="gbk")
    sheet = book.add_sheet(sheet_name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def replace_member(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """The zip with one member's content changed and the rest copied as they were."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, change(content) if info.filename == name else content)
    return buffer.getvalue()


@dataclass(frozen=True)
class Setting:
    """What a builder may need from the test database: the plan, another plan, the importing
    user and their region (for the real template)."""

    plan: Any
    other_plan: Any
    user: Any
    region: Any
    day: datetime.date = DAY


Built = tuple[str, bytes]
Builder = Callable[[Setting], Built]


@dataclass(frozen=True)
class Case:
    name: str
    build: Builder
    expect: tuple[str, ...]  # every one must be in the message
    level: Literal["file", "row"]
    row: int | None = None  # for row-level cases: the spreadsheet row that must be rejected
    persona: str = "province"


CASES: list[Case] = []


def case(
    name: str, level: Literal["file", "row"], *expect: str, row: int | None = None, persona: str = "province"
) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        assert name not in {c.name for c in CASES}, name
        assert (level == "row") == (row is not None), name
        CASES.append(Case(name, build, expect, level, row, persona))
        return build

    return register


SECOND = FIRST_DATA_ROW + 1


# ---- files that are not readable spreadsheets -------------------------------------------------


@case("empty file", "file", "文件是空的")
def empty_file(s: Setting) -> Built:
    return "调度表.xlsx", b""


@case("only blank lines (a failed export)", "file", "文件是空的")
def blank_lines(s: Setting) -> Built:
    return "调度表.csv", b"\r\n\r\n  \r\n"


@case("truncated download of an xlsx", "file", "文件已损坏")
def truncated_xlsx(s: Setting) -> Built:
    data = report_xlsx(table(three()))
    return "调度表.xlsx", data[: len(data) * 6 // 10]


@case("xlsx with a damaged worksheet stream", "file", "损坏")
def damaged_xlsx(s: Setting) -> Built:
    # The zip directory is intact but the sheet's compressed bytes are garbled, as after a bad
    # USB stick: the reader fails while inflating, not while listing members.
    data = bytearray(report_xlsx(table(three())))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + 60):
        data[i] ^= 0x5A
    return "调度表.xlsx", bytes(data)


@case("zip header followed by zeros", "file", "文件已损坏")
def corrupt_zip(s: Setting) -> Built:
    return "调度表.xlsx", b"PK\x03\x04" + b"\x00" * 2000


@case("Word .docx renamed .xlsx", "file", "Word 文档")
def renamed_docx(s: Setting) -> Built:
    return "调度表.xlsx", sheets.docx_like()


@case("old Word .doc renamed .xls", "file", "Word")
def renamed_doc(s: Setting) -> Built:
    # The same mistake as the .docx one, in the older format: a Compound File without a
    # Workbook stream. The message should say what it is, as it does for .docx.
    return "调度表.xls", sheets.word97_document("关于我公司复工复产情况的报告")


@case("Apple Numbers file renamed .xlsx", "file", "不是 Excel 工作簿")
def numbers_file(s: Setting) -> Built:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("Index/Document.iwa", b"\x00\x01\x02" * 100)
        z.writestr("Metadata/Properties.plist", b"bplist00")
        z.writestr("preview.jpg", b"\xff\xd8\xff\xe0")
    return "调度表.xlsx", buffer.getvalue()


@case("password-protected workbook", "file", "密码")
def password_protected(s: Setting) -> Built:
    return "调度表.xlsx", sheets.encrypted_workbook()


@case("phone photo of the paper sheet", "file", "无法识别的文件格式")
def photo(s: Setting) -> Built:
    return "调度表.xlsx", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00H\x00H\x00\x00" + bytes(
        range(256)
    ) * 8


@case("truncated .xls named .xlsx", "file", "无法作为表格读取")
def truncated_xls(s: Setting) -> Built:
    # The broken twin of "a good .xls named .xlsx" below: same name, but cut off mid-file.
    return "调度表.xlsx", xls_book(table(three()))[:700]


@case("HTML table saved as .xls by an old OA system", "file", "网页")
def html_as_xls(s: Setting) -> Built:
    # Many office systems "export to Excel" by writing an HTML table with an .xls name. Excel
    # opens it (with a warning), so the user sees the right columns; the message must say what
    # the file really is, not that its header is missing.
    cells = "".join(f"<td>{h}</td>" for h in HEADER)
    body = "".join(
        "<tr>" + "".join(f"<td>{'' if r.get(f) is None else r.get(f)}</td>" for f in FIELDS) + "</tr>"
        for r in three()
    )
    page = (
        '<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8">'
        f"</head><body><table><tr>{cells}</tr>{body}</table></body></html>"
    )
    return "调度表.xls", page.encode("utf-8")


def csv_text(rows: Sequence[Sequence[Any]], separator: str = ",") -> str:
    return "\r\n".join(separator.join("" if v is None else str(v) for v in row) for row in rows) + "\r\n"


@case("CSV in a Western code page", "file", "编码无法识别")
def csv_latin(s: Setting) -> Built:
    # A foreign-invested firm's ERP writes Windows-1252: neither UTF-8 nor GBK can decode it.
    rows = table(three(record("chaoyang", problems="Lieferant Weiß GmbH liefert nicht")), title=False)
    text = csv_text(rows).encode("gb18030")
    weiss = "Weiß GmbH".encode("gb18030")
    return "调度表.csv", text.replace(weiss, "Weiß GmbH".encode("cp1252"))


@case("CSV in Big5 (traditional characters)", "file", "编码")
def csv_big5(s: Setting) -> Built:
    # A Hong Kong-invested firm's system writes Big5. GB18030 decodes it without an error but
    # into nonsense, so the sheet seems to have no header; the message should point at the
    # encoding (the text is full of private-use characters, a sign of the wrong code page).
    header = [
        "統一社會信用代碼",
        "企業名稱",
        "所屬區劃",
        "是否復工",
        "在冊員工",
        "報到人數",
        "報到後隔離",
        "實際上崗",
    ]
    rows: list[list[Any]] = [
        header,
        [USCC["nanguan"], "長春南關汽車零部件有限公司", "南關區", "是", 480, 300, 20, 260],
    ]
    return "调度表.csv", csv_text(rows).encode("big5")


@case("CSV from a legacy system with NUL-padded fields", "file", "NUL")
def csv_nul_padded(s: Setting) -> Built:
    # Fixed-width exports pad fields with NUL; a clear message names the NUL characters
    # rather than calling a .csv an unknown format.
    rows = table(three(), title=False)
    rows[1][1] = str(rows[1][1]) + "\x00" * 6
    return "调度表.csv", csv_text(rows).encode("utf-8-sig")


@case("worksheet used range A1:XFD1048576", "file", "使用范围过大")
def huge_dimension(s: Setting) -> Built:
    # A stray keystroke in the far corner makes Excel record the whole grid as used.
    def widen(xml: bytes) -> bytes:
        assert b'<dimension ref="A1:N6"/>' in xml
        return xml.replace(b'<dimension ref="A1:N6"/>', b'<dimension ref="A1:XFD1048576"/>', 1)

    return "调度表.xlsx", replace_member(report_xlsx(table(three())), "xl/worksheets/sheet1.xml", widen)


@case("50 MB CSV, over the 20 MB limit", "file", "文件过大")
def oversize(s: Setting) -> Built:
    # A year of a province's rows pasted into one file; bytes are repeated, not generated, to be quick.
    head = csv_text(table([], title=False)).encode("utf-8-sig")
    line = csv_text([[record("nanguan").get(f) for f in FIELDS]]).encode("utf-8")
    return "全年调度表.csv", head + line * (50 * 1024 * 1024 // len(line) + 1)


# ---- readable files that are not a report sheet for this plan and day --------------------------


@case("the wrong sheet: a region summary instead of the enterprise sheet", "file", "统一社会信用代码")
def wrong_sheet(s: Setting) -> Built:
    rows: list[list[Any]] = [
        ["全省外贸企业复工情况汇总表"],
        ["所属区划", "企业数", "已复工", "复工率", "在册员工", "实际上岗"],
        ["长春市", 4, 3, "75%", 750, 418],
        ["吉林市", 1, 0, "0%", 300, 0],
        ["合计", 5, 3, "60%", 1050, 418],
    ]
    return "调度表.xlsx", workbook(Tab("汇总", rows, merges=[(0, 0, 0, 5)]))


@case("no USCC column, names under 公司名称", "file", "统一社会信用代码", "企业名称")
def no_uscc_column(s: Setting) -> Built:
    # Without a code column the import matches exact names (see report_sheet), so a sheet whose
    # names are under a header it does not know has nothing to identify the enterprises by.
    rows = [[row[i] for i in range(len(row)) if i != COL["uscc"]] for row in table(three())]
    rows[2][COL["name"] - 1] = "公司名称"
    return "调度表.xlsx", report_xlsx(rows)


@case("a header and no data rows", "file", "没有企业数据行")
def header_only(s: Setting) -> Built:
    return "调度表.xlsx", report_xlsx(table([]))


@case("a workbook with one empty sheet", "file", "空")
def blank_workbook(s: Setting) -> Built:
    return "调度表.xlsx", workbook(Tab("Sheet1", []))


@case("the downloaded template uploaded again without filling anything in", "file", "没有可导入的数据")
def unfilled_template(s: Setting) -> Built:
    # The template pre-fills code, name, region and headcount; rows with nothing else are "not
    # reported" and skipped, so a file of only such rows has nothing to import, which must be said.
    # (吉林市's: the province's template would come with nanguan's own report of the day
    # pre-filled, and that row is "unchanged", not blank — tests/test_report_template.py)
    from fugong.dispatch.sheets.template import write_template
    from fugong.regions.models import Region

    buffer = io.BytesIO()
    write_template(s.plan, s.day, Region.objects.get(code="220200"), s.user, buffer)
    return "调度填报模板.xlsx", buffer.getvalue()


@case("template made for another plan", "file", "调度任务")
def other_plan(s: Setting) -> Built:
    return "调度表.xlsx", workbook(
        Tab("调度表", table(three()), merges=title_merges()), meta_tab(s.other_plan.pk, s.day)
    )


@case("template made for another day", "file", "2020年02月14日", "2020年02月17日")
def other_day(s: Setting) -> Built:
    # Last Friday's template with today's figures typed over it.
    friday = s.day - datetime.timedelta(days=3)
    return "调度表.xlsx", workbook(
        Tab("调度表", table(three()), merges=title_merges()), meta_tab(s.plan.pk, friday)
    )


@case("hidden rows in the data area", "file", "隐藏")
def hidden_rows(s: Setting) -> Built:
    # A filter or "hide" keeps a row out of sight, yet it is in the file and would be imported.
    rows = table([*three(), record("gongzhuling")])
    return "调度表.xlsx", report_xlsx(rows, hidden_rows=(FIRST_DATA_ROW + 2,))


@case("merged cells in the data area", "file", "合并单元格")
def merged_data(s: Setting) -> Built:
    # 是否复工 merged down over two enterprises: only the first row holds "是", the other reads empty.
    rows = table([*three(record("chaoyang")), record("gongzhuling")])
    rows[FIRST_DATA_ROW][COL["resumed"]] = None
    top = FIRST_DATA_ROW - 1
    return "调度表.xlsx", report_xlsx(rows, merges=[(top, COL["resumed"], top + 1, COL["resumed"])])


# ---- rows that must be rejected ----------------------------------------------------------------


def bad_second_row(**changes: Any) -> bytes:
    return report_xlsx(table(three(record("chaoyang", **changes))))


@case("the same USCC twice", "row", "与第4行是同一家企业", row=FIRST_DATA_ROW + 3)
def duplicate_uscc(s: Setting) -> Built:
    # The second copy, with a trailing space, is last night's figures left in the sheet.
    again = record("nanguan", uscc=USCC["nanguan"] + " ", on_duty=250)
    return "调度表.xlsx", report_xlsx(table([*three(), again]))


@case("text in a number cell", "row", "实际到岗", "“若干”不是数字", row=SECOND)
def text_in_number(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(on_duty="若干")


@case("a count with a word around it", "row", "“约90人”不是数字", row=SECOND)
def count_with_words(s: Setting) -> Built:
    # "90人" alone is read as 90 (cells.parse_int strips the unit); "约90人" is not a number.
    return "调度表.xlsx", bad_second_row(on_duty="约90人")


@case("a negative count", "row", "报到人数", "不能小于0", row=SECOND)
def negative_count(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(reported_back=-3, isolated=0, on_duty=0, capacity_pct=0)


@case("a fractional count", "row", "报到后隔离", "带有小数", row=SECOND)
def fractional_count(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(isolated=2.5)


@case("a count over a million", "row", "在册员工", "不能大于1000000", row=SECOND)
def count_too_big(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(baseline_headcount=1_200_000)


@case("on duty above reported back", "row", "实际到岗人数(130)大于报到人数(100)", row=SECOND)
def on_duty_over_back(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(on_duty=130)


@case("isolated above reported back", "row", "报到后隔离人数(120)大于报到人数(100)", row=SECOND)
def isolated_over_back(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(isolated=120)


@case("not resumed but people on duty", "row", "未复工企业的实际到岗人数应为0，现为90", row=SECOND)
def closed_but_on_duty(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(resumed="否", resumed_on=None, capacity_pct=0)


@case("not resumed but capacity restored", "row", "未复工企业的产能恢复比例应为0", row=SECOND)
def closed_but_capacity(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(resumed="否", resumed_on=None, on_duty=0, capacity_pct=30)


@case("resumed without a capacity figure", "row", "已复工企业请填写实际产能恢复比例", row=SECOND)
def missing_capacity(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(capacity_pct=None)


@case("是否复工 left blank", "row", "是否已开复工（是/否）", row=SECOND)
def missing_resumed(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(resumed=None)


@case("是否复工 says 也许", "row", "“也许”无法识别", "是", "否", row=SECOND)
def maybe_resumed(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(resumed="也许")


@case("a date that does not exist (2020-02-30)", "row", "“2020-02-30”不是存在的日期", row=SECOND)
def february_30(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(resumed_on="2020-02-30")


@case("a 复工日期 after the report day", "row", "复工日期2020-03-01晚于填报日期2020-02-17", row=SECOND)
def future_resumed_on(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(resumed_on=datetime.date(2020, 3, 1))


@case("capacity 250%", "row", "比例不能超过200%", row=SECOND)
def capacity_250(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(capacity_pct="250%")


@case("a 防疫措施 not on the list", "row", "“戴口罩”不是可选的防疫措施", row=SECOND)
def unknown_measure(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(measures="测温、戴口罩")


@case("a 问题类别 not on the list", "row", "“缺工”不是可选的问题类别", row=SECOND)
def unknown_problem_tag(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(problem_tags="缺工")


@case("a 3000-character 突出问题", "row", "内容过长：最多2000个字，现为3000个字", row=SECOND)
def very_long_text(s: Setting) -> Built:
    # pasted from a Word report: a whole paragraph repeated
    return "调度表.xlsx", bad_second_row(problems=("受疫情影响，原材料运输受阻，" * 300)[:3000])


@case("a NUL character in a text cell", "row", "NUL", row=SECOND)
def nul_in_text(s: Setting) -> Built:
    return "调度表.xlsx", bad_second_row(suggestions="希望减免\x00社保")


@case("#REF! formula error in a count", "row", "#REF!", row=SECOND)
def ref_error(s: Setting) -> Built:
    # The on-duty figure was a formula pointing at a column since deleted. Readers see the
    # cached error value; the message must name it, not ask for a missing figure.
    return "调度表.xlsx", bad_second_row(on_duty=Formula("=#REF!+0", "#REF!"))


@case("#DIV/0! formula error in the capacity", "row", "#DIV/0!", row=SECOND)
def div0_error(s: Setting) -> Built:
    # 产能恢复比例 computed as today's output over a normal day's, with the normal day left empty.
    return "调度表.xlsx", bad_second_row(capacity_pct=Formula("=P5/Q5", "#DIV/0!"))


@case("#REF! pasted as text in a CSV", "row", "公式错误值“#REF!”", row=SECOND)
def ref_error_text(s: Setting) -> Built:
    # Excel writes a formula error into a CSV as its text.
    rows = table(three(record("chaoyang", reported_back="#REF!")))
    return "调度表.csv", csv_text(rows).encode("utf-8-sig")


@case("#N/A from a VLOOKUP in the USCC column", "row", "#N/A", row=SECOND)
def na_in_uscc(s: Setting) -> Built:
    # The code was looked up by name in the registry list and the name is not spelt as there,
    # so neither the code nor the name identifies the enterprise.
    lookup = Formula("=VLOOKUP(B5,企业名单!A:B,2,FALSE)", "#N/A")
    return "调度表.xlsx", bad_second_row(uscc=lookup, name="长春朝阳食品公司")


@case("a USCC with a wrong check character", "row", "校验位错误", row=SECOND)
def bad_check_digit(s: Setting) -> Built:
    code = USCC["chaoyang"]
    return "调度表.xlsx", bad_second_row(uscc=code[:17] + ("B" if code[17] != "B" else "C"))


@case("a USCC stored by Excel as a number", "row", "文本", row=SECOND)
def uscc_as_number(s: Setting) -> Built:
    # 公主岭's code is all digits; typed into a General cell Excel keeps 15 significant digits
    # (9.12201840000000E+17), so the last ones are lost. The message should say to format the
    # column as text, not only that the code is wrong.
    as_excel_keeps_it = float(f"{int(USCC['gongzhuling']):.14e}")  # 15 significant digits
    rows = table(three(record("gongzhuling", uscc=as_excel_keeps_it)))
    return "调度表.xlsx", report_xlsx(rows)


UNKNOWN = uscc("220102", 777)


@case("a USCC not in the registry", "row", "找不到", UNKNOWN, row=SECOND)
def unknown_uscc(s: Setting) -> Built:
    # a firm registered this month and not yet in the registry
    return "调度表.xlsx", bad_second_row(uscc=UNKNOWN, name="长春南关新开贸易有限公司")


@case(
    "an enterprise outside the importer's region (长春 importing 吉林市)",
    "row",
    USCC["changyi"],
    "管辖",
    row=FIRST_DATA_ROW + 2,
    persona="changchun",
)
def outside_region(s: Setting) -> Built:
    return "调度表.xlsx", report_xlsx(table(three()))


@case("no USCC and a misspelt name", "row", "长春朝阳食品公司", row=SECOND)
def misspelt_name(s: Setting) -> Built:
    # Without a code the name must match the registry exactly; "公司" for "有限公司" does not.
    return "调度表.xlsx", bad_second_row(uscc=None, name="长春朝阳食品公司")


@case("two-row merged header, text in a count", "row", "“很多”不是数字", row=FIRST_DATA_ROW + 2)
def merged_header_bad_row(s: Setting) -> Built:
    # The official form's header: 员工情况 merged over 在册/报到/隔离/上岗, the other headers
    # merged down over both rows. Merges in the header are fine; the data starts a row lower.
    upper: list[Any] = list(HEADER)
    lower: list[Any] = [None] * len(HEADER)
    first, last = COL["baseline_headcount"], COL["on_duty"]
    upper[first : last + 1] = ["员工情况", None, None, None]
    lower[first : last + 1] = ["在册", "报到", "隔离", "上岗"]
    data = [[r.get(f) for f in FIELDS] for r in three(record("chaoyang", reported_back="很多"))]
    rows = [[TITLE], ["填报单位：吉林省商务厅"], upper, lower, *data]
    merges = [(2, first, 2, last)] + [(2, c, 3, c) for c in range(len(HEADER)) if not first <= c <= last]
    return "调度表.xlsx", report_xlsx(rows, merges=merges)


@case(".xls with GBK text, 是否复工 未定", "row", "“未定”无法识别", row=SECOND)
def xls_gbk(s: Setting) -> Built:
    # The quoted value proves the Chinese text was read, not mangled.
    return "调度表.xls", xls_book(table(three(record("chaoyang", resumed="未定"))))


@case(
    "a good .xls named .xlsx, isolated above back", "row", "报到后隔离人数(120)大于报到人数(100)", row=SECOND
)
def xls_named_xlsx(s: Setting) -> Built:
    # The name lies but the content is a readable workbook: it is read, and the row judged.
    return "调度表.xlsx", xls_book(table(three(record("chaoyang", isolated=120))))


@case("GBK CSV, 复工日期 in words", "row", "“二月三日”不是可识别的日期", row=SECOND)
def gbk_csv_date(s: Setting) -> Built:
    rows = table(three(record("chaoyang", resumed_on="二月三日")))
    return "调度表.csv", csv_text(rows).encode("gbk")


@case("a template-made sheet with a blank 报到人数", "row", "请填写报到人数", row=SECOND)
def template_blank_count(s: Setting) -> Built:
    rows = table(three(record("chaoyang", reported_back=None)))
    return "调度表.xlsx", workbook(Tab("调度表", rows, merges=title_merges()), meta_tab(s.plan.pk, s.day))


# ---- the same sheets without a defect ----------------------------------------------------------


def valid_files(s: Setting) -> dict[str, tuple[Built, int]]:
    """Name → (file, number of reports it holds): each layout the cases use, correct."""
    records = three()
    csv_rows = table(records)
    return {
        "xlsx": (("调度表.xlsx", report_xlsx(table(records))), 3),
        "xlsx from the template": (
            (
                "调度表.xlsx",
                workbook(Tab("调度表", table(records), merges=title_merges()), meta_tab(s.plan.pk, s.day)),
            ),
            3,
        ),
        "xls": (("调度表.xls", xls_book(table(records))), 3),
        "GBK csv": (("调度表.csv", csv_text(csv_rows).encode("gbk")), 3),
        "UTF-8 csv": (("调度表.csv", csv_text(csv_rows).encode("utf-8-sig")), 3),
        "changchun's own enterprises": (("调度表.xlsx", report_xlsx(table(records[:2]))), 2),
    }
