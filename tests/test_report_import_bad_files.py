"""The malformed-file corpus (issue 5 §3): every bad dispatch sheet gets a Chinese message that
says what is wrong, and nothing is written, not even the good rows beside the bad one."""

from __future__ import annotations

import io
import re

import pytest

from fugong.core.errors import ValidationFailed
from fugong.dispatch.models import Plan, Report, ReportRevision
from fugong.dispatch.sheets.reading import ReportImportResult, check_import_reports
from fugong.regions.models import Region
from tests import report_corpus
from tests.conftest import World
from tests.report_corpus import CASES, DAY, Case, Setting
from tests.support.reports import at, figures, submit

CHINESE = re.compile(r"[\u4e00-\u9fff]")
BY_NAME = {c.name: c for c in CASES}


@pytest.fixture
def setting(world: World, plan: Plan) -> Setting:
    other = Plan.objects.create(
        title="长春市重点企业复工复产日调度",
        owner_region_id="220100",
        start_date=plan.start_date,
        selector={"sectors": ["外贸"]},
    )
    # An earlier report of the day: a file that wrote anything would update it and add a revision.
    submit(world, "reporter", figures(on_duty=250), now=at(DAY, 9))
    return Setting(plan, other, world.user("province"), Region.objects.get(code="220000"))


def run(world: World, setting: Setting, case: Case) -> ReportImportResult:
    filename, data = case.build(setting)
    return check_import_reports(
        world.user(case.persona), data, filename, plan=setting.plan, day=DAY, now=at(DAY, 15)
    )


def written() -> tuple[int, int]:
    return Report.objects.count(), ReportRevision.objects.count()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_malformed_file_gets_a_clear_message_and_writes_nothing(
    world: World, setting: Setting, case: Case
) -> None:
    before = written()
    if case.level == "file":
        with pytest.raises(ValidationFailed) as caught:
            run(world, setting, case)
        message = caught.value.message
        assert str(caught.value) == message
    else:
        result = run(world, setting, case)
        assert not result.written
        assert [o.row for o in result.rejected] == [case.row], [(o.row, o.message) for o in result.rejected]
        message = result.rejected[0].message
    assert CHINESE.search(message), message
    for fragment in case.expect:
        assert fragment in message, message
    assert written() == before


def test_the_corpus_has_at_least_thirty_distinct_cases_of_both_kinds() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len({c.build for c in CASES}) == len(CASES)
    assert {c.level for c in CASES} == {"file", "row"}
    assert all(c.expect for c in CASES)


@pytest.mark.parametrize(
    ("name", "persona"),
    [
        ("xlsx", "province"),
        ("xlsx from the template", "province"),
        ("xls", "province"),
        ("GBK csv", "province"),
        ("UTF-8 csv", "province"),
        ("changchun's own enterprises", "changchun"),
    ],
)
def test_the_same_sheets_without_the_defect_import(
    world: World, setting: Setting, name: str, persona: str
) -> None:
    """The control: each layout the corpus uses imports when correct, so a case fails for its defect."""
    (filename, data), count = report_corpus.valid_files(setting)[name]
    result = check_import_reports(
        world.user(persona), data, filename, plan=setting.plan, day=DAY, now=at(DAY, 15)
    )
    assert result.written, [(o.row, o.message) for o in result.rejected]
    assert Report.objects.filter(date=DAY).count() == count


PAGE_CASES = [
    "zip header followed by zeros",
    "hidden rows in the data area",
    "50 MB CSV, over the 20 MB limit",
    "on duty above reported back",
    ".xls with GBK text, 是否复工 未定",
]


@pytest.mark.parametrize("name", PAGE_CASES)
def test_the_import_page_shows_the_message_and_writes_nothing(
    world: World, setting: Setting, name: str
) -> None:
    case = BY_NAME[name]
    # The page imports "now", years after DAY, when the plan's 3-day lock would refuse every
    # row for that reason alone and hide the message under test.
    setting.plan.lock_after_days = None
    setting.plan.save()
    filename, data = case.build(setting)
    upload = io.BytesIO(data)
    upload.name = filename
    before = written()
    response = world.client(case.persona).post(
        "/dispatch/import/",
        {"plan": setting.plan.pk, "date": DAY.isoformat(), "file": upload},
        follow=True,
    )
    text = response.content.decode()
    for fragment in case.expect:
        assert fragment in text, text
    if case.level == "row":
        assert "本次未写入任何数据" in text and f"<td>{case.row}</td>" in text
    assert written() == before
