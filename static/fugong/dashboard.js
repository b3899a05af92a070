// The dashboard's charts, drawn with the vendored ECharts from the JSON the page embeds.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var charts = [];

  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element) return null;
    var instance = echarts.init(element);
    instance.setOption(option);
    charts.push(instance);
    return instance;
  }

  function percentAxis() {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  function bars(rows, field) {
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      grid: { left: 48, right: 12, top: 16, bottom: 64 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { rotate: 30, interval: 0 } },
      yAxis: percentAxis(),
      series: [{ type: "bar", data: rows.map(function (r) { return r[field]; }), itemStyle: { color: "#1f5fbf" } }],
    };
  }

  chart("chart-trend", {
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
    legend: { top: 0, data: ["复工率", "到岗率", "产能恢复率"] },
    grid: { left: 48, right: 12, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.trend.days },
    yAxis: percentAxis(),
    series: [
      { name: "复工率", type: "line", data: data.trend.resumption },
      { name: "到岗率", type: "line", data: data.trend.attendance },
      { name: "产能恢复率", type: "line", data: data.trend.capacity },
    ],
  });

  var regions = chart("chart-regions", bars(data.regions, "resumption"));
  if (regions) {
    // Drill down: the clicked region becomes the page's region.
    regions.on("click", function (event) { window.fugongDrill(data.regions[event.dataIndex].key); });
  }
  window.fugongDrill = function (code) {
    var params = new URLSearchParams(window.location.search);
    params.set("region", code);
    window.location.search = params.toString();
  };
  // Colour from a little below the lowest rate, so that differences between cities show.
  var rates = data.regions.map(function (r) { return r.resumption; }).filter(function (v) { return v != null; });
  var floor = rates.length ? Math.max(0, Math.floor(Math.min.apply(null, rates) / 10) * 10 - 10) : 0;
  var mapElement = document.getElementById("chart-map");
  var mapName = mapElement ? mapElement.dataset.map : "";
  var map = chart("chart-map", {
    tooltip: { trigger: "item", formatter: function (p) { return p.name + "：" + (isNaN(p.value) ? "—" : p.value + "%"); } },
    visualMap: { min: floor, max: 100, left: 8, bottom: 8, text: ["100%", floor + "%"], calculable: true,
                 inRange: { color: ["#c0392b", "#f1c40f", "#1e8449"] } },
    series: [{
      type: "map", map: mapName, roam: false,
      data: data.regions.map(function (r) { return { name: r.name, value: r.resumption, code: r.key }; }),
    }],
  });
  if (map) {
    map.on("click", function (event) { if (event.data) window.fugongDrill(event.data.code); });
  }
  chart("chart-sectors", bars(data.sectors, "resumption"));
  chart("chart-tiers", bars(data.tiers, "resumption"));
  chart("chart-problems", {
    tooltip: { trigger: "axis" },
    grid: { left: 110, right: 16, top: 8, bottom: 24 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.problems.map(function (p) { return p.name; }).reverse() },
    series: [{ type: "bar", data: data.problems.map(function (p) { return p.count; }).reverse(), itemStyle: { color: "#c0392b" } }],
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
