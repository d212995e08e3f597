// Draws the charts of a page with Apache ECharts. Each chart's figures ride in a
// <script type="application/json"> block next to it (the CSP allows no inline script), and a
// table beside it carries the same figures for people without JavaScript or a screen.
(function () {
  "use strict";
  var palette = ["#0b4f8a", "#1e6b34", "#b3261e", "#8a5a00", "#5b3e96", "#00747a", "#7a4b2a"];

  function option(data) {
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var base = {
      color: palette,
      animation: !still,
      tooltip: { trigger: data.kind === "pie" ? "item" : "axis" }
    };
    if (data.kind === "pie") {
      base.series = [{
        type: "pie",
        name: data.title,
        radius: ["35%", "65%"],
        data: data.labels.map(function (label, i) { return { name: label, value: data.values[i] }; })
      }];
      return base;
    }
    var horizontal = data.kind === "hbar";
    var category = { type: "category", data: data.labels, axisLabel: { interval: 0, width: 160, overflow: "truncate" } };
    var value = { type: "value", minInterval: 1 };
    base.grid = { left: horizontal ? 180 : 48, right: 16, top: 16, bottom: horizontal ? 24 : 64, containLabel: false };
    base.xAxis = horizontal ? value : Object.assign({}, category, { axisLabel: { interval: 0, rotate: 30, width: 120, overflow: "truncate" } });
    base.yAxis = horizontal ? Object.assign({}, category, { inverse: true }) : value;
    base.series = [{ type: "bar", name: data.title, data: data.values }];
    return base;
  }

  function draw(holder) {
    var source = document.getElementById(holder.getAttribute("data-chart"));
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    if (data.kind === "hbar") {
      // one bar per organisation: tall enough to read every name
      holder.style.height = Math.max(320, 28 * data.labels.length + 48) + "px";
    }
    var chart = window.echarts.init(holder, null, { renderer: "canvas" });
    // marked drawn once ECharts has finished (animation included): what tests wait for
    chart.on("finished", function () { holder.setAttribute("data-drawn", "true"); });
    chart.setOption(option(data));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
})();
