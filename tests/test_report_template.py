"""The fill-in template: the roster a dispatcher downloads, and what the import reads back."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from typing import Any

from django.test import Client

from fugong.core import tables
from fugong.dispatch.models import Plan
from fugong.dispatch.sheets.columns import COLUMNS, META_SHEET, SheetMeta, header_aliases, read_meta
from fugong.dispatch.sheets.template import write_template
from fugong.regions.models import Region
from tests.conftest import World
from tests.support.reports import DAY
from tests.support.scenarios import report

NANGUAN, CHAOYANG = "长春南关汽车零部件有限公司", "长春朝阳食品有限公司"


def download(client: Client, plan: Plan, **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in {"plan": str(plan.pk), "date": str(DAY), **params}.items())
    return client.get(f"/dispatch/template.xlsx?{query}")


def roster(data: bytes, extra_fields: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The data rows as the import sees them: field → value."""
    sheet = tables.read_sheets(data)[0]
    header = tables.locate_header(sheet.rows, header_aliases(extra_fields or []), required=("uscc",))
    assert header is not None
    return [
        {field: row[col] for field, col in header.columns.items()}
        for _, row in tables.data_rows(sheet.rows, header)
    ]


def part(data: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode()


def cell_style(sheet_xml: str, ref: str) -> int:
    match = re.search(rf'<c r="{ref}"(?: s="(\d+)")?', sheet_xml)
    assert match, ref
    return int(match.group(1) or 0)


def unlocked_styles(styles_xml: str) -> set[int]:
    cell_xfs = styles_xml.split("<cellXfs", 1)[1].split("</cellXfs>", 1)[0]
    xfs = re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", cell_xfs)
    return {i for i, xf in enumerate(xfs) if 'locked="0"' in xf}


def test_a_city_dispatcher_gets_exactly_their_enterprises_in_region_order(world: World, plan: Plan) -> None:
    response = download(world.client("changchun"), plan)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    assert "%E9%95%BF%E6%98%A5%E5%B8%82" in response["Content-Disposition"]  # 长春市
    rows = roster(response.getvalue())
    assert [(r["uscc"], r["name"], r["region"]) for r in rows] == [
        (world.enterprise("nanguan").uscc, NANGUAN, "南关区"),
        (world.enterprise("chaoyang").uscc, CHAOYANG, "朝阳区"),
    ]
    assert all(r["resumed"] in (None, "") and r["on_duty"] in (None, "") for r in rows)  # left to fill


def test_the_sheet_names_its_unit_and_date_and_the_import_reads_its_plan_date_and_region(
    world: World, plan: Plan
) -> None:
    data = download(world.client("changchun"), plan).getvalue()
    sheets = tables.read_sheets(data)
    assert [s.name for s in sheets] == ["调度表", "填表说明", META_SHEET]
    assert sheets[0].rows[0][0] == f"{plan.title}填报表"
    assert sheets[0].rows[1][0] == "填报单位：长春市　填报日期：2020年02月17日"
    header = tables.locate_header(sheets[0].rows, header_aliases([]), required=("uscc",))
    assert header is not None and set(header.columns) == {c.field for c in COLUMNS}
    assert read_meta(sheets) == SheetMeta(plan_id=plan.pk, date=DAY, region="220100")


def test_the_plans_own_items_get_columns_the_import_recognises(world: World, plan: Plan) -> None:
    plan.extra_fields = [
        {"key": "orders", "label": "在手订单", "type": "decimal", "unit": "万元", "required": True},
        {"key": "note", "label": "备注说明", "type": "text", "required": False},
    ]
    plan.save()
    data = download(world.client("changchun"), plan).getvalue()
    rows = roster(data, plan.extra_fields)
    assert len(rows) == 2 and {"extra:orders", "extra:note"} <= set(rows[0])
    assert "在手订单（万元）" in tables.read_sheets(data)[0].rows[2]


def test_the_roster_is_locked_the_fill_cells_open_and_validated(world: World, plan: Plan) -> None:
    data = download(world.client("changchun"), plan).getvalue()
    sheet = part(data, "xl/worksheets/sheet1.xml")
    protection = re.search(r"<sheetProtection [^>]*/>", sheet)
    assert protection and "password" not in protection.group(0)  # a clerk who must can lift it
    assert "<dataValidations" in sheet and '"是,否"' in sheet
    assert 'type="whole"' in sheet and 'type="decimal"' in sheet and 'type="date"' in sheet
    assert 'state="frozen"' in sheet and 'orientation="landscape"' in sheet and 'paperSize="9"' in sheet
    open_styles = unlocked_styles(part(data, "xl/styles.xml"))
    # row 4 is the first enterprise: A 信用代码, B 名称, C 区划 locked; D 是否复工, F 在册, J 产能 open
    assert all(cell_style(sheet, ref) not in open_styles for ref in ("A4", "B4", "C4", "A3"))
    assert all(cell_style(sheet, ref) in open_styles for ref in ("D4", "E4", "F4", "J4", "N5"))
    styles = part(data, "xl/styles.xml")
    text_format = re.search(r'<numFmt numFmtId="(\d+)" formatCode="@"/>', styles) or re.search(
        r'numFmtId="49"', styles
    )
    assert text_format  # the code column is text, so Excel keeps all 18 characters


def test_the_instructions_explain_and_the_metadata_sheet_is_very_hidden(world: World, plan: Plan) -> None:
    data = download(world.client("changchun"), plan).getvalue()
    workbook = part(data, "xl/workbook.xml")
    assert re.search(rf'<sheet name="{META_SHEET}" sheetId="\d+" state="veryHidden"', workbook)
    instructions = tables.read_sheets(data)[1]
    text = "\n".join(str(c) for row in instructions.rows for c in row if c)
    assert "2020年02月17日 16:00" in text and "统一社会信用代码" in text and "请勿修改" in text
    assert "报表导入" in text and "import_reports" in text and "65" in text
    assert all(c.header in text for c in COLUMNS)
    # the import must never take the list of column names for a header row
    assert tables.locate_header(instructions.rows, header_aliases([]), required=("uscc",)) is None


def test_the_headcount_comes_from_the_latest_report_on_or_before_the_day(world: World, plan: Plan) -> None:
    nanguan = world.enterprise("nanguan")
    report(nanguan, DAY - datetime.timedelta(days=3), baseline_headcount=470)
    report(nanguan, DAY - datetime.timedelta(days=1), baseline_headcount=500)
    report(nanguan, DAY + datetime.timedelta(days=1), baseline_headcount=999)  # after the day
    report(world.enterprise("chaoyang"), datetime.date(2020, 1, 20), baseline_headcount=7)  # before the plan
    rows = {r["name"]: r for r in roster(download(world.client("changchun"), plan).getvalue())}
    assert rows[NANGUAN]["baseline_headcount"] == 500
    assert rows[CHAOYANG]["baseline_headcount"] == 120  # the registry's


def test_a_template_with_nobody_in_scope_still_has_its_header_and_says_why(world: World, plan: Plan) -> None:
    plan.selector = {"sectors": ["餐饮"]}
    buffer = io.BytesIO()
    count = write_template(plan, DAY, Region.objects.get(code="220100"), world.user("changchun"), buffer)
    assert count == 0
    sheets = tables.read_sheets(buffer.getvalue())
    assert roster(buffer.getvalue()) == []  # the note is not taken for an enterprise
    assert str(sheets[0].rows[3][0]).startswith("说明：长春市在2020年02月17日没有需要您填报的企业")
    assert read_meta(sheets) == SheetMeta(plan_id=plan.pk, date=DAY, region="220100")


def test_the_province_may_choose_a_city_but_a_city_may_not_choose_the_province(
    world: World, plan: Plan
) -> None:
    rows = roster(download(world.client("province"), plan, region="220200").getvalue())
    assert [r["name"] for r in rows] == ["吉林昌邑化工有限公司"]
    for region in ("220000", "220200"):  # not a sheet of its own region: the import page, saying why
        response = download(world.client("changchun"), plan, region=region)
        assert response.status_code == 302 and response["Location"].startswith("/dispatch/import/?")


def test_outsiders_and_readers_get_no_template(world: World, plan: Plan) -> None:
    assert download(world.client("outsider"), plan).status_code == 403  # reports for no one
    reporter = download(world.client("reporter"), plan)  # follows enterprises, not regions
    assert reporter.status_code == 302 and reporter["Location"].startswith("/dispatch/import/?")
    assert download(world.client("leader"), plan).status_code == 403  # sees the plan, reports for no one
    assert download(world.client(None), plan).status_code == 302  # to the login page


def test_the_board_links_to_the_template_for_its_plan_date_and_region(world: World, plan: Plan) -> None:
    page = world.client("changchun").get(f"/dispatch/board/?plan={plan.pk}&date={DAY}").content.decode()
    assert f"/dispatch/template.xlsx?plan={plan.pk}&date={DAY}&region=220100" in page


def template_for(world: World, plan: Plan) -> bytes:
    buffer = io.BytesIO()
    write_template(plan, DAY, Region.objects.get(code="220100"), world.user("changchun"), buffer)
    return buffer.getvalue()


def test_rows_the_enterprise_reported_itself_are_marked_and_prefilled(world: World, plan: Plan) -> None:
    from tests.support.reports import OWN, own_report

    plan.lock_after_days = None
    plan.save()
    own_report(world)  # nanguan's reporter at 11:47
    data = template_for(world, plan)
    rows = {r["name"]: r for r in roster(data)}
    nanguan, chaoyang = rows[NANGUAN], rows[CHAOYANG]
    assert (nanguan["resumed"], nanguan["on_duty"], nanguan["capacity_pct"]) == ("是", 70, 55)
    assert (nanguan["measures"], nanguan["problem_tags"], nanguan["problems"]) == (
        "测温、消毒",
        "物流运输不畅",
        OWN["problems"],
    )
    assert chaoyang["resumed"] in (None, "")  # nothing of its own today: left to fill
    sheet = tables.read_sheets(data)[0]
    note_col = sheet.rows[2].index("企业自行报送")
    assert sheet.rows[3][note_col] == "已自行报送 11:47" and sheet.rows[4][note_col] in (None, "")
    xml = part(data, "xl/worksheets/sheet1.xml")
    styles = part(data, "xl/styles.xml")
    fills = styles.split("<fills", 1)[1].split("</fills>", 1)[0]
    assert "E2EFDA" in fills  # the marked rows' colour
    assert cell_style(xml, "D4") != cell_style(xml, "D5")  # the marked row is coloured, the other not
    assert cell_style(xml, "D4") in unlocked_styles(styles)  # still open to fill


def test_a_template_sent_back_unchanged_changes_nothing(world: World, plan: Plan) -> None:
    from fugong.dispatch.models import Report
    from fugong.dispatch.sheets.reading import check_import_reports
    from tests.support.reports import at, own_report

    plan.lock_after_days = None
    plan.save()
    own_report(world)
    data = template_for(world, plan)
    result = check_import_reports(
        world.user("changchun"), data, "模板.xlsx", plan=plan, day=DAY, now=at(DAY, 15)
    )
    assert [o.status for o in result.outcomes] == ["unchanged", "skipped"]
    assert Report.objects.get(date=DAY).revision_count == 1
