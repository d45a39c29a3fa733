// pages/fatigue.js - #/fatigue?area=CODE&community=CODE&from=YYYY-MM: the heat
// map. Rows are the area and each area inside it, columns months; every cell
// shows its asks against fatigue.max_asks as numbers (colour is never the only
// signal) and opens the consultations it counts. A month's cell counts the
// consultations with fieldwork on any day of the fatigue.window_days days
// ending on its last day (README, "Fatigue"), and the page says so.
import { api, listAll } from "../api.js";
import { addMonths, clear, el, formatMonth, formatRange, hashQuery, hashWith, heading, plural } from "../dom.js";
import { fatigueWindow } from "../names.js";
import { areaPicker, errorSummary } from "../widgets.js";


export async function render(main) {
  const q = hashQuery();
  const first = q.from || new Date().toISOString().slice(0, 7);
  const months = Math.min(Math.max(Number(q.months) || 12, 1), 24);
  const last = addMonths(first, months - 1);
  main.appendChild(heading("Fatigue"));
  const communities = (await api("GET", "/v1/vocabularies/communities")).data.items;
  const picker = areaPicker({ label: "Area", multiple: false, initial: q.area ? [{ code: q.area, name: q.area }] : [],
    onChange: codes => { location.hash = hashWith("#/fatigue", { ...q, area: codes[0] || "" }); } });
  const community = el("select", { id: "community", onchange: e => { location.hash = hashWith("#/fatigue", { ...q, community: e.target.value }); } },
    el("option", { value: "" }, "all communities"),
    communities.map(c => el("option", { value: c.code, selected: c.code === q.community }, c.label)));
  main.appendChild(el("div", { class: "filters" }, picker.node,
    el("div", { class: "field" }, el("label", { for: "community" }, "Community"), community)));
  if (!q.area) { main.appendChild(el("p", {}, "Choose an area to see how often its residents are asked, month by month.")); return; }
  let area, children;
  try {
    area = (await api("GET", `/v1/areas/${encodeURIComponent(q.area)}`)).data;
    children = (await api("GET", `/v1/areas?parent=${encodeURIComponent(area.code)}&limit=100`)).data.items;
  } catch (err) { main.appendChild(errorSummary(err, { area: picker.input.id, community: "community" })); return; }
  const rows = [{ code: area.code, name: area.name }, ...children.map(c => ({ code: c.code, name: c.name }))];
  const from = `${first}-01`, to = `${last}-01`;
  const results = await Promise.all(rows.map(r => {
    const qs = new URLSearchParams({ area: r.code, from, to });
    if (q.community) qs.set("community", q.community);
    return api("GET", `/v1/fatigue?${qs}`).then(x => x.data.items).catch(() => []);
  }));
  const detail = el("section", { "aria-live": "polite", class: "cell-detail" });
  const monthList = [];
  for (let i = 0; i < months; i++) monthList.push(addMonths(first, i));
  let max = null, days = null;
  for (const b of results.flat()) { max = b.max_asks; days = b.window_days; }
  const who = q.community ? `asking ${(communities.find(c => c.code === q.community) || { label: q.community }).label}`
    : "asking the most asked community (each cell shows the busiest one)";
  const span = days ? `${days} days` : "days";
  const table = el("table", { class: "table heatmap" },
    el("caption", {}, `Consultations in ${area.name} and the areas inside it, ${who}: each month counts those `
      + `with fieldwork on any day in the ${span} up to the month's last day, against the limit`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Area"), monthList.map(m => el("th", { scope: "col" }, formatMonth(m))))),
    el("tbody", {}, rows.map((r, i) => {
      const byMonth = {};
      for (const b of results[i]) {
        // all communities: the busiest community's count is the cell
        if (!byMonth[b.month] || b.count > byMonth[b.month].count) byMonth[b.month] = b;
      }
      return el("tr", {}, el("th", { scope: "row" }, r.name),
        monthList.map(m => {
          const b = byMonth[m];
          const n = b ? b.count : 0, lim = b ? b.max_asks : max;
          const level = !b ? 0 : b.exceeded ? 4 : n === lim ? 3 : n > 0 ? Math.min(2, n) : 0;
          return el("td", { class: `heat heat-${level}`, "data-area": r.code, "data-month": m, "data-count": String(n) },
            el("button", { type: "button", class: "cell", "aria-label": `${r.name}, ${formatMonth(m)}: ${plural(n, "consultation")}${days ? ` with fieldwork in ${fatigueWindow(m, days)}` : ""}, limit ${lim ?? "?"}${b && b.exceeded ? ", over the limit" : ""}`,
              onclick: () => showCell(detail, r, m, b) }, `${n}`, el("span", { class: "limit" }, `/${lim ?? "?"}`), b && b.exceeded ? " ▲" : ""));
        }));
    })));
  main.appendChild(el("div", { class: "scroll" }, table));
  main.appendChild(el("p", { class: "hint fatigue-rule" }, `Each cell is consultations / limit. A month counts every consultation `,
    `with fieldwork on any day in the ${span} up to its last day, not only those in that month, so one consultation is `,
    `counted in several months. ▲ marks a month over the limit (more than ${max ?? "the"} allowed). Choose a cell to see them.`));
  main.appendChild(detail);
}

async function showCell(box, row, month, bucket) {
  clear(box);
  const [y, m] = month.split("-").map(Number);
  const end = new Date(Date.UTC(y, m, 0));
  const days = bucket ? bucket.window_days : 90;
  box.appendChild(el("h2", {}, `${row.name}, ${formatMonth(month)}`));
  box.appendChild(el("p", {}, `Consultations with fieldwork on any day in ${fatigueWindow(month, days)}:`));
  const start = new Date(end.getTime() - (days - 1) * 86400000);
  const qs = new URLSearchParams({ area: row.code, from: start.toISOString().slice(0, 10), to: end.toISOString().slice(0, 10) });
  if (bucket && bucket.community && bucket.community !== "all") qs.set("community", bucket.community);
  try {
    const list = await listAll(`/v1/consultations?${qs}`, 500);
    const live = list.items.filter(c => c.status !== "cancelled");
    box.appendChild(live.length ? el("ul", {}, live.map(c => el("li", {},
      el("a", { href: `#/consultations/${c.id}` }, c.title), ` (${c.organisation.name}, ${formatRange(c.fieldwork.start, c.fieldwork.end)})`)))
      : el("p", {}, "None."));
  } catch (err) { box.appendChild(errorSummary(err)); }
}
