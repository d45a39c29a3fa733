// pages/alerts.js - #/alerts: the coordinator's subscriptions: create (webhook,
// Slack or e-mail, with filters), the secret shown once, deliveries, a test ping.
import { api, listAll } from "../api.js";
import { clear, el, formatTimestamp, heading } from "../dom.js";
import { errorSummary } from "../widgets.js";

const EVENTS = ["overlap.detected", "overlap.updated", "fatigue.exceeded"];

export async function render(main, _params, { me }) {
  main.appendChild(heading("Alerts"));
  if (me.role === "partner") { main.appendChild(el("p", {}, "Alerts are managed by coordinators.")); return; }
  const listBox = el("div");
  const created = el("div", { "aria-live": "polite" });
  const kind = el("select", { id: "kind" }, el("option", { value: "standard" }, "Webhook (Standard Webhooks)"),
    el("option", { value: "slack" }, "Slack incoming webhook"), el("option", { value: "email" }, "E-mail"));
  const target = el("input", { id: "target", type: "text", class: "wide", autocomplete: "off" });
  const areas = el("input", { id: "areas", type: "text", class: "wide" });
  const level = el("select", { id: "min_level" }, ["low", "medium", "high"].map(l => el("option", { value: l, selected: l === "medium" }, l)));
  const events = EVENTS.map(e => el("div", { class: "check" }, el("input", { type: "checkbox", id: `ev-${e}`, value: e, checked: true }),
    el("label", { for: `ev-${e}` }, e)));
  main.appendChild(el("form", { class: "alert-form", onsubmit: async ev => {
    ev.preventDefault();
    clear(created);
    const body = { events: EVENTS.filter(e => document.getElementById(`ev-${e}`).checked),
      filters: { min_level: level.value } };
    const a = areas.value.split(";").map(s => s.trim()).filter(Boolean);
    if (a.length) body.filters.areas = a;
    if (kind.value === "email") body.email = target.value.trim();
    else { body.url = target.value.trim(); body.format = kind.value; }
    try {
      const r = await api("POST", "/v1/subscriptions", { body });
      created.appendChild(el("div", { class: "notice ok", role: "status" }, el("h2", {}, "Subscribed"),
        r.data.secret ? el("p", {}, "Signing secret (shown once: copy it to your receiver now): ", el("code", { class: "secret" }, r.data.secret)) : null));
      await drawList();
    } catch (err) { created.appendChild(errorSummary(err)); }
  } },
  el("h2", {}, "New subscription"),
  el("div", { class: "field" }, el("label", { for: "kind" }, "Send to"), kind),
  el("div", { class: "field" }, el("label", { for: "target" }, "Address (https:// URL, or an e-mail address)"), target),
  el("div", { class: "field" }, el("label", { for: "areas" }, "Only these areas (codes or names, separated by ;) — optional"), areas),
  el("div", { class: "field" }, el("label", { for: "min_level" }, "Lowest overlap level"), level),
  el("fieldset", {}, el("legend", {}, "Events"), events),
  el("button", { type: "submit" }, "Subscribe")));
  main.appendChild(created);
  main.appendChild(el("h2", {}, "Subscriptions"));
  main.appendChild(listBox);
  async function drawList() {
    clear(listBox);
    const subs = (await listAll("/v1/subscriptions", 500)).items;
    if (!subs.length) { listBox.appendChild(el("p", {}, "None yet.")); return; }
    for (const s of subs) {
      const out = el("div", { "aria-live": "polite" });
      listBox.appendChild(el("section", { class: "card" },
        el("h3", {}, s.url || s.email || s.id),
        el("p", { class: "meta" }, `${s.format || "e-mail"} · ${(s.events || []).join(", ")}${s.disabled_at ? " · disabled" : ""}`),
        el("div", { class: "buttons" },
          el("button", { type: "button", class: "secondary", onclick: async () => {
            clear(out);
            try { await api("POST", `/v1/subscriptions/${s.id}/test`); out.appendChild(el("p", {}, "Test ping queued.")); }
            catch (err) { out.appendChild(errorSummary(err)); }
          } }, "Send a test ping"),
          el("button", { type: "button", class: "secondary", onclick: async () => {
            clear(out);
            const d = (await api("GET", `/v1/subscriptions/${s.id}/deliveries`)).data.items;
            out.appendChild(d.length ? el("table", { class: "table" },
              el("thead", {}, el("tr", {}, ["When", "Event", "Result", "Status", "Next retry"].map(h => el("th", { scope: "col" }, h)))),
              el("tbody", {}, d.slice(0, 50).map(x => el("tr", {}, el("td", {}, formatTimestamp(x.attempted_at || x.created_at)),
                el("td", {}, x.event_type || ""), el("td", {}, x.result || x.state || ""), el("td", {}, String(x.status_code ?? "")),
                el("td", {}, formatTimestamp(x.next_attempt_at))))))
              : el("p", {}, "No deliveries yet."));
          } }, "Deliveries"),
          el("button", { type: "button", class: "warning", onclick: async () => {
            if (!confirm("Delete this subscription?")) return;
            await api("DELETE", `/v1/subscriptions/${s.id}`);
            drawList();
          } }, "Delete")), out));
    }
  }
  await drawList();
}
