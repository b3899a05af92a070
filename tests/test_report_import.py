"""Imports of filled dispatch sheets: what a county clerk sees after uploading the sheet."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import F

from fugong.core import bulk
from fugong.core.errors import ValidationFailed
from fugong.dispatch.figures import reference, rollups
from fugong.dispatch.models import Plan, Report, ReportRevision
from fugong.enterprises.models import Enterprise
from fugong.regions.models import Region
from tests.conftest import ENTERPRISES, World
from tests.support import sheets
from tests.support.reports import DAY, at, import_report_sheet, submit
from tests.support.reports import figures as report_figures
from tests.support.sheets import REPORT_HEADER, report_row


def test_a_filled_sheet_becomes_reports_with_excel_revisions(world: World, plan: Plan) -> None:
    data = sheets.xlsx(
        (
            "调度表",
            [
                REPORT_HEADER,
                report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%"),
                report_row(world, "chaoyang", "否", 120, 20, 0, 0, 0),
            ],
        )
    )
    result = import_report_sheet(world, plan, data)
    assert result.written and [o.status for o in result.outcomes] == ["imported", "imported"]
    report = Report.objects.get(enterprise=world.enterprise("nanguan"), date=DAY)
    assert (report.resumed, report.on_duty, report.capacity_pct) == (True, 280, Decimal("65.00"))
    revision = ReportRevision.objects.get(report=report)
    assert revision.channel == "excel" and revision.on_behalf and revision.by == world.user("province")
    assert "导入完成" in result.summary() and "导入2行" in result.summary()


def test_reimporting_the_same_file_changes_nothing(world: World, plan: Plan) -> None:
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, 0.65)])
    )
    import_report_sheet(world, plan, data)
    again = import_report_sheet(world, plan, data)
    assert [o.status for o in again.outcomes] == ["unchanged"]
    assert ReportRevision.objects.filter(enterprise=world.enterprise("nanguan")).count() == 1


def test_one_bad_row_writes_nothing_and_names_the_row_and_the_fix(world: World, plan: Plan) -> None:
    data = sheets.xlsx(
        (
            "调度表",
            [
                REPORT_HEADER,
                report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%"),
                report_row(world, "chaoyang", "是", 120, 20, 0, 30, "50%"),  # 30 on duty of 20 back
            ],
        )
    )
    result = import_report_sheet(world, plan, data)
    assert not result.written and Report.objects.count() == 0
    bad = result.rejected[0]
    assert bad.row == 3 and "实际到岗人数(30)大于报到人数(20)" in bad.message
    assert result.outcomes[0].status == "imported"  # would have been: the page shows both


def test_a_dry_run_reports_outcomes_and_writes_nothing(world: World, plan: Plan) -> None:
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")])
    )
    result = import_report_sheet(world, plan, data, dry_run=True)
    assert [o.status for o in result.outcomes] == ["imported"] and not result.written
    assert "试导入" in result.summary() and Report.objects.count() == 0


def test_titles_and_a_two_row_merged_header_as_counties_send_them(world: World, plan: Plan) -> None:
    rows = [
        ["全省外贸企业复工情况调度表"],
        ["填报单位：长春市商务局", None, None, "日期：2020年2月17日"],
        ["统一社会信用代码", "企业名称", "是否复工", "员工情况", None, None, None, "产能恢复比例（%）"],
        [None, None, None, "在册", "报到", "隔离", "上岗", None],
        report_row(world, "nanguan", "√", "１,４８０", "1,300", 10, 280, "0.65"),  # registry: 1,400 (below)
        ["合计", None, None, 1480, 1300, 10, 280, None],
        ["备注：隔离人数含居家观察"],
    ]
    data = sheets.xlsx(("Sheet1", rows))
    Enterprise.objects.filter(pk=world.enterprise("nanguan").pk).update(baseline_headcount=1400)
    result = import_report_sheet(world, plan, data)
    assert [o.status for o in result.outcomes] == ["imported"]
    report = Report.objects.get(enterprise=world.enterprise("nanguan"), date=DAY)
    assert (report.baseline_headcount, report.reported_back, report.capacity_pct) == (1480, 1300, Decimal(65))


def test_gbk_csv_and_xls_files_import_too(world: World, plan: Plan) -> None:
    csv_data = sheets.csv_bytes(
        [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")], "gbk"
    )
    assert import_report_sheet(world, plan, csv_data).written
    xls_data = sheets.xls([REPORT_HEADER, report_row(world, "chaoyang", "否", 120, 20, 0, 0, 0)])
    assert import_report_sheet(world, plan, xls_data).written
    assert Report.objects.filter(date=DAY).count() == 2


def test_excels_unicode_text_utf16_tab_separated_imports(world: World, plan: Plan) -> None:
    lines = [
        "\t".join(str(v) for v in r)
        for r in [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")]
    ]
    data = "\r\n".join(lines).encode("utf-16")  # with its byte-order mark, as Excel saves it
    assert import_report_sheet(world, plan, data).written


def test_a_row_without_uscc_is_matched_by_exact_name_and_flagged(world: World, plan: Plan) -> None:
    e = world.enterprise("chaoyang")
    data = sheets.xlsx(("调度表", [REPORT_HEADER, ["", e.name, "否", 120, 20, 0, 0, 0]]))
    result = import_report_sheet(
        world, plan, data, persona="changchun", region=Region.objects.get(code="220100")
    )
    outcome = result.outcomes[0]
    assert outcome.status == "imported" and outcome.uscc == e.uscc
    assert "已按企业名称匹配" in outcome.message


def test_unfilled_roster_rows_are_skipped_not_rejected(world: World, plan: Plan) -> None:
    data = sheets.xlsx(
        (
            "调度表",
            [
                REPORT_HEADER,
                report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%"),
                report_row(world, "chaoyang", None, 120, None, None, None, None),
            ],
        )
    )
    result = import_report_sheet(world, plan, data)
    assert [o.status for o in result.outcomes] == ["imported", "skipped"] and result.written


def test_an_enterprise_outside_the_users_region_is_rejected(world: World, plan: Plan) -> None:
    data = sheets.xlsx(("调度表", [REPORT_HEADER, report_row(world, "changyi", "否", 300, 0, 0, 0, 0)]))
    result = import_report_sheet(world, plan, data, persona="changchun")
    assert not result.written and "找不到统一社会信用代码" in result.rejected[0].message


def test_warnings_need_the_importers_confirmation(world: World, plan: Plan) -> None:
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 500, 0, 280, "65%")])
    )
    refused = import_report_sheet(world, plan, data)
    assert not refused.written and "大于在册员工" in refused.rejected[0].message
    assert "已核实异常数据" in refused.rejected[0].message
    accepted = import_report_sheet(world, plan, data, confirm_warnings=True)
    assert accepted.written
    revision = ReportRevision.objects.get(enterprise=world.enterprise("nanguan"))
    assert revision.confirmed == ["over_baseline"]


def test_imported_rows_move_the_leaders_figures_at_once(world: World, plan: Plan) -> None:
    province = Region.objects.get(code="220000")
    before = rollups.read(plan, DAY, province).total  # built before the import
    data = sheets.xlsx(
        (
            "调度表",
            [
                REPORT_HEADER,
                report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%"),
                report_row(world, "gaoxin", "是", 60, 50, 0, 50, "80%"),
            ],
        )
    )
    import_report_sheet(world, plan, data)
    after = rollups.read(plan, DAY, province).total
    full = reference.computed(plan, DAY, province, "region", world.user("province")).total
    assert (before.resumed, after.resumed, after.on_duty) == (0, 2, 330)
    assert after.as_dict() | {"key": ""} == full.as_dict() | {"key": ""}
    sectors = rollups.read_members(plan, DAY, province, "sector")
    assert sectors.rows[0].resumed == 2


def test_a_template_for_another_day_is_refused_before_reading_rows(world: World, plan: Plan) -> None:
    other_day = DAY - datetime.timedelta(days=1)
    meta = [["version", "1"], ["plan", plan.pk], ["date", other_day.isoformat()], ["region", "220000"]]
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")]),
        ("_fugong", meta),
    )
    with pytest.raises(ValidationFailed, match="2020年02月16日的填报模板"):
        import_report_sheet(world, plan, data)
    assert Report.objects.count() == 0


def test_the_same_enterprise_twice_is_refused_on_the_second_row(world: World, plan: Plan) -> None:
    line = report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")
    result = import_report_sheet(world, plan, sheets.xlsx(("调度表", [REPORT_HEADER, line, line])))
    assert [o.status for o in result.outcomes] == ["imported", "rejected"]
    assert "与第2行是同一家企业" in result.rejected[0].message and not result.written


def test_many_rows_cost_a_few_queries_per_thousand(
    world: World, plan: Plan, django_assert_max_num_queries: Any
) -> None:
    keys = ["nanguan", "chaoyang", "changyi", "gongzhuling", "gaoxin"]
    data = sheets.xlsx(
        (
            "调度表",
            [REPORT_HEADER, *(report_row(world, k, "否", ENTERPRISES[k][2], 0, 0, 0, 0) for k in keys)],
        )
    )  # each its registry's 在册员工: a far one would need confirming (tests/test_baseline_changes.py)
    rollups.read(plan, DAY, Region.objects.get(code="220000"))
    with django_assert_max_num_queries(25):
        assert import_report_sheet(world, plan, data).written


def test_a_percentage_formatted_column_reads_1_as_100_percent(world: World, plan: Plan) -> None:
    data = sheets.xlsx(
        (
            "调度表",
            [
                REPORT_HEADER,
                report_row(
                    world, "nanguan", "是", 480, 300, 10, 280, 1
                ),  # 100% in a cell formatted as percent
                report_row(world, "gaoxin", "是", 60, 50, 0, 50, 0.8),
            ],
        )
    )
    assert import_report_sheet(world, plan, data).written
    capacities = dict(Report.objects.values_list("enterprise__name", "capacity_pct"))
    assert capacities[world.enterprise("nanguan").name] == Decimal(100)
    assert capacities[world.enterprise("gaoxin").name] == Decimal(80)


def test_columns_the_sheet_lacks_keep_what_the_enterprise_entered(world: World, plan: Plan) -> None:

    submit(world, "reporter", report_figures(measures=["masks"], problems="口罩不足", suggestions="请协调"))
    county_sheet = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "70%")])
    )
    # over the enterprise's own report only by the county's explicit choice (tests/test_self_reports.py)
    assert import_report_sheet(
        world, plan, county_sheet, confirm_warnings=True, overwrite_self_reports=True
    ).written
    report = Report.objects.get(enterprise=world.enterprise("nanguan"), date=DAY)
    assert (report.measures, report.problems, report.suggestions) == (["masks"], "口罩不足", "请协调")
    assert report.capacity_pct == Decimal(70)


@pytest.mark.parametrize(
    ("cells_in_column", "expected"),
    [
        ([0.005, 0.8], [Decimal("0.50"), Decimal(80)]),  # a column of ratios: 0.5% and 80%
        ([0.5, 80], [Decimal("0.50"), Decimal(80)]),  # points: 0.5 stays half a point
        ([1, 0], [Decimal(1), Decimal(0)]),  # only 0 and 1: points (1%), not 100%
        (["65%", 0.5], [Decimal(65), Decimal(50)]),  # a typed sign is read as written
    ],
)
def test_capacity_cells_are_read_by_the_columns_kind(
    world: World, plan: Plan, cells_in_column: list[Any], expected: list[Decimal]
) -> None:
    rows = [
        report_row(world, key, "是", 480, 300, 10, 10, value)
        for key, value in zip(["nanguan", "gaoxin"], cells_in_column, strict=True)
    ]
    rows[1][3:7] = [60, 50, 0, 10]
    assert import_report_sheet(world, plan, sheets.xlsx(("调度表", [REPORT_HEADER, *rows]))).written
    stored = dict(Report.objects.values_list("enterprise__name", "capacity_pct"))
    assert [stored[world.enterprise(k).name] for k in ("nanguan", "gaoxin")] == expected


def test_hidden_empty_rows_below_the_table_do_not_matter(world: World, plan: Plan) -> None:
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("调度表")
    for r, values in enumerate([REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")]):
        sheet.write_row(r, 0, values)
    for r in range(5, 8):
        sheet.set_row(r, None, None, {"hidden": True})
    book.close()
    assert import_report_sheet(world, plan, buffer.getvalue()).written


def test_a_template_of_a_plan_the_user_cannot_see_is_not_named(world: World, plan: Plan) -> None:
    secret = Plan.objects.create(title="吉林市内部专项调度", owner_region_id="220200", start_date=DAY)
    meta = [["version", "1"], ["plan", secret.pk], ["date", DAY.isoformat()], ["region", "220200"]]
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")]),
        ("_fugong", meta),
    )
    with pytest.raises(ValidationFailed) as error:
        import_report_sheet(world, plan, data, persona="changchun")
    assert "吉林市内部专项调度" not in error.value.message and f"编号{secret.pk}" in error.value.message


def test_an_unchanged_row_stays_unchanged_even_when_it_needs_confirming(world: World, plan: Plan) -> None:
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 500, 0, 280, "65%")])
    )
    assert import_report_sheet(world, plan, data, confirm_warnings=True).written
    again = import_report_sheet(world, plan, data)  # no confirmation this time: nothing would change anyway
    assert [o.status for o in again.outcomes] == ["unchanged"]


def test_a_firm_that_stopped_loses_its_stored_resumption_date(world: World, plan: Plan) -> None:

    submit(world, "reporter", report_figures(resumed_on=datetime.date(2020, 2, 10)))
    header = [h for h in REPORT_HEADER if h != "产能恢复比例"]  # neither 复工日期 nor capacity columns
    stopped = sheets.xlsx(("调度表", [header, report_row(world, "nanguan", "否", 480, 300, 10, 0)]))
    result = import_report_sheet(world, plan, stopped, confirm_warnings=True, overwrite_self_reports=True)
    assert result.written, result.rejected[0].message if result.rejected else ""
    report = Report.objects.get(enterprise=world.enterprise("nanguan"), date=DAY)
    assert (report.resumed, report.resumed_on, report.capacity_pct) == (False, None, None)


def test_a_corrected_sheet_revises_the_reports_it_changes(world: World, plan: Plan) -> None:
    province = Region.objects.get(code="220000")
    rollups.read(plan, DAY, province)
    gaoxin = report_row(world, "gaoxin", "是", 60, 50, 0, 50, "80%")
    import_report_sheet(
        world,
        plan,
        sheets.xlsx(
            ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%"), gaoxin])
        ),
    )
    corrected = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 310, 10, 290, "70%"), gaoxin])
    )
    result = import_report_sheet(world, plan, corrected)
    assert [o.status for o in result.outcomes] == ["imported", "unchanged"]
    report = Report.objects.get(enterprise=world.enterprise("nanguan"), date=DAY)
    assert (report.reported_back, report.on_duty, report.capacity_pct) == (310, 290, Decimal(70))
    assert report.revision_count == 2 and report.received_at == at(DAY, 15)
    revisions = list(ReportRevision.objects.filter(report=report).order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert set(revisions[1].changes) == {"reported_back", "on_duty", "capacity_pct"}
    assert revisions[1].data["on_duty"] == 290
    after = rollups.read(plan, DAY, province).total
    full = reference.computed(plan, DAY, province, "region", world.user("province")).total
    assert after.on_duty == 340 and after.as_dict() | {"key": ""} == full.as_dict() | {"key": ""}


def test_nearest_reports_are_each_enterprises_latest_or_earliest_within_the_bounds(world: World) -> None:
    nanguan, gaoxin = world.enterprise("nanguan"), world.enterprise("gaoxin")
    for enterprise, days in ((nanguan, [-20, -3, -2, -1, 0, 2, 5]), (gaoxin, [-1])):
        for offset in days:
            Report.objects.create(
                enterprise=enterprise,
                date=DAY + datetime.timedelta(days=offset),
                resumed=False,
                baseline_headcount=10,
                reported_back=0,
                isolated=0,
                on_duty=0,
                received_at=at(DAY, 9),
                updated_at=at(DAY, 9),
            )
    ids = [nanguan.pk, gaoxin.pk]

    def offsets(**bounds: Any) -> list[tuple[str, int]]:
        found = rollups.nearest_reports(ids, **bounds).values_list("enterprise__name", "date")
        return sorted((name, (date - DAY).days) for name, date in found)

    n, g = nanguan.name, gaoxin.name
    assert offsets(before=DAY, limit=2) == sorted([(n, -2), (n, -1), (g, -1)])
    assert offsets(after=DAY, latest=False) == [(n, 2)]
    assert offsets(on=DAY) == [(n, 0)]
    assert offsets(after=DAY - datetime.timedelta(days=10), before=DAY, limit=16) == sorted(
        [(n, -3), (n, -2), (n, -1), (g, -1)]
    )
    assert not rollups.nearest_reports([], before=DAY).exists()


def test_any_of_finds_what_an_in_list_finds_and_cuts_no_value_to_the_column(world: World) -> None:
    nanguan, gaoxin = world.enterprise("nanguan"), world.enterprise("gaoxin")
    found = Enterprise.objects.filter(bulk.AnyOf(F("uscc"), [nanguan.uscc, gaoxin.uscc, "NOSUCHCODE"]))
    assert sorted(e.pk for e in found) == sorted([nanguan.pk, gaoxin.pk])
    too_long = nanguan.name + "x" * 200  # a varchar(100)[] cast would cut it back to the name
    assert not Enterprise.objects.filter(bulk.AnyOf(F("name"), [too_long])).exists()
    assert list(Enterprise.objects.filter(bulk.AnyOf(F("pk"), []))) == []


def test_bulk_rows_keep_json_values_and_one_timestamp_for_every_row(world: World) -> None:
    now = at(DAY, 9)
    values = {"resumed": True, "resumed_on": None, "baseline_headcount": 10, "reported_back": 5,
              "isolated": 0, "on_duty": 5, "capacity_pct": None, "problems": "", "suggestions": ""}  # fmt: skip
    rows = [
        {"enterprise": world.enterprise(key).pk, "date": DAY, **values, "measures": measures,
         "problem_tags": [], "extra": extra, "received_at": now, "updated_at": now, "revision_count": 1}
        for key, measures, extra in (("nanguan", ["masks"], {"k": "1.5"}), ("gaoxin", [], {}))
    ]  # fmt: skip
    bulk.insert_rows(Report, rows)
    stored = Report.objects.filter(date=DAY).order_by("enterprise__name")
    assert {(r.enterprise_id, tuple(r.measures), tuple(r.extra.items()), r.received_at) for r in stored} == {
        (world.enterprise("nanguan").pk, ("masks",), (("k", "1.5"),), now),
        (world.enterprise("gaoxin").pk, (), (), now),
    }


def test_reusing_last_prepares_each_object_once_in_a_row() -> None:
    calls: list[Any] = []

    def bracket(value: Any) -> str:
        calls.append(value)
        return f"<{value}>"

    prepare = bulk.reusing_last(bracket)
    first, second = datetime.datetime(2020, 2, 17, 9), datetime.datetime(2020, 2, 17, 10)
    assert [prepare(v) for v in (first, first, second, first)] == [
        f"<{first}>",
        f"<{first}>",
        f"<{second}>",
        f"<{first}>",
    ]
    assert calls == [first, second, first]


def test_imported_rows_count_in_their_industry_and_sector_at_once(world: World, plan: Plan) -> None:
    province = Region.objects.get(code="220000")
    for dimension in ("industry", "sector", "tier"):
        rollups.read_members(plan, DAY, province, dimension)
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")])
    )
    assert import_report_sheet(world, plan, data).written
    dimensions = ("industry", "sector", "tier")
    kept = [[f.as_dict() for f in rollups.read_members(plan, DAY, province, d).rows] for d in dimensions]
    rollups.invalidate()  # rebuilt from the reports
    rebuilt = [[f.as_dict() for f in rollups.read_members(plan, DAY, province, d).rows] for d in dimensions]
    assert kept == rebuilt and any(f["on_duty"] == 280 for rows in kept for f in rows)
