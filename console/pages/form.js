// pages/form.js - a new consultation (#/consultations/new) and an edit
// (#/consultations/{id}/edit), for partners without their own systems. Before
// saving, "Check for overlaps" runs the write as a dry run (API.md section 8)
// and shows what it would find, so the dates can move first.
import { api, ApiError } from "../api.js";
import { clear, el, formatRange, heading, plural, tag } from "../dom.js";
import { areaPicker } from "../widgets.js";

const LEVELS = ["inform", "consult", "involve", "collaborate", "empower"];

// Checkboxes for a vocabulary, parents with their children indented under them.
function termPicker(name, legend, terms, selected) {
  const byParent = {};
  for (const t of terms) (byParent[t.parent || ""] = byParent[t.parent || ""] || []).push(t);
  const box = (t, child) => el("div", { class: child ? "check child" : "check" },
    el("input", { type: "checkbox", id: `${name}-${t.code}`, name, value: t.code, checked: selected.includes(t.code) }),
    el("label", { for: `${name}-${t.code}` }, t.label));
  return el("fieldset", { class: "terms", id: `${name}-set`, tabindex: "-1" }, el("legend", {}, legend),
    el("div", { class: "columns" }, (byParent[""] || []).map(p => el("div", { class: "group" }, box(p, false),
      (byParent[p.code] || []).map(c => box(c, true))))));
}

// The most characters each text field may hold: the server's limits (API.md
// section 4). The form does not cut what is typed or pasted (no maxlength):
// it counts as people type and says when a field is too long.
const LIMITS = { title: 300, summary: 5000, contact_name: 200, contact_email: 254, external_ref: 100 };

// Characters as the server counts them (code points), of what is sent (trimmed).
const length = s => [...s.trim()].length;

function input(id, label, attrs = {}, hint) {
  const max = LIMITS[id];
  const count = max ? el("p", { class: "hint char-count", id: `${id}-count`, "aria-live": "polite" }) : null;
  const box = el(attrs.rows ? "textarea" : "input", { id, name: id, ...attrs,
    "aria-describedby": max ? `${id}-count` : null });
  if (max) {
    const update = () => {
      const n = length(box.value);
      count.textContent = n > max ? `${label.replace(/ \(optional\)$/, "")} is ${plural(n - max, "character")} too long: ${n} of ${max}`
        : `${n} of ${max} characters`;
      count.classList.toggle("too-long", n > max);
    };
    box.addEventListener("input", update);
    queueMicrotask(update); // once the value is set
  }
  return el("div", { class: "field", id: `${id}-field` },
    el("label", { for: id }, label), hint ? el("p", { class: "hint" }, hint) : null,
    el("p", { class: "error-message", id: `${id}-error` }), box, count);
}

// The form's name for each field of the API (a list's entries, "areas[2]",
// are named by their list).
const LABELS = { title: "Title", summary: "Summary", areas: "Areas", fieldwork: "Fieldwork dates",
  "fieldwork.start": "Start of fieldwork", "fieldwork.end": "End of fieldwork", topics: "Topics",
  communities: "Communities", methods: "Methods", engagement_level: "Engagement level", visibility: "Who may see it",
  expected_participants: "Expected participants", contact: "Contact", "contact.name": "Contact name",
  "contact.email": "Contact e-mail", external_ref: "Your reference" };

const labelOf = f => LABELS[f] || LABELS[String(f).replace(/\[\d+\]$/, "")] || null;

// An API field error in the form's words: {label, text} ("Start of fieldwork",
// "enter a date"). pendingArea is the text typed in the area picker and not chosen.
function formWords(field, message, pendingArea = "") {
  const label = labelOf(field);
  const base = String(field).replace(/\[\d+\]$/, "");
  let m = String(message || "");
  let text = null, g;
  if (base === "areas" && (/^is required/.test(m) || /\(got 0\)$/.test(m)))
    text = pendingArea ? `“${pendingArea}” was typed but not chosen: choose it from the list under the box`
      : "choose at least one area";
  else if ((g = /^must have 1 to (\d+) entries/.exec(m)) || (g = /^must have at most (\d+) entries/.exec(m)))
    text = `choose at most ${g[1]}`;
  else if (/^(is required|must not be empty)$/.test(m))
    text = base === "title" ? "enter a title" : base.startsWith("fieldwork") ? "enter a date" : "fill this in";
  else if (/^must be a (real calendar )?date/.test(m))
    text = /\(got ""\)$/.test(m) ? "enter a date" : "enter a real date";
  else if ((g = /^must be at most (\d+) characters \(got (\d+)\)/.exec(m)))
    text = `is ${plural(g[2] - g[1], "character")} too long: shorten it to ${g[1]} characters or fewer`;
  else if (/^must not contain control characters/.test(m))
    text = "remove the tabs or other invisible characters in it";
  else if (/^must not be before fieldwork\.start/.test(m))
    text = "must not be before the start of fieldwork";
  else if (/^must be within two years of fieldwork\.start/.test(m))
    text = "must be within two years of the start of fieldwork";
  else if (/^must be an e-mail address/.test(m))
    text = "enter an e-mail address like name@example.org";
  else if (/^must be a whole number/.test(m))
    text = "enter a whole number";
  else if ((g = /^must be from (\d+) to (\d+)/.exec(m)))
    text = `enter a number from ${g[1]} to ${Number(g[2]).toLocaleString("en-GB")}`;
  else if (/^must be one of/.test(m) && base === "engagement_level")
    text = "choose one of the levels in the list";
  if (text === null) {
    // otherwise the server's words, without addresses of the API and with the form's names for fields
    text = m.replace(/\s*\((search with )?GET \/v1\/[^)]*\)/g, "")
      .replace(/\bfieldwork\.start\b/g, "the start of fieldwork").replace(/\bfieldwork\.end\b/g, "the end of fieldwork");
  }
  return { label, text };
}

// field name in a problem -> the id of its input
function fieldId(f) {
  const map = { title: "title", summary: "summary", "fieldwork.start": "start", "fieldwork.end": "end", fieldwork: "start",
    engagement_level: "engagement_level", expected_participants: "expected_participants", "contact.name": "contact_name",
    "contact.email": "contact_email", external_ref: "external_ref", visibility: "visibility" };
  if (map[f]) return map[f];
  if (f.startsWith("areas")) return "areas-input";
  if (f.startsWith("topics")) return "topics-set";
  if (f.startsWith("communities")) return "communities-set";
  if (f.startsWith("methods")) return "methods-set";
  return null;
}

async function render(main, existing) {
  const [topics, communities, methods] = await Promise.all(["topics", "communities", "methods"].map(v =>
    api("GET", `/v1/vocabularies/${v}`).then(r => r.data.items)));
  const c = existing ? existing.data : {};
  main.appendChild(heading(existing ? `Edit: ${c.title}` : "New consultation"));
  const errorsBox = el("div");
  const preview = el("section", { "aria-labelledby": "preview-h", class: "preview", hidden: true });
  let areaCodes = c.areas ? [...c.areas] : [];
  const picker = areaPicker({ label: "Areas", hint: "Where you will ask. Type a name (\"Abbey\", \"Lincoln\") or a GSS code and choose from the list; to narrow a common name, add its council in brackets: \"Abbey (Lincoln)\".",
    initial: areaCodes.map(code => ({ code, name: code })), onChange: codes => { areaCodes = codes; } });
  picker.input.id = "areas-input";
  picker.node.querySelector("label").htmlFor = "areas-input";
  picker.input.before(el("p", { class: "error-message", id: "areas-input-error" }));
  const formEl = el("form", { novalidate: true, class: "consultation-form" },
    input("title", "Title", { type: "text", class: "wide", value: c.title || "" }),
    input("summary", "Summary (optional)", { rows: "4", class: "wide" }),
    picker.node,
    el("div", { class: "row" },
      input("start", "Start of fieldwork", { type: "date", value: c.fieldwork ? c.fieldwork.start : "" }),
      input("end", "End of fieldwork", { type: "date", value: c.fieldwork ? c.fieldwork.end : "" })),
    termPicker("topics", "Topics (leave topics and communities empty to infer them from the text)", topics, c.topics || []),
    termPicker("communities", "Communities", communities, c.communities || []),
    termPicker("methods", "Methods", methods, c.methods || []),
    el("div", { class: "field" }, el("label", { for: "engagement_level" }, "Engagement level (IAP2)"),
      el("select", { id: "engagement_level" }, LEVELS.map(l => el("option", { value: l, selected: (c.engagement_level || "consult") === l }, l)))),
    el("div", { class: "field" }, el("label", { for: "visibility" }, "Who may see it"),
      el("select", { id: "visibility" },
        el("option", { value: "partners", selected: c.visibility !== "public" }, "Partner organisations only"),
        el("option", { value: "public", selected: c.visibility === "public" }, "Public: residents too (the contact e-mail never is)"))),
    input("expected_participants", "Expected participants (optional)", { type: "number", min: "0", inputmode: "numeric",
      value: c.expected_participants ?? "" }),
    el("div", { class: "row" },
      input("contact_name", "Contact name (optional)", { type: "text", value: c.contact ? c.contact.name || "" : "" }),
      input("contact_email", "Contact e-mail (optional)", { type: "email", value: c.contact ? c.contact.email || "" : "" })),
    input("external_ref", "Your reference (optional)", { type: "text", value: c.external_ref || "" },
      "Your own system's id for it: the CSV import updates the consultation with the same reference."),
    el("div", { class: "buttons" },
      el("button", { type: "button", class: "secondary", id: "check", onclick: () => submit(true) }, "Check for overlaps"),
      el("button", { type: "submit", id: "save" }, existing ? "Save changes" : "Save consultation")));
  formEl.querySelector("#summary").value = c.summary || "";
  formEl.querySelector("#summary").dispatchEvent(new Event("input"));
  formEl.addEventListener("submit", e => { e.preventDefault(); submit(false); });
  main.append(errorsBox, formEl, preview);

  function body() {
    const v = id => formEl.querySelector(`#${id}`).value.trim();
    const checked = n => [...formEl.querySelectorAll(`input[name=${n}]:checked`)].map(i => i.value);
    const b = { title: v("title"), summary: v("summary") || null, areas: areaCodes,
      fieldwork: { start: v("start"), end: v("end") }, topics: checked("topics"), communities: checked("communities"),
      methods: checked("methods"), engagement_level: v("engagement_level"), visibility: v("visibility"),
      external_ref: v("external_ref") || null };
    if (v("expected_participants") !== "") b.expected_participants = Number(v("expected_participants"));
    if (v("contact_name") || v("contact_email")) b.contact = { name: v("contact_name") || null, email: v("contact_email") || null };
    if (!existing) for (const k of Object.keys(b)) if (b[k] === null) delete b[k];
    return b;
  }

  function showErrors(err) {
    clear(errorsBox);
    for (const m of formEl.querySelectorAll(".error-message")) m.textContent = "";
    for (const f of formEl.querySelectorAll(".field-error")) f.classList.remove("field-error");
    if (!err) return;
    // "Title is 42 characters too long: ...", "Areas: choose at least one area"
    const sentence = i => !i.label ? i.text : /^(is|must) /.test(i.text) ? `${i.label} ${i.text}` : `${i.label}: ${i.text}`;
    const items = ((err.problem && err.problem.errors) || []).map(e => ({ id: fieldId(e.field),
      ...formWords(e.field, e.message, picker.typed()) }));
    // the summary, each error linked to its field (GOV.UK error summary), in the form's words
    errorsBox.appendChild(el("div", { class: "error-summary", role: "alert", tabindex: "-1" },
      el("h2", {}, "There is a problem"),
      items.length ? el("ul", {}, items.map(i => {
        const text = sentence(i);
        return el("li", {}, i.id ? el("a", { href: `#${i.id}`, onclick: ev => {
          ev.preventDefault();
          const t = document.getElementById(i.id);
          if (t) t.focus();
        } }, text) : text);
      })) : el("p", {}, err.message || String(err))));
    for (const i of items) {
      const m = i.id && formEl.querySelector(`#${i.id}-error`);
      if (m) {
        const text = sentence(i);
        m.textContent = m.textContent ? `${m.textContent} ${text}` : text;
        m.parentElement.classList.add("field-error");
      }
    }
    errorsBox.querySelector(".error-summary").focus();
  }

  async function submit(dry) {
    const path = existing ? `/v1/consultations/${c.id}` : "/v1/consultations";
    const method = existing ? "PATCH" : "POST";
    try {
      const r = await api(method, dry ? `${path}?dry_run=true` : path, { body: body(), ifMatch: existing ? existing.etag : undefined });
      showErrors(null);
      if (!dry) { location.hash = `#/consultations/${r.data.id}`; return; }
      showPreview(r.data);
    } catch (err) {
      if (err instanceof ApiError) showErrors(err);
      else showErrors({ message: err.message, problem: {} });
    }
  }

  function showPreview(d) {
    clear(preview);
    preview.hidden = false;
    const ov = d.overlaps || [];
    preview.appendChild(el("h2", { id: "preview-h", tabindex: "-1" }, ov.length ? `It would overlap ${plural(ov.length, "planned consultation")}` : "No overlaps found"));
    if (d.warnings && d.warnings.length) preview.appendChild(el("ul", { class: "warnings" }, d.warnings.map(w => el("li", {}, w))));
    if (ov.length) preview.appendChild(el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["Level", "With", "Fieldwork", "Why"].map(h => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ov.map(o => el("tr", {}, el("td", {}, tag(o.level)),
        el("td", {}, o.other ? `${o.other.title} (${o.other.organisation.name})` : ""),
        el("td", {}, o.other ? formatRange(o.other.fieldwork.start, o.other.fieldwork.end) : ""),
        el("td", {}, o.explanation))))));
    preview.appendChild(el("p", {}, ov.length
      ? "Nothing has been saved. Move the dates or change the areas and check again, or save it as it is."
      : "Nothing has been saved yet: save it when you are ready."));
    preview.querySelector("h2").focus();
  }
}

export async function create(main) { await render(main, null); }

export async function edit(main, [id]) { await render(main, await api("GET", `/v1/consultations/${id}`)); }
