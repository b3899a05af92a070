"""The roll-ups are read for a node the reader may see whole, checked where they are read
(issue 13 §3): a roll-up row holds a whole subtree, so a city's dispatcher must not get the
province's row, whoever calls."""

from __future__ import annotations

from typing import Any

import pytest

from fugong.core.errors import NotFound
from fugong.dispatch.figures import reads, reference
from fugong.regions.models import Region
from tests.conftest import World
from tests.support.reports import DAY


def test_a_city_dispatcher_cannot_read_the_province_roll_ups(world: World, plan: Any) -> None:
    province = Region.objects.get(code="220000")
    with pytest.raises(NotFound, match="不完全在您的管辖范围内"):
        reads.resumption(plan, DAY, province, "region", world.user("changchun"))
    with pytest.raises(NotFound):
        reads.resumption_days(plan, [DAY], province, world.user("changchun"))


def test_the_city_reads_its_own_node_as_the_reference_counts_it(world: World, plan: Any) -> None:
    city = Region.objects.get(code="220100")
    dispatcher = world.user("changchun")
    served = reads.resumption(plan, DAY, city, "region", dispatcher).total.as_dict()
    assert served == reference.computed(plan, DAY, city, "region", dispatcher).total.as_dict()
    assert served["enterprises"] > 0


def test_the_api_answers_404_for_a_region_outside_the_reader_s_scope(world: World, plan: Any) -> None:
    response = world.client("changchun").get(
        f"/api/v1/stats/resumption?plan={plan.pk}&date={DAY.isoformat()}&region=220000"
    )
    assert response.status_code == 404, response.content
