"""Importing the registry from real spreadsheets: upserts, row reports, and bad files that write nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from fugong.core.errors import ValidationFailed
from fugong.core.models import AuditEvent, Channel
from fugong.enterprises.importing import check_import_enterprises
from fugong.enterprises.models import Enterprise
from tests.conftest import World, uscc
from tests.support import sheets
from tests.support.sheets import ENTERPRISE_HEADER, enterprise_rows

A, B = sheets.LISTED
C = uscc("220202", 9003)


def run(user: Any, data: bytes, **flags: Any) -> Any:
    return check_import_enterprises(user, data, "名单.xlsx", channel=Channel.EXCEL, **flags)


def test_it_creates_enterprises_from_a_sheet_with_title_rows_and_skips_totals(world: World) -> None:
    result = run(world.user("changchun"), sheets.xlsx(("名单", enterprise_rows())))
    assert result.summary() == "导入完成：共2行，新增2，更新0，无变化0，拒绝0"
    a = Enterprise.objects.get(uscc=A)
    assert (a.region_id, a.industry_id, a.tier, a.above_scale, a.baseline_headcount) == (
        "220102",
        "36",
        "province",
        True,
        480,
    )
    assert sorted(s.name for s in a.sectors.all()) == ["外贸", "规上工业"]
    b = Enterprise.objects.get(uscc=B)
    assert (b.region_id, b.baseline_headcount, b.contact_phone, str(b.active_from)) == (
        "220104",
        1200,
        "13900000000",
        "2020-02-01",
    )
    assert AuditEvent.objects.filter(action="enterprise.create", channel="excel").count() == 2


def test_reimporting_the_same_file_changes_nothing(world: World) -> None:
    data = sheets.xlsx(("名单", enterprise_rows()))
    run(world.user("changchun"), data)
    changes = AuditEvent.objects.exclude(action="enterprise.import")  # the import itself is recorded
    events = changes.count()
    result = run(world.user("changchun"), data)
    assert (result.count("unchanged"), result.count("created"), result.count("updated")) == (2, 0, 0)
    assert changes.count() == events


def test_a_changed_cell_updates_and_keeps_history(world: World) -> None:
    run(world.user("changchun"), sheets.xlsx(("名单", enterprise_rows())))
    rows = enterprise_rows()
    rows[3][7] = 530
    result = run(world.user("changchun"), sheets.xlsx(("名单", rows)))
    assert (result.count("updated"), result.count("unchanged")) == (1, 1)
    event = AuditEvent.objects.filter(action="enterprise.update").get()
    assert event.changes == {"baseline_headcount": [480, 530]}


def test_one_bad_row_rejects_the_file_and_writes_nothing(world: World) -> None:
    rows = enterprise_rows()
    rows[4][7] = "-5"
    result = run(world.user("changchun"), sheets.xlsx(("名单", rows)))
    assert not result.written
    assert [(o.row, o.message) for o in result.rejected] == [(5, "在册员工“-5”：不能小于0，现为-5")]
    assert not Enterprise.objects.filter(uscc__in=[A, B]).exists()


def test_partial_import_writes_the_good_rows_only(world: World) -> None:
    rows = enterprise_rows()
    rows[4][0] = B[:17] + ("0" if B[17] != "0" else "1")
    result = run(world.user("changchun"), sheets.xlsx(("名单", rows)), partial=True)
    assert result.written and result.count("created") == 1
    assert "校验位错误" in result.rejected[0].message
    assert Enterprise.objects.filter(uscc=A).exists()


def test_dry_run_reports_without_writing(world: World) -> None:
    result = run(world.user("changchun"), sheets.xlsx(("名单", enterprise_rows())), dry_run=True)
    assert result.count("created") == 2 and not result.written
    assert not Enterprise.objects.filter(uscc=A).exists()


def test_a_region_outside_the_importers_scope_is_rejected(world: World) -> None:
    rows = [ENTERPRISE_HEADER, [C, "吉林丙化工有限公司", "220202", "", "", "", "", 10, "", ""]]
    result = run(world.user("changchun"), sheets.xlsx(("名单", rows)))
    assert "所属区划“昌邑区”不在您的管辖范围内" in result.rejected[0].message
    assert not Enterprise.objects.filter(uscc=C).exists()


def test_an_enterprise_registered_elsewhere_cannot_be_overwritten(world: World) -> None:
    other = world.enterprise("changyi")
    rows = [ENTERPRISE_HEADER, [other.uscc, "改名企业", "220102", "", "", "", "", 10, "", ""]]
    result = run(world.user("changchun"), sheets.xlsx(("名单", rows)))
    assert "管辖范围以外" in result.rejected[0].message
    other.refresh_from_db()
    assert other.name == "吉林昌邑化工有限公司"


def test_an_ambiguous_region_name_lists_the_candidates(world: World) -> None:
    rows = [ENTERPRISE_HEADER, [A, "甲公司", "朝阳区", "", "", "", "", 10, "", ""]]
    result = run(world.user("province"), sheets.xlsx(("名单", rows)))
    message = result.rejected[0].message
    assert "有重名" in message and "长春市朝阳区" in message


def test_it_reads_an_xls_with_gbk_text_and_a_gbk_csv(world: World) -> None:
    rows = [ENTERPRISE_HEADER[:4], [A, "长春甲汽车配件有限公司", "长春市南关区", "C36"]]
    assert run(world.user("changchun"), sheets.xls(rows)).count("created") == 1
    rows = [ENTERPRISE_HEADER[:4], [B, "长春乙食品有限公司", "220104", "C13"]]
    result = check_import_enterprises(
        world.user("changchun"), sheets.csv_bytes(rows, "gbk"), "a.csv", channel="excel"
    )
    assert result.count("created") == 1
    assert Enterprise.objects.get(uscc=B).name == "长春乙食品有限公司"


def test_header_aliases_in_any_order_are_understood(world: World) -> None:
    rows = [["在册员工数", "单位名称", "社会信用代码", "县区"], [12, "长春丁公司", A, "220102"]]
    result = run(world.user("changchun"), sheets.xlsx(("Sheet1", rows)))
    assert result.count("created") == 1
    assert Enterprise.objects.get(uscc=A).baseline_headcount == 12


def test_the_data_may_be_on_a_later_sheet(world: World) -> None:
    data = sheets.xlsx(("填表说明", [["请按模板填写"], ["每行一户企业"]]), ("名单", enterprise_rows()))
    assert run(world.user("changchun"), data).count("created") == 2


BAD_ROWS = {
    "text in a number cell": (7, "十二", "在册员工“十二”：“十二”不是数字，请填写整数，如 120"),
    "a fractional headcount": (7, 12.5, "在册员工“12.5”：应为整数，“12.5”带有小数"),
    "a #REF! cell": (7, "#REF!", "在册员工“#REF!”：单元格是公式错误值“#REF!”，请修正公式或改填数值"),
    "an unknown sector": (4, "外星贸易", "行业标签“外星贸易”：没有“外星贸易”这个行业标签"),
    "an unknown industry code": (3, "Z99", "行业代码“Z99”：“Z99”不是可识别的行业代码"),
    "a division that does not fit its section": (3, "A36", "大类36属于门类C，不属于门类A"),
    "an unknown region": (2, "火星市", "找不到区划“火星市”"),
    "a tier nobody uses": (6, "国家级", "重点企业层级请填“省级”“市级”“县级”或留空"),
    "a yes/no nobody uses": (5, "也许", "“也许”无法识别，请填写“是”或“否”"),
    "an impossible date": (9, "2020-02-30", "“2020-02-30”不是存在的日期"),
    "a very long name": (1, "长" * 150, "内容过长：最多100个字，现为150个字"),
    "a bad phone": (8, "请打电话", "不像电话号码"),
    "an empty name": (1, "", "企业名称：企业名称不能为空，请填写"),
    "a short USCC": (0, "9122010212345", "应为18位"),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_a_bad_cell_is_reported_with_its_row_and_reason_and_nothing_is_written(
    world: World, case: str
) -> None:
    column, value, expected = BAD_ROWS[case]
    rows = enterprise_rows()
    rows[3][column] = value
    result = run(world.user("changchun"), sheets.xlsx(("名单", rows)))
    assert not result.written
    assert len(result.rejected) == 1 and result.rejected[0].row == 4
    assert expected in result.rejected[0].message
    assert not Enterprise.objects.filter(uscc__in=[A, B]).exists()


def test_the_same_uscc_twice_is_rejected(world: World) -> None:
    rows = enterprise_rows()
    rows[4][0] = A
    result = run(world.user("changchun"), sheets.xlsx(("名单", rows)))
    assert "与第4行重复" in result.rejected[0].message
    assert not Enterprise.objects.filter(uscc=A).exists()


def encrypted_ole() -> bytes:
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    return header + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1024


BAD_FILES = {
    "an empty file": (b"", "文件是空的"),
    "a corrupt zip": (b"PK\x03\x04" + b"\x00" * 200, "文件已损坏"),
    "a renamed .docx": (sheets.docx_like(), "这是一个 Word 文档"),
    "a password-protected workbook": (encrypted_ole(), "设置了打开密码"),
    "a picture": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100, "无法识别的文件格式"),
    "a sheet without a USCC column": (
        sheets.xlsx(("名单", [["企业名称", "所属区划"], ["甲", "220102"]])),
        "没有“统一社会信用代码”列",
    ),
    "a header with no data below": (sheets.xlsx(("名单", [ENTERPRISE_HEADER])), "表头下面没有任何企业数据行"),
    "a header missing the name column": (
        sheets.xlsx(("名单", [["统一社会信用代码", "所属区划"], [A, "220102"]])),
        "缺少“企业名称”列",
    ),
    "a truncated xls": (sheets.xls([ENTERPRISE_HEADER, [A, "甲", "220102"]])[:600], "无法作为表格读取"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_gets_a_clear_message_and_writes_nothing(world: World, case: str) -> None:
    data, expected = BAD_FILES[case]
    before = Enterprise.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        run(world.user("changchun"), data)
    assert expected in caught.value.message
    assert Enterprise.objects.count() == before


def test_a_file_over_the_size_limit_is_refused(world: World, settings: Any) -> None:
    settings.FUGONG_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationFailed, match="文件过大"):
        run(world.user("changchun"), sheets.xlsx(("名单", enterprise_rows() * 20)))


def test_the_command_exits_1_and_writes_nothing_when_a_row_is_rejected(world: World, tmp_path: Any) -> None:
    rows = enterprise_rows()
    rows[4][7] = "-5"
    path = tmp_path / "名单.xlsx"
    path.write_bytes(sheets.xlsx(("名单", rows)))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_enterprises", str(path), stdout=out)
    assert exit_info.value.code == 1
    assert "第5行" in out.getvalue() and "未写入任何数据" in out.getvalue()
    assert not Enterprise.objects.filter(uscc=A).exists()


def test_the_command_imports_a_good_file(world: World, tmp_path: Any) -> None:
    path = tmp_path / "名单.xlsx"
    path.write_bytes(sheets.xlsx(("名单", enterprise_rows())))
    out = io.StringIO()
    call_command("import_enterprises", str(path), stdout=out)
    assert "新增2" in out.getvalue()
    assert Enterprise.objects.filter(uscc__in=[A, B]).count() == 2


def test_the_upload_page_shows_each_rejected_row(world: World) -> None:
    rows = enterprise_rows()
    rows[4][7] = "abc"
    upload = io.BytesIO(sheets.xlsx(("名单", rows)))
    upload.name = "名单.xlsx"
    response = world.client("changchun").post("/enterprises/import/", {"file": upload})
    text = response.content.decode()
    assert response.status_code == 200
    assert "有 1 行错误，本次未写入任何数据" in text and "“abc”不是数字" in text
