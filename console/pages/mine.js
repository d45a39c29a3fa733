// pages/mine.js - #/consultations?status=: the signed-in organisation's own
// consultations. Current and coming ones first (soonest fieldwork first), then
// past and cancelled ones (latest first), PAGE at a time; each links to its
// page, where Edit and Cancel are. The list API orders by creation, so the
// page reads the organisation's whole list (up to MAX) and sorts it here.
// "Download as a spreadsheet (CSV)" fetches /v1/consultations.csv with the
// same filters through the API client (the key never goes in a link) and
// hands the file to the browser, ready to edit and import again.
import { download as save, listAll } from "../api.js";
import { el, formatRange, hashQuery, hashWith, heading, plural } from "../dom.js";
import { areaName } from "../names.js";
import { errorSummary } from "../widgets.js";

const PAGE = 25;
const MAX = 2000;
const AREAS_SHOWN = 3;
const STATUS = [["", "All"], ["planned", "Planned"], ["in_field", "In the field"], ["closed", "Closed"],
  ["cancelled", "Cancelled"]];
const statusLabel = s => (STATUS.find(([v]) => v === s) || [s, s])[1];

// today as YYYY-MM-DD in the browser's own calendar
function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

// Coming and in-the-field consultations first, soonest fieldwork first; then
// the finished and cancelled ones, latest fieldwork first.
export function order(items, now) {
  const live = c => c.status !== "cancelled" && c.status !== "closed" && c.fieldwork.end >= now;
  const by = (a, b) => a.fieldwork.start.localeCompare(b.fieldwork.start) ||
    a.fieldwork.end.localeCompare(b.fieldwork.end) || a.title.localeCompare(b.title);
  const ahead = items.filter(live).sort(by);
  const behind = items.filter(c => !live(c)).sort((a, b) => by(b, a));
  return ahead.concat(behind);
}

function slug(text) {
  return text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "organisation";
}

export async function render(main, _params, { me }) {
  const q = hashQuery();
  const status = STATUS.some(([v]) => v === q.status) ? q.status : "";
  const org = me.organisation;
  main.appendChild(heading("Our consultations"));
  const filters = new URLSearchParams({ organisation: org.id });
  if (status) filters.set("status", status);

  const select = el("select", { id: "mine-status", name: "status" },
    STATUS.map(([v, label]) => el("option", { value: v, selected: v === status }, label)));
  const downloadMsg = el("p", { id: "download-status", role: "status", class: "small" });
  const download = el("button", { type: "button", class: "secondary", id: "download-csv", onclick: async () => {
    download.disabled = true;
    downloadMsg.textContent = "Preparing the spreadsheet…";
    try {
      const name = `consultations-${slug(org.name)}${status ? `-${status.replace("_", "-")}` : ""}-${today()}.csv`;
      await save(`/v1/consultations.csv?${filters}`, null, { name, bom: true });
      downloadMsg.textContent = `Downloaded ${name}. Edit it in a spreadsheet, then bring it back with "Import".`;
    } catch (err) {
      downloadMsg.textContent = `Could not download the spreadsheet: ${err.message}`;
    } finally { download.disabled = false; }
  } }, "Download as a spreadsheet (CSV)");

  let list, open;
  try {
    list = await listAll(`/v1/consultations?${filters}`, MAX);
    open = await listAll(`/v1/overlaps?organisation=${encodeURIComponent(org.id)}&status=open`, MAX);
  } catch (err) { main.appendChild(errorSummary(err)); return; }
  if (list.items.length || status) {
    main.appendChild(el("p", { class: "lead" }, `The consultations ${org.name} has in the register. `,
      "Open one to edit it, cancel it or mark its outreach sent."));
    main.appendChild(el("form", { class: "filters", onsubmit: e => {
      e.preventDefault();
      location.hash = hashWith("#/consultations", { status: select.value });
    } }, el("div", { class: "field" }, el("label", { for: "mine-status" }, "Status"), select),
    el("button", { type: "submit", class: "secondary" }, "Show")));
  }

  if (!list.items.length) {
    main.appendChild(el("section", { class: "empty", "aria-labelledby": "empty-h" },
      el("h2", { id: "empty-h" }, status ? `No ${statusLabel(status).toLowerCase()} consultations` : "No consultations yet"),
      el("p", {}, status ? `${org.name} has no consultation with this status.`
        : `${org.name} has not put any consultation in the register yet. Plan one with the form, or bring several at once from a spreadsheet.`),
      el("div", { class: "buttons" },
        el("a", { class: "button", href: "#/consultations/new" }, "Plan a consultation"),
        el("a", { class: "button secondary", href: "#/import" }, "Import a spreadsheet"),
        status ? el("a", { href: "#/consultations" }, "Show all") : null)));
    return;
  }

  const openOf = {};
  for (const o of open.items) for (const cid of o.consultations) openOf[cid] = (openOf[cid] || 0) + 1;
  const items = order(list.items, today());
  // each area's name alone (a code the register does not know stays a code)
  const names = new Map();
  async function nameAreas(codes) {
    await Promise.all(codes.filter(code => !names.has(code)).map(async code => {
      names.set(code, await areaName(code, { parent: false }));
    }));
  }

  main.appendChild(el("div", { class: "buttons" }, download,
    el("a", { class: "button secondary", href: "#/import" }, "Import a spreadsheet")));
  main.appendChild(downloadMsg);
  const count = el("p", { id: "mine-count", role: "status" });
  const ol = el("ol", { class: "mine", "aria-labelledby": "mine-count" });
  const more = el("button", { type: "button", class: "secondary", id: "mine-more" });
  main.appendChild(count);
  main.appendChild(ol);
  main.appendChild(more);
  if (list.more) main.appendChild(el("p", { class: "hint" },
    `Only the first ${MAX} are listed here; the spreadsheet has every one.`));

  function item(c) {
    const n = openOf[c.id] || 0;
    const codes = c.areas || [];
    const areaText = codes.slice(0, AREAS_SHOWN).map(code => names.get(code) || code).join(", ") +
      (codes.length > AREAS_SHOWN ? ` and ${codes.length - AREAS_SHOWN} more` : "");
    return el("li", { "data-consultation": c.id },
      el("h2", { class: "item-title" }, el("a", { href: `#/consultations/${c.id}` }, c.title)),
      el("p", { class: "item-meta" },
        el("strong", { class: `tag tag-${c.status}` }, statusLabel(c.status)), " ",
        el("span", {}, `Fieldwork ${formatRange(c.fieldwork.start, c.fieldwork.end)}`), " ",
        el("span", {}, `Areas: ${areaText || "none"}`),
        c.external_ref ? el("span", {}, ` Reference: ${c.external_ref}`) : null),
      n ? el("p", { class: "item-overlaps" }, el("a", { href: `#/consultations/${c.id}` },
        `⚠ ${plural(n, "open overlap")}`)) : null);
  }

  let shown = 0;
  async function showMore() {
    const next = items.slice(shown, shown + PAGE);
    await nameAreas(next.flatMap(c => (c.areas || []).slice(0, AREAS_SHOWN)));
    const nodes = next.map(item);
    nodes.forEach(n => ol.appendChild(n));
    const first = shown;
    shown += next.length;
    count.textContent = `Showing ${shown} of ${plural(`${items.length}${list.more ? "+" : ""}`, "consultation")}.`;
    more.hidden = shown >= items.length;
    more.textContent = `Show ${Math.min(PAGE, items.length - shown)} more`;
    if (first > 0 && nodes.length) nodes[0].querySelector("a").focus();
  }
  more.addEventListener("click", async () => {
    more.disabled = true;
    try { await showMore(); } catch (err) { main.appendChild(errorSummary(err)); } finally { more.disabled = false; }
  });
  await showMore();
}
