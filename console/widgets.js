// widgets.js - parts several pages share: the error summary (fields named by
// the page's labels), the area picker.
import { api } from "./api.js";
import { clear, el } from "./dom.js";
import { area } from "./names.js";

// The words a page shows for the control with this id: its <label>, else its
// aria-label, else its fieldset's legend; null when there is no such control.
export function labelOf(id) {
  const node = id && document.getElementById(id);
  if (!node) return null;
  const label = document.querySelector(`label[for="${CSS.escape(id)}"]`);
  if (label && label.textContent.trim()) return label.textContent.trim();
  if (node.getAttribute("aria-label")) return node.getAttribute("aria-label");
  const legend = node.closest("fieldset") && node.closest("fieldset").querySelector("legend");
  return legend ? legend.textContent.trim() : null;
}

// "filters.min_level" -> "filters, min level": a field the page has no control
// for, in words rather than as the API spells it.
function fieldWords(field) {
  return String(field).replace(/\./g, ", ").replace(/_/g, " ");
}

// fields: a function from an API field name ("override_reason") to the id of
// the page's control for it, or an object mapping one to the other.
function idFinder(fields) {
  if (typeof fields === "function") return fields;
  return f => (fields && fields[f]) || null;
}

// A GOV.UK-style error summary for an ApiError (or a message): each field
// error named by the label the page shows for it (ids from fields, as above)
// and linked to its control; fields the page has no control for are named in
// words. The problem's detail is shown only when no field is named.
export function errorSummary(err, fields = () => null) {
  const fieldId = idFinder(fields);
  const items = (err.problem && err.problem.errors) || [];
  const box = el("div", { class: "error-summary", role: "alert", tabindex: "-1" },
    el("h2", {}, "There is a problem"),
    items.length ? null : el("p", {}, err.message || String(err)),
    items.length ? el("ul", {}, items.map(e => {
      const id = fieldId(e.field);
      const name = labelOf(id);
      const text = `${name || fieldWords(e.field)}: ${e.message}`;
      return el("li", {}, id && name ? el("a", { href: `#${id}`, onclick: ev => {
        ev.preventDefault();
        const t = document.getElementById(id);
        if (t) t.focus();
      } }, text) : text,
      e.candidates ? el("ul", {}, e.candidates.map(c => el("li", {},
        `${c.code} ${c.name} (${c.level}${c.parent ? `, in ${c.parent.name}` : ""})`))) : null);
    })) : null);
  return box;
}

// Shows err in box (cleared first) as an error summary, marks each named
// control (aria-invalid, its .field highlighted) after clearing the marks
// within scope (a form or section; default the page), and moves the focus to
// the first named control, or to the summary when none is on the page.
// err null only clears. Returns the summary (or null).
export function showErrors(box, err, fields = () => null, scope = document.getElementById("main")) {
  clear(box);
  for (const n of scope.querySelectorAll("[aria-invalid=true]")) n.removeAttribute("aria-invalid");
  for (const n of scope.querySelectorAll(".field-error")) n.classList.remove("field-error");
  if (!err) return null;
  const summary = errorSummary(err, fields);
  box.appendChild(summary);
  const fieldId = idFinder(fields);
  let first = null;
  for (const e of (err.problem && err.problem.errors) || []) {
    const node = document.getElementById(fieldId(e.field) || "");
    if (!node) continue;
    node.setAttribute("aria-invalid", "true");
    const wrap = node.closest(".field");
    if (wrap) wrap.classList.add("field-error");
    first = first || node;
  }
  (first || summary).focus();
  return summary;
}

let pickerCount = 0;
const PICKER_SHOWN = 10;

// An area picker: a text input that completes names and codes from
// GET /v1/areas?q= (a listbox under it, arrow keys and Enter), and the chosen
// areas as removable chips. onChange(codes) after each change. id names the
// input (default area-N). It shows PICKER_SHOWN suggestions, each with its
// level and parents so that places of the same name are told apart, and says
// when more match ("Abbey (Lincoln)" narrows them). Enter with no suggestion
// highlighted keeps the text and says why nothing was chosen. Returns
// {node, input, codes(), typed()}: typed() is what is left in the box not
// chosen from the list (a name the API resolves).
export function areaPicker({ label, hint, id: givenId, initial = [], multiple = true, onChange = () => {} }) {
  const id = givenId || `area-${++pickerCount}`;
  const chosen = [...initial];            // [{code, name}]
  const input = el("input", { id, type: "text", autocomplete: "off", role: "combobox", "aria-autocomplete": "list",
    "aria-expanded": "false", "aria-controls": `${id}-list`, "aria-describedby": `${id}-hint`, class: "wide" });
  const list = el("ul", { id: `${id}-list`, role: "listbox", class: "options", hidden: true, "aria-label": label });
  const chips = el("ul", { class: "chips", "aria-label": `${label}: chosen` });
  const message = el("p", { id: `${id}-message`, class: "hint picker-message", role: "status", "aria-live": "polite" });
  let more = false;                       // more areas match than are shown
  let options = [], active = -1, timer = null, seq = 0;

  function renderChips() {
    clear(chips);
    for (const a of chosen) {
      chips.appendChild(el("li", {}, `${a.name}${a.parent ? `, ${a.parent}` : ""} (${a.code}) `,
        el("button", { type: "button", class: "link", "aria-label": `Remove ${a.name}`, onclick: () => {
          chosen.splice(chosen.indexOf(a), 1);
          renderChips();
          onChange(chosen.map(c => c.code));
          input.focus();
        } }, "Remove")));
    }
  }
  function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
  // closes the list for good: a search still waiting or on its way must not
  // open it again (after a choice or Escape)
  function dismiss() { clearTimeout(timer); seq++; close(); }
  function choose(a) {
    if (!multiple) chosen.length = 0;
    // the first parent's name tells apart areas of the same name ("Abbey, Lincoln")
    if (!chosen.some(c => c.code === a.code)) chosen.push({ code: a.code, name: a.name,
      parent: a.parents && a.parents[0] ? a.parents[0].name : null });
    input.value = "";
    message.textContent = "";
    dismiss();
    renderChips();
    onChange(chosen.map(c => c.code));
  }
  function renderOptions() {
    clear(list);
    options.forEach((a, i) => {
      const parents = (a.parents || []).map(p => p.name);
      list.appendChild(el("li", { id: `${id}-opt-${i}`, role: "option", "aria-selected": i === active ? "true" : "false",
        class: i === active ? "active" : null, onmousedown: e => { e.preventDefault(); choose(a); } },
      `${a.name} — ${a.level}${parents.length ? ` in ${parents.join(", ")}` : ""} `, el("span", { class: "code" }, a.code)));
    });
    list.hidden = options.length === 0;
    input.setAttribute("aria-expanded", options.length ? "true" : "false");
    if (active >= 0) input.setAttribute("aria-activedescendant", `${id}-opt-${active}`);
    else input.removeAttribute("aria-activedescendant");
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    message.textContent = "";
    if (!q) { options = []; more = false; renderOptions(); return; }
    timer = setTimeout(async () => {
      const mine = ++seq;
      try {
        // one more than is shown, to know whether there are more
        const r = await api("GET", `/v1/areas?q=${encodeURIComponent(q)}&limit=${PICKER_SHOWN + 1}`);
        if (mine !== seq || document.activeElement !== input) return; // a newer search, or the box was left
        more = r.data.items.length > PICKER_SHOWN;
        options = r.data.items.slice(0, PICKER_SHOWN);
        active = -1;
        renderOptions();
        message.textContent = more ? `More areas match “${q}” than are listed: type more to narrow, or add the `
          + `council in brackets, for example “Abbey (Lincoln)”.` : options.length ? "" : `No area matches “${q}”.`;
      } catch (_) { options = []; more = false; renderOptions(); }
    }, 150);
  });
  input.addEventListener("keydown", e => {
    if (e.key === "ArrowDown" && options.length) { active = (active + 1) % options.length; renderOptions(); e.preventDefault(); }
    else if (e.key === "ArrowUp" && options.length) { active = (active - 1 + options.length) % options.length; renderOptions(); e.preventDefault(); }
    else if (e.key === "Enter" && active >= 0) { choose(options[active]); e.preventDefault(); }
    else if (e.key === "Enter" && input.value.trim()) {
      // nothing highlighted: keep what was typed, and say why nothing was chosen
      e.preventDefault();
      const q = input.value.trim();
      message.textContent = options.length
        ? `Nothing was chosen yet: use the down arrow to highlight one of the ${options.length} areas listed for “${q}”, `
          + `then press Enter, or click one.`
        : `Nothing was chosen: no area matches “${q}”. Check the spelling, or type a GSS code such as E07000138.`;
    }
    else if (e.key === "Escape") dismiss();
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  renderChips();
  // areas given by code alone get their names from the register
  for (const a of chosen.filter(c => c.name === c.code)) {
    area(a.code).then(d => {
      if (!d) return;
      a.name = d.name;
      a.parent = d.parents && d.parents[0] ? d.parents[0].name : null;
      renderChips();
    });
  }
  const node = el("div", { class: "field area-picker" },
    el("label", { for: id }, label),
    el("p", { id: `${id}-hint`, class: "hint" }, hint || "Type a name or a GSS code, then choose from the list."),
    input, list, message, chips);
  return { node, input, codes: () => chosen.map(c => c.code), typed: () => input.value.trim() };
}
