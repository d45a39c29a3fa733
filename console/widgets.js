// widgets.js - parts several pages share: the error summary, the area picker.
import { api } from "./api.js";
import { clear, el } from "./dom.js";

// A GOV.UK-style error summary for an ApiError (or a message), linking each
// field error to its input when the page has one (ids from fieldId).
export function errorSummary(err, fieldId = () => null) {
  const items = (err.problem && err.problem.errors) || [];
  const box = el("div", { class: "error-summary", role: "alert", tabindex: "-1" },
    el("h2", {}, "There is a problem"),
    el("p", {}, err.message || String(err)),
    items.length ? el("ul", {}, items.map(e => {
      const id = fieldId(e.field);
      const text = `${e.field}: ${e.message}`;
      return el("li", {}, id ? el("a", { href: `#${id}`, onclick: ev => {
        ev.preventDefault();
        const t = document.getElementById(id);
        if (t) t.focus();
      } }, text) : text,
      e.candidates ? el("ul", {}, e.candidates.map(c => el("li", {},
        `${c.code} ${c.name} (${c.level}${c.parent ? `, in ${c.parent.name}` : ""})`))) : null);
    })) : null);
  return box;
}

let pickerCount = 0;
const PICKER_SHOWN = 10;

// An area picker: a text input that completes names and codes from
// GET /v1/areas?q= (a listbox under it, arrow keys and Enter), and the chosen
// areas as removable chips. onChange(codes) after each change. It shows
// PICKER_SHOWN suggestions, each with its level and parents so that places of
// the same name are told apart, and says when more match ("Abbey (Lincoln)"
// narrows them). Enter with no suggestion highlighted keeps the text and says
// why nothing was chosen. pending() is the text typed and not chosen.
export function areaPicker({ label, hint, initial = [], multiple = true, onChange = () => {} }) {
  const id = `area-${++pickerCount}`;
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
  function choose(a) {
    if (!multiple) chosen.length = 0;
    // the first parent's name tells apart areas of the same name ("Abbey, Lincoln")
    if (!chosen.some(c => c.code === a.code)) chosen.push({ code: a.code, name: a.name,
      parent: a.parents && a.parents[0] ? a.parents[0].name : null });
    input.value = "";
    message.textContent = "";
    close();
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
        if (mine !== seq) return;
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
    else if (e.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  renderChips();
  // areas given by code alone get their names from the register
  for (const a of chosen.filter(c => c.name === c.code)) {
    api("GET", `/v1/areas/${encodeURIComponent(a.code)}`).then(r => {
      a.name = r.data.name;
      a.parent = r.data.parents && r.data.parents[0] ? r.data.parents[0].name : null;
      renderChips();
    }).catch(() => {});
  }
  const node = el("div", { class: "field area-picker" },
    el("label", { for: id }, label),
    el("p", { id: `${id}-hint`, class: "hint" }, hint || "Type a name or a GSS code, then choose from the list."),
    input, list, message, chips);
  return { node, input, codes: () => chosen.map(c => c.code), pending: () => input.value.trim() };
}
