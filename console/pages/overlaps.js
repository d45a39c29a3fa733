// pages/overlaps.js - the overlap inbox (#/overlaps) and one overlap (#/overlaps/{id}).
import { api, ApiError, listAll } from "../api.js";
import { clear, el, formatRange, formatTimestamp, hashQuery, hashWith, heading, plural, summaryList, tag } from "../dom.js";
import { areaNames, termLabels } from "../names.js";
import { areaPicker, showErrors } from "../widgets.js";

const STATUSES = ["open", "acknowledged", "coordinated", "dismissed", "resolved"];
const LEVELS = ["high", "medium", "low"];
const ACTIONS = [["acknowledged", "Acknowledge"], ["coordinated", "Coordinated"], ["dismissed", "Dismiss"], ["open", "Reopen"]];

// An overlap's level in words (README, "Score": high from 0.70, medium from 0.45).
const LEVEL_WORDS = {
  high: "High: very likely the same people asked about the same thing at the same time",
  medium: "Medium: related, worth checking with the other side",
  low: "Low: a loose link",
};

// How alike the two texts (titles and summaries) are, from reasons.text_similarity (0..1).
function textWords(t) {
  if (t >= 0.8) return "Titles and summaries very alike";
  if (t >= 0.45) return "Titles and summaries alike";
  if (t >= 0.2) return "Titles and summaries a little alike";
  return "Titles and summaries not alike";
}

// An overlap's reasons in a coordinator's words, one line each, with labels
// and area names for the codes: ["Same topic: Libraries", "Same community:
// General public", "Same area: Abbey (Lincoln)", "Fieldwork overlaps by 12
// days", "Titles and summaries very alike"].
export async function reasonsInWords(r = {}) {
  const [topics, communities, areas] = await Promise.all([termLabels("topics", r.topics),
    termLabels("communities", r.communities), areaNames(r.areas)]);
  const lines = [];
  if (topics.length) lines.push(`${topics.length === 1 ? "Same topic" : "Same topics"}: ${topics.join(", ")}`);
  if (communities.length) lines.push(`${communities.length === 1 ? "Same community" : "Same communities"}: ${communities.join(", ")}`);
  if (areas.length) lines.push(`${areas.length === 1 ? "Same area" : "Same areas"}: ${areas.join(", ")}`);
  if (r.fieldwork_overlap_days) lines.push(`Fieldwork overlaps by ${plural(r.fieldwork_overlap_days, "day")}`);
  else if (r.fieldwork_gap_days !== undefined) lines.push(`Fieldwork ${plural(r.fieldwork_gap_days, "day")} apart`);
  if (typeof r.text_similarity === "number") lines.push(textWords(r.text_similarity));
  return lines;
}

// The figures behind the words, kept for whoever wants them, folded away.
function scoreDetails(ov) {
  const r = ov.reasons || {};
  const rows = [["Score (0 to 1)", ov.score], ["Text similarity (0 to 1)", r.text_similarity],
    ["Days of fieldwork in common", r.fieldwork_overlap_days], ["Days between the fieldwork", r.fieldwork_gap_days],
    ["Engagement levels", (r.engagement_levels || []).join(" and ")]].filter(([, v]) => v !== undefined && v !== "");
  return el("details", { class: "score-details" }, el("summary", {}, "How the score was worked out"),
    el("p", { class: "hint" }, "High from 0.70, medium from 0.45, else low. The score weighs the shared topic, community ",
      "and text, how far apart the fieldwork is and whether the areas are the same or one contains the other."),
    summaryList(rows.map(([k, v]) => [k, String(v)])));
}

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
    const words = await Promise.all(items.map(o => reasonsInWords(o.reasons)));
    for (const [i, o] of items.entries()) {
      tbody.appendChild(el("tr", { "data-overlap": o.id },
        el("td", {}, tag(o.level)), el("td", {}, side(o.sides && o.sides[0])), el("td", {}, side(o.sides && o.sides[1])),
        el("td", {}, el("a", { href: `#/overlaps/${o.id}` }, o.explanation),
          el("div", { class: "meta reasons" }, words[i].join(" · "))),
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
  const reasons = await reasonsInWords(o.reasons);
  const draw = (ov, message) => {
    clear(box);
    if (message) box.appendChild(el("p", { class: "notice", role: "status", tabindex: "-1" }, message));
    box.appendChild(el("p", { class: "lead" }, ov.explanation));
    box.appendChild(summaryList([
      ["Level", el("span", { class: "level-words" }, tag(ov.level), ` ${LEVEL_WORDS[ov.level] || ""}`)],
      ["Status", tag(ov.status, "status")],
      ["Note", ov.note || "none"],
      ["Consultations", el("div", {}, (ov.sides || []).map(side))],
      ["Why", el("ul", { class: "reasons" }, reasons.map(line => el("li", {}, line)))],
      ["Detected", formatTimestamp(ov.detected_at)],
      ["Updated", formatTimestamp(ov.updated_at)],
    ]));
    box.appendChild(scoreDetails(ov));
    box.appendChild(actions(ov, async (fresh, text) => {
      draw(fresh, text);
      box.querySelector(".notice").focus();
    }));
  };
  draw(o);
}
