// The leaders' charts on /app/ (ECharts, served from this package: no CDN on a government intranet).
"use strict";
(async function () {
  const box = document.getElementById("charts");
  if (!box || typeof echarts === "undefined") return;
  const unit = new URLSearchParams(location.search).get("unit") || "";
  const query = unit ? "?unit=" + encodeURIComponent(unit) : "";
  const response = await fetch("/app/charts.json" + query, { credentials: "same-origin" });
  if (!response.ok) { box.hidden = true; return; }
  const data = await response.json();
  if (data.units.length) {  // levels: the charts of one unit and those below it
    const label = document.createElement("label");
    label.className = "unit-filter";
    label.textContent = "单位 ";
    const select = label.appendChild(document.createElement("select"));
    select.id = "unit";
    for (const name of ["", ...data.units]) {
      const option = select.appendChild(document.createElement("option"));
      option.value = name;
      option.textContent = name || "全部（本级及下级）";
      option.selected = name === unit;
    }
    select.addEventListener("change", () => { location.search = select.value ? "?unit=" + encodeURIComponent(select.value) : ""; });
    box.before(label);
  }
  const chart = (id, option) => {
    const el = document.getElementById(id);
    const instance = echarts.init(el, null, { renderer: "canvas" });
    instance.setOption({ tooltip: { trigger: "axis" }, legend: {}, grid: { left: 40, right: 16, bottom: 40 }, ...option });
    window.addEventListener("resize", () => instance.resize());
  };
  chart("weekly", {
    xAxis: { type: "category", data: data.weeks }, yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "新增", type: "bar", data: data.opened }, { name: "办结", type: "bar", data: data.closed }],
  });
  chart("departments", {
    grid: { left: 40, right: 16, bottom: 90 },
    xAxis: { type: "category", data: data.departments, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "在办", type: "bar", data: data.open }, { name: "超期", type: "bar", data: data.overdue }],
  });
  chart("rates", {
    xAxis: { type: "category", data: data.rate_weeks }, yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{ name: "满意率", type: "line", data: data.satisfaction }, { name: "按时办结率", type: "line", data: data.on_time }],
  });
  const table = document.querySelector("#ranking tbody");
  for (const [i, f] of data.ranking.entries()) {
    const row = table.insertRow();
    for (const value of [i + 1, f.department, f.received, f.handled, f.median_claim_hours ?? "—",
                         f.on_time == null ? "—" : f.on_time + "%", f.satisfaction == null ? "—" : f.satisfaction + "%"]) {
      row.insertCell().textContent = String(value);
    }
  }
})();
