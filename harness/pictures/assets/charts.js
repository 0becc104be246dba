/* enrichsim timelines on uPlot: one shared, synchronised time axis; hover shows every series' value.
   EnrichsimCharts.render(element, timeline) draws; the handle's update(timeline) redraws with new data (console). */
(function () {
  "use strict";
  const COLORS = {"2xx": "#2a9d4b", "4xx": "#e9a100", "429": "#d62828", "5xx": "#7b2cbf", "dropped": "#555555",
                  limit: "#1d3557", enriched: "#2a9d4b", omitted: "#e9a100", pending: "#457b9d",
                  audience: "#a8a8a8", p50: "#2a9d4b", p95: "#e9a100", p99: "#d62828"};
  const plots = [];

  function line(label, extra) {
    return Object.assign({label: label, stroke: COLORS[label] || "#333", width: 1.5, points: {show: false},
                          value: function (u, v) { return v == null ? "-" : (+v.toFixed(2)).toString(); }}, extra || {});
  }

  function clipped(u, draw) {
    const ctx = u.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    draw(ctx);
    ctx.restore();
  }

  function marksPlugin(state) {
    return {hooks: {
      drawClear: [function (u) {  // Retry-After holds, shaded under the series
        clipped(u, function (ctx) {
          ctx.fillStyle = "rgba(214, 40, 40, 0.12)";
          for (const h of state.tl.holds || []) {
            const a = u.valToPos(h[0], "x", true), b = u.valToPos(h[1], "x", true);
            ctx.fillRect(a, u.bbox.top, Math.max(1, b - a), u.bbox.height);
          }
        });
      }],
      draw: [function (u) {  // token requests, a dashed violet rule each; scenario steps, grey and labelled
        clipped(u, function (ctx) {
          ctx.strokeStyle = "#8d99ae";
          ctx.fillStyle = "#4a4e69";
          ctx.font = Math.round(11 * uPlot.pxRatio) + "px sans-serif";
          ctx.textAlign = "left";  // uPlot leaves its axes' alignment on the context
          ctx.textBaseline = "alphabetic";
          ctx.setLineDash([]);
          ctx.lineWidth = 1;
          let labelEnd = -Infinity, row = 0;
          for (const s of state.tl.steps || []) {
            const x = Math.round(u.valToPos(s[0], "x", true)) + 0.5;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            if (x < u.bbox.left) continue;  // before the first recorded request
            row = x < labelEnd ? row + 1 : 0;  // steps close together: stack their labels
            ctx.fillText(s[1], x + 3, u.bbox.top + (12 + 13 * (row % 4)) * uPlot.pxRatio);
            labelEnd = Math.max(labelEnd, x + 3 + ctx.measureText(s[1]).width);
          }
          ctx.strokeStyle = "#7b2cbf";
          ctx.setLineDash([3, 3]);
          ctx.lineWidth = 1;
          for (const t of state.tl.tokens || []) {
            const x = Math.round(u.valToPos(t, "x", true)) + 0.5;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          }
        });
      }],
    }};
  }

  function requestsData(tl) {
    const r = tl.requests;
    const markers = r["429"].map(function (v) { return v > 0 ? v : null; });  // a marker only where 429s fell
    const limit = tl.limit_series || tl.x.map(function () { return tl.limit == null ? null : tl.limit; });
    return [tl.x, r["2xx"], r["4xx"], markers, r["5xx"], r["dropped"], limit];
  }

  function usersData(tl) {
    const u = tl.users;
    return [tl.x, u.enriched, u.omitted, u.pending, u.audience];
  }

  function latencyData(tl) {
    return [tl.x, tl.latency.p50, tl.latency.p95, tl.latency.p99];
  }

  function histData(tl) {
    const h = tl.histogram;
    return [h.edges.length ? h.edges : [0], h.counts.length ? h.counts : [null]];
  }

  function arrivalData(tl) {
    const l = tl.load;
    return [tl.x, l.target, l.achieved_client, l.enters];
  }

  function loadLatencyData(tl) {
    const l = tl.load;
    return [tl.x, l.client_p50, l.client_p95, l.server_p50, l.server_p95];
  }

  const LOAD_CHARTS = [
    {key: "arrival", title: "Arrival rate: planned vs achieved (collect requests/s, locust) and audience enters/s (mock Lytics)",
     axis: "per s", data: arrivalData, marks: false,
     series: function () {
       return [line("target", {stroke: "#1d3557", dash: [8, 4], width: 2}), line("collect req/s (client)", {stroke: "#e9a100", spanGaps: true}),
               line("enters/s (server)", {stroke: "#2a9d4b"})];
     }},
    {key: "load-latency", title: "Latency: client (collect, locust window) vs server (audience enter to UUID written)",
     axis: "ms", data: loadLatencyData, marks: false,
     series: function () {
       return [line("client p50", {stroke: "#e9a100", spanGaps: true}), line("client p95", {stroke: "#b36b00", spanGaps: true}),
               line("server p50", {stroke: "#2a9d4b", spanGaps: true}), line("server p95", {stroke: "#d62828", spanGaps: true})];
     }},
  ];

  const CHARTS = [
    {key: "requests", title: "Ansira webhook requests per second by status (line: rate limit; shaded: Retry-After holds; dashed: token requests; grey: scenario steps)",
     axis: "req/s", data: requestsData, marks: true,
     series: function () {
       return [line("2xx"), line("4xx"),
               line("429", {paths: function () { return null; }, points: {show: true, size: 8, fill: COLORS["429"], stroke: COLORS["429"]}}),
               line("5xx"), line("dropped"), line("limit", {dash: [8, 4], width: 2})];
     }},
    {key: "users", title: "Users: enriched, omitted, pending (cumulative) and audience size", axis: "users",
     data: usersData, marks: false,
     series: function () { return [line("enriched"), line("omitted"), line("pending"), line("audience")]; }},
    {key: "latency", title: "Enrich latency (trigger to UUID landed), percentiles per bucket", axis: "ms",
     data: latencyData, marks: false,
     series: function () { return [line("p50", {spanGaps: true}), line("p95", {spanGaps: true}), line("p99", {spanGaps: true})]; }},
  ];

  function make(container, spec, state, width) {
    const box = document.createElement("div");
    box.className = "chart chart-" + spec.key;
    box.setAttribute("data-chart", spec.key);
    container.appendChild(box);
    const opts = {
      title: spec.title, width: width, height: 220,
      cursor: {sync: {key: state.syncKey}, points: {size: 6}},
      scales: {x: {time: true}},
      legend: {live: true},
      series: [{label: "time", value: "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}"}].concat(spec.series()),
      axes: [{}, {label: spec.axis, size: 60}],
      plugins: spec.marks ? [marksPlugin(state)] : [],
    };
    const plot = new uPlot(opts, spec.data(state.tl), box);
    plot.enrichsimKey = spec.key;
    plots.push(plot);
    return plot;
  }

  function makeHistogram(container, state, width) {
    const box = document.createElement("div");
    box.className = "chart chart-histogram";
    box.setAttribute("data-chart", "histogram");
    container.appendChild(box);
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({size: [0.9, 100]}) : undefined;
    const opts = {
      title: "Enrich latency histogram (users per latency bin)", width: width, height: 200,
      scales: {x: {time: false}},
      series: [{label: "latency ms", value: function (u, v) { return v == null ? "-" : v + " ms"; }},
               {label: "users", stroke: "#457b9d", fill: "rgba(69,123,157,0.45)", paths: bars, points: {show: false}}],
      axes: [{label: "ms"}, {label: "users", size: 60}],
    };
    const plot = new uPlot(opts, histData(state.tl), box);
    plot.enrichsimKey = "histogram";
    plots.push(plot);
    return plot;
  }

  function render(container, tl) {
    const state = {tl: tl, syncKey: "enrichsim-" + plots.length};
    const width = Math.max(480, (container.clientWidth || 960) - 8);
    if (!tl || tl.empty) {
      const p = document.createElement("p");
      p.className = "no-data";
      p.textContent = "No Ansira requests or user outcomes recorded yet.";
      container.appendChild(p);
      return {update: function (next) { if (next && !next.empty) { container.innerHTML = ""; Object.assign(this, render(container, next)); } }};
    }
    const specs = tl.load ? LOAD_CHARTS.concat(CHARTS) : CHARTS;
    const made = specs.map(function (spec) { return [spec, make(container, spec, state, width)]; });
    const hist = makeHistogram(container, state, width);
    return {
      plots: made.map(function (m) { return m[1]; }).concat([hist]),
      update: function (next) {
        if (!next || next.empty) return;
        state.tl = next;
        for (const m of made) m[1].setData(m[0].data(next));
        hist.setData(histData(next));
      },
    };
  }

  window.EnrichsimCharts = {render: render, plots: plots};
})();
