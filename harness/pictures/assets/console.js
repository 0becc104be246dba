/* The live console: polls api/state once a second and redraws tables and timelines. Data goes in as text only. */
(function () {
  "use strict";
  let charts = null;
  let polls = 0;

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function fill(id, rows, each) {
    const body = document.querySelector("#" + id + " tbody");
    body.replaceChildren();
    for (const r of rows) {
      const tr = document.createElement("tr");
      each(tr, r);
      body.appendChild(tr);
    }
  }

  function statusClass(s) {
    if (s === 429) return "s429";
    return "s" + String(s).charAt(0);
  }

  function bodies(td, r) {
    for (const [label, text] of [["request", r.request_body], ["response", r.response_body]]) {
      if (text == null) continue;
      const d = document.createElement("details");
      const s = document.createElement("summary");
      s.textContent = label + " body";
      const pre = document.createElement("pre");
      pre.textContent = text;
      d.append(s, pre);
      td.appendChild(d);
    }
  }

  function show(state) {
    fill("jobs", state.jobs, function (tr, j) {
      cell(tr, j.name + " (" + j.workflow + ")");
      cell(tr, j.status + (j.message ? ": " + j.message : ""));
      cell(tr, Object.entries(j.counters || {}).map(function (kv) { return kv[0] + " " + kv[1]; }).join(", "));
    });
    fill("audiences", state.audiences, function (tr, a) {
      cell(tr, a.name); cell(tr, a.slug); cell(tr, a.size, "size");
    });
    fill("journal", state.journal, function (tr, r) {
      cell(tr, r.seq);
      cell(tr, new Date(r.ts * 1000).toISOString().substring(11, 23));
      cell(tr, r.method + " " + r.path + (r.operation ? " (" + r.operation + ")" : ""));
      cell(tr, r.status === 0 ? "dropped" : r.status, statusClass(r.status));
      cell(tr, r.email, "email");
      cell(tr, r.retry_after);
      bodies(cell(tr, ""), r);
    });
    const box = document.getElementById("timelines");
    if (charts === null) charts = EnrichsimCharts.render(box, state.timeline);
    else charts.update(state.timeline);
    polls += 1;
    document.getElementById("updated").textContent = "Last update " + new Date().toLocaleTimeString() +
      " (poll " + polls + ").";
    document.body.dataset.polls = String(polls);
    document.getElementById("problems").textContent = (state.problems || []).join("; ");
  }

  async function poll() {
    try {
      const resp = await fetch("api/state", {credentials: "same-origin", cache: "no-store"});
      if (resp.ok) show(await resp.json());
      else document.getElementById("problems").textContent = "console answered HTTP " + resp.status;
    } catch (e) {
      document.getElementById("problems").textContent = "console unreachable: " + e;
    }
    setTimeout(poll, 1000);
  }

  document.getElementById("lookup").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const email = document.getElementById("email").value;
    const out = document.getElementById("profile");
    const resp = await fetch("api/profile?email=" + encodeURIComponent(email), {credentials: "same-origin"});
    out.textContent = JSON.stringify(await resp.json(), null, 2);
  });

  poll();
})();
