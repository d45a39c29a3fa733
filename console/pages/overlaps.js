// pages/overlaps.js - the overlap inbox (#/overlaps) and one overlap (#/overlaps/{id}).
import { api, ApiError, listAll } from "../api.js";
import { clear, el, formatRange, formatTimestamp, hashQuery, hashWith, heading, plural, summaryList, tag } from "../dom.js";
import { areaPicker, showErrors } from "../widgets.js";

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

// The status buttons of one overlap; after a change (or a change someone else
// made first, 412), onDone(overlap as it is now, message) redraws the page.
function actions(o, onDone) {
  const note = el("input", { type: "text", id: `note-${o.id}`, class: "note", maxlength: "2000",
    "aria-label": `Note for the overlap between ${o.sides ? o.sides.map(s => s && s.title).join(" and ") : o.id}` });
  const msg = el("div", { class: "action-message", role: "status" });
  const buttons = ACTIONS.filter(([st]) => st !== o.status && !(o.status === "resolved" && st !== "open"))
    .map(([st, label]) => el("button", { type: "button", class: st === "dismissed" ? "secondary" : null, onclick: async () => {
      msg.textContent = "Saving…";
      try {
        const body = { status: st };
        if (note.value.trim()) body.note = note.value.trim();
        const r = await api("PATCH", `/v1/overlaps/${o.id}`, { body, ifMatch: o.version });
        msg.textContent = `Saved: ${r.data.status}.`;
        await onDone({ ...o, ...r.data, sides: r.data.sides || o.sides }, msg.textContent);
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) {
          const fresh = (await api("GET", `/v1/overlaps/${o.id}`)).data;
          msg.textContent = `Someone else changed this overlap: it is now ${fresh.status}${fresh.note ? ` ("${fresh.note}")` : ""}. Check it, then try again.`;
          await onDone(fresh, msg.textContent);
        } else {
          showErrors(msg, err, { note: note.id }, msg.parentElement);
        }
      }
    } }, label));
  return el("div", { class: "actions" }, el("label", { for: note.id, class: "small" }, "Note (optional)"), note,
    el("div", { class: "buttons" }, buttons), msg);
}

// "Lincoln NHS Trust and Lincolnshire County Council" for an overlap's sides
function between(o) {
  return (o.sides || []).filter(Boolean).map(s => `"${s.title}"`).join(" and ") || "the two consultations";
}

// The organisations on either side of the overlaps given, by name, as
// [{id, name}] sorted by name: the choices of the organisation filter (the
// API lists no organisations to a coordinator, and these are the ones whose
// overlaps can be seen).
export function organisationsOf(overlaps, also = []) {
  const byId = new Map();
  for (const o of [...also.map(org => ({ sides: [{ organisation: org }] })), ...overlaps])
    for (const s of o.sides || []) if (s && s.organisation && s.organisation.id) byId.set(s.organisation.id, s.organisation.name);
  return [...byId].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
}

const INBOX_FIELDS = { status: "f-status", area: "f-area", level: "f-level", organisation: "f-organisation" };

export async function inbox(main, _params, ctx = {}) {
  const q = hashQuery();
  const filters = { status: q.status || "open", area: q.area || "", level: q.level || "", organisation: q.organisation || "" };
  main.appendChild(heading("Overlaps"));
  const notice = el("div", { id: "inbox-status", "aria-live": "polite" });
  const body = el("div");
  main.appendChild(notice);
  main.appendChild(body);
  const base = Object.fromEntries(Object.entries(filters).filter(([k, v]) => v && k !== "status"));
  const qs = p => new URLSearchParams(p).toString();
  const firstPage = (params, s) => api("GET", `/v1/overlaps?${qs({ ...params, status: s, limit: 200 })}`)
    .then(r => ({ s, n: r.data.items.length, more: Boolean(r.data.next_cursor), items: r.data.items }))
    .catch(() => ({ s, n: "?", more: false, items: [] }));

  // The whole inbox (counts, filters, list) as the server has it now.
  async function draw() {
    const counts = await Promise.all(STATUSES.map(s => firstPage(base, s)));
    let seen = counts.flatMap(c => c.items);
    if (filters.organisation) {
      const { organisation, ...others } = base;
      seen = seen.concat((await Promise.all(STATUSES.map(s => firstPage(others, s)))).flatMap(c => c.items));
    }
    const orgs = organisationsOf(seen, ctx.me && ctx.me.organisation ? [ctx.me.organisation] : []);
    if (filters.organisation && !orgs.some(o => o.id === filters.organisation))
      orgs.unshift({ id: filters.organisation, name: "the organisation in this page's address" });
    clear(body);
    body.appendChild(el("ul", { class: "counts", "aria-label": "Overlaps by status" }, counts.map(({ s, n, more }) =>
      el("li", {}, el("a", { href: hashWith("#/overlaps", { ...base, status: s }), "aria-current": s === filters.status ? "true" : null },
        `${s}: ${n}${more ? "+" : ""}`)))));
    const picker = areaPicker({ label: "Area (with everything inside it)", id: "f-area", multiple: false,
      hint: "Type an area's name or GSS code, then choose it from the list.",
      initial: filters.area ? [{ code: filters.area, name: filters.area }] : [] });
    const problems = el("div");
    body.appendChild(el("form", { class: "filters", role: "search", "aria-label": "Filter overlaps", onsubmit: e => {
      e.preventDefault();
      const v = id => document.getElementById(id).value;
      location.hash = hashWith("#/overlaps", { status: v("f-status"), area: picker.codes()[0] || picker.typed(),
        level: v("f-level"), organisation: v("f-organisation") });
    } },
    field("Status", el("select", { id: "f-status", name: "status" }, STATUSES.map(s => el("option", { value: s, selected: s === filters.status }, s)))),
    picker.node,
    field("Level", el("select", { id: "f-level", name: "level" }, el("option", { value: "" }, "any"),
      LEVELS.map(l => el("option", { value: l, selected: l === filters.level }, l)))),
    field("Organisation", el("select", { id: "f-organisation", name: "organisation" }, el("option", { value: "" }, "any organisation"),
      orgs.map(o => el("option", { value: o.id, selected: o.id === filters.organisation }, o.name)))),
    el("div", { class: "field" }, el("button", { type: "submit" }, "Filter"))));
    body.appendChild(problems);
    let list;
    try {
      list = await listAll(`/v1/overlaps?${qs({ ...base, status: filters.status })}`, 1000);
    } catch (err) {
      showErrors(problems, err, INBOX_FIELDS, body);
      return;
    }
    const items = list.items.sort(byUrgency);
    if (!items.length) { body.appendChild(el("p", { class: "empty" }, `No ${filters.status} overlaps match these filters.`)); return; }
    const tbody = el("tbody");
    for (const o of items) {
      tbody.appendChild(el("tr", { "data-overlap": o.id },
        el("td", {}, tag(o.level)), el("td", {}, side(o.sides && o.sides[0])), el("td", {}, side(o.sides && o.sides[1])),
        el("td", {}, el("a", { href: `#/overlaps/${o.id}` }, o.explanation)),
        el("td", {}, tag(o.status, "status"), o.same_organisation ? el("div", { class: "meta" }, "same organisation") : null),
        el("td", {}, actions(o, async (fresh, text) => {
          await draw();
          clear(notice).appendChild(el("p", { class: "notice ok", role: "status", tabindex: "-1" }, `${text} The overlap between ${between(fresh)} is now ${fresh.status}. `,
            el("a", { href: `#/overlaps/${fresh.id}` }, "See this overlap")));
          notice.firstChild.focus();
        }))));
    }
    body.appendChild(el("table", { class: "table overlaps" },
      el("caption", {}, `${plural(`${items.length}${list.more ? "+" : ""}`, `${filters.status} overlap`)}, highest level and soonest fieldwork first`),
      el("thead", {}, el("tr", {}, ["Level", "Consultation", "Overlaps with", "Why", "Status", "Action"].map(h => el("th", { scope: "col" }, h)))),
      tbody));
  }
  await draw();
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
    if (message) box.appendChild(el("p", { class: "notice", role: "status", tabindex: "-1" }, message));
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
    box.appendChild(actions(ov, async (fresh, text) => {
      draw(fresh, text);
      box.querySelector(".notice").focus();
    }));
  };
  draw(o);
}
