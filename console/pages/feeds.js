// pages/feeds.js - #/feeds: the organisation's calendar feeds (API.md
// section 9): create one (its secret address shown once), list, revoke.
import { api, ApiError, listAll } from "../api.js";
import { clear, el, formatTimestamp, heading } from "../dom.js";
import { areaPicker, showErrors } from "../widgets.js";

// The page's control for each field the API names in a problem.
const feedField = f => ({ label: "label", filters: "feed-areas", "filters.areas": "feed-areas" })[String(f).replace(/\[\d+\]$/, "")] || null;

export async function render(main) {
  main.appendChild(heading("Calendar feeds"));
  main.appendChild(el("p", {}, "Subscribe to the planned consultations in Outlook or Google Calendar. ",
    "Each feed has a secret address: anyone with it can read the feed, so share it only with your team. ",
    "Public consultations are also at ", el("a", { href: "/public/consultations.ics" }, "/public/consultations.ics"), "."));
  const out = el("div", { "aria-live": "polite" });
  const listBox = el("div");
  const label = el("input", { id: "label", type: "text", class: "wide", maxlength: "200" });
  const areas = areaPicker({ label: "Only these areas (optional)", id: "feed-areas",
    hint: "Type an area's name or GSS code, then choose it from the list; choose as many as you need." });
  const problems = el("div");
  main.appendChild(el("form", { onsubmit: async e => {
    e.preventDefault();
    clear(out);
    showErrors(problems, null, feedField, e.target);
    const filters = {};
    const a = [...areas.codes(), ...areas.typed().split(";").map(s => s.trim()).filter(Boolean)];
    if (a.length) filters.areas = a;
    try {
      const r = await api("POST", "/v1/feeds", { body: { label: label.value.trim(), filters } });
      out.appendChild(el("div", { class: "notice ok", role: "status" }, el("h2", {}, "Feed created"),
        el("p", {}, "Its address (shown once: copy it into your calendar now):"), el("code", { class: "secret" }, r.data.url)));
      draw();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) out.appendChild(el("p", {}, "This server does not offer calendar feeds yet."));
      else showErrors(problems, err, feedField, e.target);
    }
  } },
  el("div", { class: "field" }, el("label", { for: "label" }, "Name of the feed"), label),
  areas.node,
  problems,
  el("button", { type: "submit" }, "Create feed")));
  main.appendChild(out);
  main.appendChild(el("h2", {}, "Your organisation's feeds"));
  main.appendChild(listBox);
  async function draw() {
    clear(listBox);
    let feeds;
    try { feeds = (await listAll("/v1/feeds", 500)).items; }
    catch (err) { listBox.appendChild(el("p", {}, err instanceof ApiError && err.status === 404 ? "Feeds are not available on this server." : err.message)); return; }
    if (!feeds.length) { listBox.appendChild(el("p", {}, "None yet.")); return; }
    listBox.appendChild(el("ul", {}, feeds.map(f => el("li", {}, `${f.label || "(no name)"}, created ${formatTimestamp(f.created_at)} `,
      el("button", { type: "button", class: "link", onclick: async () => {
        if (!confirm(`Revoke the feed "${f.label}"? Calendars using it stop updating.`)) return;
        await api("DELETE", `/v1/feeds/${f.id}`);
        draw();
      } }, "Revoke")))));
  }
  draw();
}
