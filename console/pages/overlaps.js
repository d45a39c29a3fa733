// pages/overlaps.js - the overlap inbox (#/overlaps) and one overlap (#/overlaps/{id}).
import { api, ApiError, listAll } from "../api.js";
import { clear, el, formatRange, formatTimestamp, hashQuery, hashWith, heading, summaryList, tag } from "../dom.js";
import { errorSummary } from "../widgets.js";

const STATUSES = ["open", "acknowledged", "coordinated", "dismissed", "resolved"];
const LEVELS = ["high", "medium", "low"];
const ACTIONS = [["acknowledged", "Acknowledge"], ["coordinated", "Coordinated"], ["dismissed", "Dismiss"], ["open", "Reopen"]];

function soonest(o) {
  return (o.sides || []).map(s => s && s.fieldwork.start).filter(Boolean).sort()[0] || "9999";
}

// highest level first, then the soonest fieldwork
function byUrgency(a, b) {
  const l = LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level);
  return l || soonest(a).localeCompare(soonest(b));
}

function side(s) {
  if (!s) return el("span", {}, "(unknown)");
  return el("div", { class: "side" },
    el("a", { href: `#/consultations/${s.id}` }, s.title),
    el("div", { class: "meta" }, `${s.organisation.name} · ${formatRange(s.fieldwork.start, s.fieldwork.end)}`));
}

// The status buttons of one overlap; after a change, onDone(newOverlap).
function actions(o, onDone) {
  const note = el("input", { type: "text", id: `note-${o.id}`, class: "note", maxlength: "2000",
    "aria-label": `Note for the overlap between ${o.sides ? o.sides.map(s => s && s.title).join(" and ") : o.id}` });
  const msg = el("p", { class: "action-message", role: "status" });
  const buttons = ACTIONS.filter(([st]) => st !== o.status && !(o.status === "resolved" && st !== "open"))
    .map(([st, label]) => el("button", { type: "button", class: st === "dismissed" ? "secondary" : null, onclick: async () => {
      msg.textContent = "Saving…";
      try {
        const body = { status: st };
        if (note.value.trim()) body.note = note.value.trim();
        const r = await api("PATCH", `/v1/overlaps/${o.id}`, { body, ifMatch: o.version });
        msg.textContent = `Saved: ${r.data.status}.`;
        onDone(r.data, msg.textContent);
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) {
          const fresh = (await api("GET", `/v1/overlaps/${o.id}`)).data;
          msg.textContent = `Someone else changed this overlap: it is now ${fresh.status}${fresh.note ? ` ("${fresh.note}")` : ""}. Check it, then try again.`;
          onDone(fresh, msg.textContent);
        } else {
          msg.textContent = `Not saved: ${err.message}`;
        }
      }
    } }, label));
  return el("div", { class: "actions" }, el("label", { for: note.id, class: "small" }, "Note (optional)"), note,
    el("div", { class: "buttons" }, buttons), msg);
}

export async function inbox(main) {
  const q = hashQuery();
  const filters = { status: q.status || "open", area: q.area || "", level: q.level || "", organisation: q.organisation || "" };
  main.appendChild(heading("Overlaps"));
  const countsBox = el("ul", { class: "counts", "aria-label": "Overlaps by status" });
  main.appendChild(countsBox);
  const f = el("form", { class: "filters", role: "search", "aria-label": "Filter overlaps", onsubmit: e => {
    e.preventDefault();
    const d = new FormData(e.target);
    location.hash = hashWith("#/overlaps", Object.fromEntries(d.entries()));
  } },
  field("Status", el("select", { id: "f-status", name: "status" }, STATUSES.map(s => el("option", { value: s, selected: s === filters.status }, s)))),
  field("Area (code or name, with everything inside it)", el("input", { id: "f-area", name: "area", type: "text", value: filters.area })),
  field("Level", el("select", { id: "f-level", name: "level" }, el("option", { value: "" }, "any"),
    LEVELS.map(l => el("option", { value: l, selected: l === filters.level }, l)))),
  field("Organisation id", el("input", { id: "f-organisation", name: "organisation", type: "text", value: filters.organisation })),
  el("button", { type: "submit" }, "Filter"));
  main.appendChild(f);
  const base = Object.fromEntries(Object.entries(filters).filter(([k, v]) => v && k !== "status"));
  const qs = p => new URLSearchParams(p).toString();
  let list;
  try {
    list = await listAll(`/v1/overlaps?${qs({ ...base, status: filters.status })}`, 1000);
  } catch (err) {
    main.appendChild(errorSummary(err, fld => `f-${fld}`));
    return;
  }
  // counts per status, with the same filters
  Promise.all(STATUSES.map(s => api("GET", `/v1/overlaps?${qs({ ...base, status: s, limit: 200 })}`)
    .then(r => [s, r.data.items.length, Boolean(r.data.next_cursor)]).catch(() => [s, "?", false])))
    .then(rows => rows.forEach(([s, n, more]) => countsBox.appendChild(el("li", {},
      el("a", { href: hashWith("#/overlaps", { ...base, status: s }), "aria-current": s === filters.status ? "true" : null },
        `${s}: ${n}${more ? "+" : ""}`)))));
  const items = list.items.sort(byUrgency);
  if (!items.length) { main.appendChild(el("p", { class: "empty" }, `No ${filters.status} overlaps match these filters.`)); return; }
  const tbody = el("tbody");
  for (const o of items) {
    const row = el("tr", {},
      el("td", {}, tag(o.level)), el("td", {}, side(o.sides && o.sides[0])), el("td", {}, side(o.sides && o.sides[1])),
      el("td", {}, el("a", { href: `#/overlaps/${o.id}` }, o.explanation)),
      el("td", {}, tag(o.status, "status"), o.same_organisation ? el("div", { class: "meta" }, "same organisation") : null),
      el("td", {}, actions(o, (fresh, text) => { row.replaceWith(el("tr", { class: "changed" }, el("td", { colspan: "6" },
        el("p", { role: "status" }, text), el("a", { href: `#/overlaps/${fresh.id}` }, fresh.explanation)))); })));
    tbody.appendChild(row);
  }
  main.appendChild(el("table", { class: "table overlaps" },
    el("caption", {}, `${items.length}${list.more ? "+" : ""} ${filters.status} overlaps, highest level and soonest fieldwork first`),
    el("thead", {}, el("tr", {}, ["Level", "Consultation", "Overlaps with", "Why", "Status", "Action"].map(h => el("th", { scope: "col" }, h)))),
    tbody));
}

function field(label, control) {
  return el("div", { class: "field" }, el("label", { for: control.id }, label), control);
}

export async function detail(main, [id]) {
  const o = (await api("GET", `/v1/overlaps/${id}`)).data;
  const box = el("div");
  main.appendChild(heading("Overlap"));
  main.appendChild(box);
  const draw = (ov, message) => {
    clear(box);
    if (message) box.appendChild(el("p", { class: "notice", role: "status" }, message));
    const r = ov.reasons || {};
    box.appendChild(el("p", { class: "lead" }, ov.explanation));
    box.appendChild(summaryList([
      ["Level", el("span", {}, tag(ov.level), ` score ${ov.score}`)],
      ["Status", tag(ov.status, "status")],
      ["Note", ov.note || "none"],
      ["Consultations", el("div", {}, (ov.sides || []).map(side))],
      ["Topics shared", (r.topics || []).join(", ") || "none"],
      ["Communities shared", (r.communities || []).join(", ") || "none"],
      ["Areas", (r.areas || []).join(", ") || "none"],
      ["Fieldwork", r.fieldwork_overlap_days ? `${r.fieldwork_overlap_days} days in common` : `${r.fieldwork_gap_days} days apart`],
      ["Text similarity", String(r.text_similarity ?? "")],
      ["Detected", formatTimestamp(ov.detected_at)],
      ["Updated", formatTimestamp(ov.updated_at)],
    ]));
    box.appendChild(actions(ov, (fresh, text) => draw(fresh, text)));
  };
  draw(o);
}
