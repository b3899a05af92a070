"""The daily brief as an official document (GB/T 9704-2012), and rates that divide as printed.

The produced files are read back (python-docx and the raw XML, calamine for the sheets), as a
reader in a province office would see them.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt
from python_calamine import CalamineWorkbook

from fugong.accounts.models import Department
from fugong.briefing import brief, export
from fugong.dispatch.models import Plan
from fugong.regions.models import Region
from tests.conftest import World
from tests.support.reports import DAY
from tests.support.scenarios import scenario

AFTER_THE_DAY = timezone.make_aware(datetime.datetime(2020, 2, 20, 9, 0))


def made(world: World, plan: Plan, code: str = "220000", persona: str = "province", **kw: Any) -> brief.Brief:
    return brief.build(
        plan, DAY, Region.objects.get(code=code), world.user(persona), now=kw.get("now", AFTER_THE_DAY)
    )


def docx_of(world: World, plan: Plan, **kw: Any) -> tuple[Any, zipfile.ZipFile]:
    scenario(world)
    data = brief.docx_bytes(made(world, plan, **kw))
    return Document(io.BytesIO(data)), zipfile.ZipFile(io.BytesIO(data))


def ratio(part: Any, whole: Any) -> Decimal:
    return (Decimal(str(part)) / Decimal(str(whole)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def rate(text: str) -> Decimal:
    return Decimal(text.rstrip("%"))


def test_the_brief_is_a4_with_the_standards_margins_and_a_22_by_28_grid(world: World, plan: Plan) -> None:
    document, _ = docx_of(world, plan)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    assert round(Length(section.page_width - section.left_margin - section.right_margin).mm) == 156
    assert round(Length(section.page_height - section.top_margin - section.bottom_margin).mm) == 225
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert int(grid.get(qn("w:linePitch"))) / 20 == 28.95  # 225 mm ÷ 22 lines, in points
    pitch = 16 + int(grid.get(qn("w:charSpace"))) / 4096  # the 3号 body plus the grid's extra pitch
    assert round(Mm(156).pt / pitch) == 28  # characters per line
    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert round(normal.paragraph_format.line_spacing.pt, 2) == 28.95


def test_every_run_and_style_names_its_east_asian_font_and_nothing_is_left_to_the_theme(
    world: World, plan: Plan
) -> None:
    document, archive = docx_of(world, plan)
    for part in ("word/document.xml", "word/footer1.xml"):
        xml = archive.read(part).decode()
        runs = re.findall(r"<w:r>.*?</w:r>|<w:r .*?</w:r>", xml, re.S)
        assert runs and all('w:eastAsia="' in r for r in runs if "<w:t" in r), part
    styles = archive.read("word/styles.xml").decode()
    assert "Theme=" not in styles and "theme=" not in styles
    defaults = re.search(r"<w:rPrDefault>.*?</w:rPrDefault>", styles, re.S)
    assert (
        defaults
        and 'w:eastAsia="仿宋_GB2312"' in defaults.group()
        and 'w:eastAsia="zh-CN"' in defaults.group()
    )
    theme = archive.read("word/theme/theme1.xml").decode()
    assert "Jpan" not in theme and "ＭＳ" not in theme
    fonts = archive.read("word/fontTable.xml").decode()
    assert re.search(r'<w:font w:name="方正小标宋简体"><w:altName w:val="华文中宋"/>', fonts)
    assert re.search(r'<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>', fonts)
    body = next(p for p in document.paragraphs if p.text.startswith("截至"))
    assert body.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert body.paragraph_format.first_line_indent == Pt(32)  # two characters of 3号


def test_the_head_names_the_issuer_and_number_and_the_end_the_signature_and_date(
    world: World, plan: Plan
) -> None:
    document, _ = docx_of(world, plan)
    texts = [p.text for p in document.paragraphs if p.text]
    issuer, number, title = texts[:3]
    assert issuer == "吉林省复工复产工作专班" and number == "吉复工调〔2020〕17号"  # 17th day since 2月1日
    assert title == "全省外贸企业开复工情况日调度日报"  # the plan title ends with 调度: no 调度调度
    head = document.paragraphs[[p.text for p in document.paragraphs].index(issuer)]
    assert head.runs[0].font.color.rgb == (0xFF, 0, 0)
    assert head.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    heading = document.paragraphs[[p.text for p in document.paragraphs].index(title)]
    assert heading.runs[0].font.size == Pt(22)
    assert heading.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    numbered = document.paragraphs[[p.text for p in document.paragraphs].index(number)]
    assert numbered._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:color")) == "FF0000"  # red rule
    assert texts[-2:] == ["吉林省复工复产工作专班", "2020年2月17日"]  # Arabic numerals, no leading zeros
    props = document.core_properties
    assert (props.title, props.author, props.subject) == (title, issuer, number)
    assert "python-docx" not in f"{props.comments}{props.last_modified_by}" and props.created.year != 2013


def test_a_plans_own_department_issues_its_regions_brief_and_a_city_numbers_its_own(
    world: World, plan: Plan
) -> None:
    scenario(world)
    plan.owner_region_id = "220100"
    plan.owner_department = Department.objects.get(name="长春市商务局")
    city = made(world, plan, code="220100", persona="changchun")
    assert city.issuer == "长春市商务局" and city.number == "长春复工调〔2020〕17号"
    province = made(world, plan)
    assert province.issuer == "吉林省复工复产工作专班"  # not the department of another region
    zone = Region.objects.get(name="长春新区")
    assert brief.agency_code(zone) == "长春新区复工调"
    assert brief.document_number(plan, datetime.date(2021, 1, 5), zone) == "长春新区复工调〔2021〕5号"


def test_page_numbers_are_a_centred_page_field_between_dashes_in_song_4(world: World, plan: Plan) -> None:
    document, archive = docx_of(world, plan)
    footer = archive.read("word/footer1.xml").decode()
    assert re.search(
        r'<w:fldChar w:fldCharType="begin"/>.*<w:instrText[^>]*> PAGE </w:instrText>', footer, re.S
    )
    line = document.sections[0].footer.paragraphs[0]
    assert line.text.startswith("— ") and line.text.endswith(" —") and line.alignment == 1  # centre
    assert {r.font.size for r in line.runs} == {Pt(14)}
    assert {r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in line.runs} == {"宋体"}


def test_every_rate_in_the_brief_divides_its_own_printed_numbers(world: World, plan: Plan) -> None:
    document, _ = docx_of(world, plan)
    text = "".join(p.text for p in document.paragraphs)
    everyone = re.search(r"在册员工(\d+)人，已报到\d+人（其中报到后隔离\d+人），实际到岗(\d+)人", text)
    over_all = re.search(r"到岗率（全部企业）([\d.]+)%", text)
    resumed = re.search(r"已复工企业在册员工(\d+)人、实际到岗(\d+)人，到岗率（已复工企业）([\d.]+)%", text)
    assert everyone and over_all and resumed
    assert ratio(everyone[2], everyone[1]) == Decimal(over_all[1]) == Decimal("36.5")  # 350 ÷ 960
    assert ratio(resumed[2], resumed[1]) == Decimal(resumed[3]) == Decimal("58.3")  # 350 ÷ 600
    assert text.index("到岗率（已复工企业）") < text.index("到岗率（全部企业）")  # the plan's basis leads
    table = document.tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header == brief.TABLE_HEADERS
    column = {name: i for i, name in enumerate(header)}
    for row in table.rows[1:]:
        v = [c.text for c in row.cells]
        for rate_name, part, whole in (
            ("复工率", "已复工", "纳入企业"),
            ("到岗率（全部企业）", "实际到岗", "在册员工"),
            ("到岗率（已复工企业）", "已复工企业到岗", "已复工企业在册"),
        ):
            if v[column[whole]] != "0":
                assert rate(v[column[rate_name]]) == ratio(v[column[part]], v[column[whole]]), (
                    v[0],
                    rate_name,
                )
    assert table.rows[-1].cells[0].text == "合计"


def test_a_brief_on_the_all_enterprises_basis_leads_with_that_rate(world: World, plan: Plan) -> None:
    scenario(world)
    plan.attendance_basis = "all"
    text = made(world, plan).text()
    assert re.search(
        "实际到岗350人，到岗率（全部企业）36.5%，较前一日提高[0-9.]+个百分点；"
        "其中已复工企业在册员工600人、实际到岗350人，到岗率（已复工企业）58.3%；",
        text,
    )


def test_the_summary_sheet_prints_each_rate_after_the_numbers_it_divides(
    world: World, plan: Plan, tmp_path: Path
) -> None:
    scenario(world)
    path = tmp_path / "r.xlsx"
    export.by_region(path, plan, DAY, Region.objects.get(code="220000"), world.user("province"))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes())).get_sheet_by_index(0).to_python()
    assert rows[2][5] == "员工情况（人）" and rows[2][10] == "其中已复工企业（人）"
    assert rows[2][9] == "到岗率（全部企业）(%)" and rows[2][12] == "到岗率（已复工企业）(%)"
    assert rows[3][5:9] == ["在册", "报到", "隔离", "到岗"] and rows[3][10:12] == ["在册", "到岗"]
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<mergeCell ref="F3:I3"/>' in xml and '<mergeCell ref="K3:L3"/>' in xml
    for row in rows[4:]:
        pairs = ((4, 3, 2), (9, 8, 5), (12, 11, 10))  # rate, numerator, denominator
        for at, part, whole in pairs:
            if row[whole]:
                assert Decimal(str(row[at])) == ratio(row[part], row[whole]), (row[1], at)
    totals = rows[-1]
    assert totals[0] == "合计" and (totals[5], totals[8], totals[9]) == (960, 350, 36.5)
    assert (totals[10], totals[11], totals[12]) == (600, 350, 58.3)


def test_the_enterprise_sheet_says_daogang_like_the_brief(world: World, plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    export.by_enterprise(path, plan, DAY, Region.objects.get(code="220100"), world.user("changchun"))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes())).get_sheet_by_index(0).to_python()
    assert rows[3][6:10] == ["在册", "报到", "隔离", "到岗"]


def test_a_brief_made_before_the_deadline_says_when_it_was_made(world: World, plan: Plan) -> None:
    scenario(world)
    at = timezone.make_aware(datetime.datetime(2020, 2, 17, 12, 35))
    assert made(world, plan, now=at).paragraphs()[0].startswith("截至2月17日12时35分，全省")
    noon = timezone.make_aware(datetime.datetime(2020, 2, 17, 12, 0))
    assert made(world, plan, now=noon).paragraphs()[0].startswith("截至2月17日12时，")
    late = timezone.make_aware(datetime.datetime(2020, 2, 17, 18, 5))
    assert made(world, plan, now=late).paragraphs()[0].startswith("截至2月17日16时，")


def test_the_dashboard_labels_its_attendance_rate_with_the_basis(world: World, plan: Plan) -> None:
    scenario(world)
    url = f"/dispatch/dashboard/?plan={plan.pk}&date={DAY}"
    page = world.client("province").get(url).content.decode()
    assert "58.3%</b>到岗率（已复工企业）" in page
    plan.attendance_basis = "all"
    plan.save()
    page = world.client("province").get(url).content.decode()
    assert '36.5%</b>到岗率（全部企业） <span class="hint">350/960人</span>' in page
