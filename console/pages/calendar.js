// pages/calendar.js - #/calendar?area=CODE&from=YYYY-MM: the consultations in
// an area and the areas inside it, month by month: one row per area, one bar
// per fieldwork window, coloured (and labelled) by status; a consultation with
// open overlaps is marked and links to them.
import { api, listAll } from "../api.js";
import { addMonths, el, formatDate, formatMonth, formatRange, hashQuery, hashWith, heading, lastDay, plural } from "../dom.js";
import { areaPicker, errorSummary } from "../widgets.js";

const day = iso => Date.UTC(...iso.split("-").map((v, i) => Number(v) - (i === 1 ? 1 : 0))) / 86400000;

export async function render(main) {
  const q = hashQuery();
  const now = new Date().toISOString().slice(0, 7);
  const first = q.from || now;
  const months = Math.min(Math.max(Number(q.months) || 3, 1), 12);
  main.appendChild(heading("Calendar"));
  const picker = areaPicker({ label: "Area", multiple: false, initial: q.area ? [{ code: q.area, name: q.area }] : [],
    onChange: codes => { location.hash = hashWith("#/calendar", { area: codes[0] || "", from: first, months }); } });
  main.appendChild(el("div", { class: "filters" }, picker.node,
    el("div", { class: "buttons" },
      el("a", { class: "button secondary", href: hashWith("#/calendar", { area: q.area, from: addMonths(first, -months), months }) }, "Earlier"),
      el("a", { class: "button secondary", href: hashWith("#/calendar", { area: q.area, from: addMonths(first, months), months }) }, "Later"))));
  if (!q.area) { main.appendChild(el("p", {}, "Choose an area to see what is planned in it and in the areas inside it.")); return; }
  const last = addMonths(first, months - 1);
  const from = `${first}-01`, to = `${last}-${lastDay(last)}`;
  let area, children, list, open;
  try {
    area = (await api("GET", `/v1/areas/${encodeURIComponent(q.area)}`)).data;
    children = (await api("GET", `/v1/areas?parent=${encodeURIComponent(area.code)}&limit=100`)).data.items;
    list = await listAll(`/v1/consultations?area=${encodeURIComponent(area.code)}&from=${from}&to=${to}`, 2000);
    open = await listAll(`/v1/overlaps?area=${encodeURIComponent(area.code)}&status=open&from=${from}&to=${to}`, 2000);
  } catch (err) { main.appendChild(errorSummary(err, { area: picker.input.id, community: "community" })); return; }
  const overlapsOf = {};
  for (const o of open.items) for (const cid of o.consultations) (overlapsOf[cid] = overlapsOf[cid] || []).push(o);
  // one row per area: the area itself, then each child; a consultation goes in
  // the row of the child it names (or that contains one it names), else the area's
  const rows = [{ code: area.code, name: `${area.name} (the whole ${area.level})`, items: [] },
    ...children.map(c => ({ code: c.code, name: c.name, items: [] }))];
  const rowOf = {};
  rows.forEach(r => { rowOf[r.code] = r; });
  for (const c of list.items) {
    const hits = new Set();
    for (const code of c.areas) if (rowOf[code] && code !== area.code) hits.add(rowOf[code]);
    if (!hits.size) hits.add(rows[0]);
    for (const r of hits) r.items.push(c);
  }
  const span = day(to) - day(from) + 1;
  main.appendChild(el("p", {}, `${list.items.length}${list.more ? "+" : ""} consultations between ${formatDate(from)} and ${formatDate(to)}. `,
    el("span", { class: "legend" }, el("span", { class: "bar status-planned" }, "planned"), " ",
      el("span", { class: "bar status-in_field" }, "in the field"), " ",
      el("span", { class: "bar status-cancelled" }, "cancelled"), " ",
      el("span", { class: "bar status-planned has-overlap" }, "⚠ has open overlaps"))));
  const monthHeads = [];
  for (let i = 0; i < months; i++) monthHeads.push(el("th", { scope: "col" }, formatMonth(addMonths(first, i))));
  const table = el("table", { class: "table calendar" },
    el("caption", {}, `Fieldwork in ${area.name} by area, ${formatMonth(first)} to ${formatMonth(last)}`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Area"), monthHeads)),
    el("tbody", {}, rows.filter((r, i) => i === 0 || r.items.length).map(r => {
      const lane = el("td", { colspan: String(months), class: "lane" });
      r.items.forEach((c, i) => {
        const s = Math.max(day(c.fieldwork.start), day(from)), e = Math.min(day(c.fieldwork.end), day(to));
        const ovs = overlapsOf[c.id] || [];
        const bar = el("a", { class: `bar status-${c.status}${ovs.length ? " has-overlap" : ""}`,
          href: ovs.length === 1 ? `#/overlaps/${ovs[0].id}` : `#/consultations/${c.id}`,
          title: `${c.title}: ${formatRange(c.fieldwork.start, c.fieldwork.end)}, ${c.status}${ovs.length ? `, ${plural(ovs.length, "open overlap")}` : ""}`,
          "data-consultation": c.id },
        ovs.length ? "⚠ " : "", c.title, el("span", { class: "visually-hidden" },
          ` (${formatRange(c.fieldwork.start, c.fieldwork.end)}, ${c.status}${ovs.length ? `, ${plural(ovs.length, "open overlap")}` : ""})`));
        bar.style.left = `${((s - day(from)) / span) * 100}%`;
        bar.style.width = `${Math.max(((e - s + 1) / span) * 100, 1.5)}%`;
        bar.style.top = `${i * 1.9}em`;
        lane.appendChild(bar);
      });
      lane.style.height = `${Math.max(r.items.length, 1) * 1.9 + 0.3}em`;
      return el("tr", {}, el("th", { scope: "row" }, el("a", { href: hashWith("#/calendar", { area: r.code, from: first, months }) }, r.name)), lane);
    })));
  main.appendChild(el("div", { class: "scroll" }, table));
}
