// pages/alerts.js - #/alerts: the coordinator's subscriptions: create (webhook,
// Slack or e-mail, with filters; at once or as a daily or weekly digest), the
// secret shown once, a subscription's delivery changed in place (PATCH under
// If-Match: target and secret stay), deliveries, a test ping.
import { api, listAll } from "../api.js";
import { clear, el, formatTimestamp, heading } from "../dom.js";
import { errorSummary } from "../widgets.js";

const EVENTS = ["overlap.detected", "overlap.updated", "fatigue.exceeded"];
const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const dayTitle = d => d.charAt(0).toUpperCase() + d.slice(1);

// "at once", "daily digest at 08:00 (UK time)", "weekly digest, Fridays at 07:30 (UK time)"
export function deliveryText(s) {
  if (s.delivery === "daily") return `daily digest at ${s.digest_time} (UK time)`;
  if (s.delivery === "weekly") return `weekly digest, ${dayTitle(s.digest_day || "monday")}s at ${s.digest_time} (UK time)`;
  return "at once";
}

// The delivery controls (a select, a time, a day) for the element ids given,
// showing the time and day only when they apply; set to s's delivery when given.
function deliveryControls(ids, s) {
  const delivery = el("select", { id: ids.delivery }, el("option", { value: "immediate" }, "At once, one message per alert"),
    el("option", { value: "daily" }, "Daily digest"), el("option", { value: "weekly" }, "Weekly digest"));
  const digestTime = el("input", { id: ids.time, type: "time", step: "60", value: "08:00", required: true });
  const digestDay = el("select", { id: ids.day }, DAYS.map(d => el("option", { value: d }, dayTitle(d))));
  if (s) {
    delivery.value = s.delivery || "immediate";
    if (s.digest_time) digestTime.value = s.digest_time;
    if (s.digest_day) digestDay.value = s.digest_day;
  }
  const timeField = el("div", { class: "field" }, el("label", { for: ids.time }, "Time of the digest (UK time)"), digestTime);
  const dayField = el("div", { class: "field" }, el("label", { for: ids.day }, "Day of the weekly digest"), digestDay);
  const show = () => { timeField.hidden = delivery.value === "immediate"; dayField.hidden = delivery.value !== "weekly"; };
  delivery.addEventListener("change", show);
  show();
  // the delivery settings as the API takes them
  const value = () => {
    const v = { delivery: delivery.value };
    if (delivery.value !== "immediate") v.digest_time = digestTime.value;
    if (delivery.value === "weekly") v.digest_day = digestDay.value;
    return v;
  };
  return { delivery, timeField, dayField, value };
}

// The in-place change of one subscription's delivery: a small form under its
// card, sent as a merge patch with the version the list was read at; done()
// runs after a change is stored.
function changeDeliveryForm(s, status, done) {
  const ids = { delivery: `delivery-${s.id}`, time: `digest_time-${s.id}`, day: `digest_day-${s.id}` };
  const c = deliveryControls(ids, s);
  const problems = el("div");
  const form = el("form", { class: "change-delivery", "aria-label": "Change delivery", onsubmit: async ev => {
    ev.preventDefault();
    clear(problems);
    try {
      const r = await api("PATCH", `/v1/subscriptions/${s.id}`, { body: c.value(), ifMatch: String(s.version) });
      clear(status).appendChild(el("p", { class: "notice ok", role: "status" },
        `Delivery changed for ${s.url || s.email}: ${deliveryText(r.data)}.`));
      await done();
    } catch (err) {
      if (err.status === 412) {
        await done(); // the list read again, with the other change
        clear(status).appendChild(el("p", { class: "notice warn", role: "alert" },
          `Not changed: someone else changed the subscription for ${s.url || s.email} since the list was shown. Check it and retry.`));
        return;
      }
      problems.appendChild(errorSummary(err));
    }
  } },
  el("div", { class: "field" }, el("label", { for: ids.delivery }, "Delivery"), c.delivery),
  c.timeField, c.dayField, problems,
  el("div", { class: "buttons" }, el("button", { type: "submit" }, "Save delivery"),
    el("button", { type: "button", class: "secondary", onclick: () => form.remove() }, "Cancel")));
  return form;
}

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
  const { delivery, timeField, dayField, value: deliveryValue } =
    deliveryControls({ delivery: "delivery", time: "digest_time", day: "digest_day" });
  const events = EVENTS.map(e => el("div", { class: "check" }, el("input", { type: "checkbox", id: `ev-${e}`, value: e, checked: true }),
    el("label", { for: `ev-${e}` }, e)));
  main.appendChild(el("form", { class: "alert-form", onsubmit: async ev => {
    ev.preventDefault();
    clear(created);
    const body = { events: EVENTS.filter(e => document.getElementById(`ev-${e}`).checked),
      filters: { min_level: level.value } };
    const a = areas.value.split(";").map(s => s.trim()).filter(Boolean);
    if (a.length) body.filters.areas = a;
    if (delivery.value !== "immediate") Object.assign(body, deliveryValue());
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
  el("div", { class: "field" }, el("label", { for: "delivery" }, "Delivery"), delivery),
  timeField, dayField,
  el("p", { class: "hint" }, "A digest sends one message per day or week listing the window's alerts; a high overlap involving your own organisation still goes at once."),
  el("fieldset", {}, el("legend", {}, "Events"), events),
  el("button", { type: "submit" }, "Subscribe")));
  main.appendChild(created);
  main.appendChild(el("h2", {}, "Subscriptions"));
  const changed = el("div", { "aria-live": "polite", id: "alerts-status" });
  main.appendChild(changed);
  main.appendChild(listBox);
  async function drawList() {
    clear(listBox);
    const subs = (await listAll("/v1/subscriptions", 500)).items;
    if (!subs.length) { listBox.appendChild(el("p", {}, "None yet.")); return; }
    for (const s of subs) {
      const out = el("div", { "aria-live": "polite" });
      const editor = el("div");
      listBox.appendChild(el("section", { class: "card", "data-subscription": s.id },
        el("h3", {}, s.url || s.email || s.id),
        el("p", { class: "meta" }, `${s.email ? "e-mail" : s.format} · ${(s.events || []).join(", ")} · ${deliveryText(s)}${s.status === "disabled" ? " · disabled" : ""}`),
        s.next_digest_at ? el("p", { class: "meta next-digest" }, `Next digest: ${formatTimestamp(s.next_digest_at)}`) : null,
        el("div", { class: "buttons" },
          el("button", { type: "button", class: "secondary", "aria-expanded": "false", onclick: ev => {
            const open = !editor.firstChild;
            clear(editor);
            if (open) editor.appendChild(changeDeliveryForm(s, changed, drawList));
            ev.currentTarget.setAttribute("aria-expanded", String(open));
          } }, "Change delivery"),
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
          } }, "Delete")), editor, out));
    }
  }
  await drawList();
}
