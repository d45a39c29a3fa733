// pages/alerts.js - #/alerts: the coordinator's subscriptions: create (webhook,
// Slack or e-mail, with filters; at once or as a daily or weekly digest), the
// secret shown once, a subscription's delivery changed in place (PATCH under
// If-Match: target and secret stay), deliveries, a test ping.
import { api, listAll } from "../api.js";
import { clear, el, formatTimestamp, heading } from "../dom.js";
import { areaPicker, showErrors } from "../widgets.js";

// The page's control for each field the API names in a problem ("filters.areas[2]"
// is the areas box, "events[0]" the events).
const FORM_FIELDS = { url: "target", email: "target", format: "kind", events: "events",
  filters: "areas", "filters.areas": "areas", "filters.min_level": "min_level", delivery: "delivery",
  digest_time: "digest_time", digest_day: "digest_day" };
const formField = f => FORM_FIELDS[String(f).replace(/\[\d+\]$/, "")] || null;

// A delivery error the server (not the receiver) caused, in words for the
// coordinator, who can only pass it on: what is wrong and who can fix it, the
// setting named last for the operator (job_dispatch.c writes these). Any other
// error (the receiver's answer, a network failure) is shown as it is.
export function errorWords(error) {
  const e = String(error);
  if (/^smtp\.url is not set/.test(e))
    return "E-mail is not set up on this server yet: ask whoever runs consultd to configure it (smtp.url)";
  if (/secret is not whsec_/.test(e))
    return "this subscription's signing secret is damaged, so its alerts cannot be signed: delete it and subscribe again";
  if (/^could not render|^stored event body is not JSON/.test(e))
    return "the server could not prepare the message: ask whoever runs consultd to look at its log";
  return e;
}

// The events a subscription can ask for, in words (API.md section 5 names them).
const EVENT_WORDS = { "overlap.detected": "New overlap", "overlap.updated": "Overlap changed",
  "fatigue.exceeded": "Too many asks", ping: "Test ping" };
export const eventWords = e => EVENT_WORDS[e] || e;

// A delivery attempt's result in plain words (API.md section 5: outcome is
// delivered, retry, failed or disabled; error says why).
export function attemptResult(x) {
  const why = x.error ? `: ${errorWords(x.error)}` : "";
  if (x.outcome === "delivered") return "Delivered";
  if (x.outcome === "retry") return `Not delivered yet, will try again${why}`;
  if (x.outcome === "disabled") return `Refused: the subscription is now disabled${why}`;
  if (x.outcome === "failed") return `Failed${why}`;
  return x.outcome ? `${x.outcome}${why}` : "";
}

// The receiver's answer: "HTTP 200", or why there was none.
function attemptStatus(x) {
  return x.status_code ? `HTTP ${x.status_code}` : "no answer";
}

function deliveriesTable(d) {
  return d.length ? el("table", { class: "table deliveries" },
    el("thead", {}, el("tr", {}, ["When", "Event", "Result", "Status", "Next retry"].map(h => el("th", { scope: "col" }, h)))),
    el("tbody", {}, d.slice(0, 50).map(x => el("tr", {}, el("td", {}, formatTimestamp(x.attempted_at)),
      el("td", {}, x.event_type ? eventWords(x.event_type) : ""), el("td", {}, attemptResult(x)), el("td", {}, attemptStatus(x)),
      el("td", {}, x.next_attempt_at ? formatTimestamp(x.next_attempt_at) : "none")))))
    : el("p", {}, "No deliveries yet.");
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

// Sends a test ping and says in out what became of it: queued, then the
// first attempt's result (delivered, or why not) when one is made within
// about 20 s, read from the subscription's deliveries.
async function testPing(s, out) {
  clear(out);
  const line = el("p", { class: "notice", role: "status" }, "Sending a test ping…");
  out.appendChild(line);
  let event;
  try { event = (await api("POST", `/v1/subscriptions/${s.id}/test`)).data.event_id; }
  catch (err) { showErrors(out, err); return; }
  line.textContent = "Test ping queued: waiting for the first attempt…";
  for (let i = 0; i < 40; i++) {
    await sleep(500);
    let items;
    try { items = (await api("GET", `/v1/subscriptions/${s.id}/deliveries?limit=20`)).data.items; }
    catch (_) { continue; }
    const a = items.find(x => String(x.event_id) === String(event));
    if (!a) continue;
    line.className = `notice ${a.outcome === "delivered" ? "ok" : "warn"}`;
    line.textContent = a.outcome === "delivered"
      ? `Test ping delivered (${attemptStatus(a)}).`
      : `Test ping not delivered: ${attemptResult(a)}.${a.next_attempt_at ? ` Next try: ${formatTimestamp(a.next_attempt_at)}.` : ""}`;
    return;
  }
  line.textContent = "Test ping queued: no attempt yet. Open the deliveries later to see what became of it.";
}

const EVENTS = ["overlap.detected", "overlap.updated", "fatigue.exceeded"];
const EVENT_HINTS = { "overlap.detected": "(two consultations are found to overlap)",
  "overlap.updated": "(an overlap you were told about changes)",
  "fatigue.exceeded": "(more consultations ask the same people than the limit allows)" };
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
    showErrors(problems, null, {}, form);
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
      showErrors(problems, err, { delivery: ids.delivery, digest_time: ids.time, digest_day: ids.day }, form);
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
  const problems = el("div");
  const kind = el("select", { id: "kind" }, el("option", { value: "standard" }, "Webhook (Standard Webhooks)"),
    el("option", { value: "slack" }, "Slack incoming webhook"), el("option", { value: "email" }, "E-mail"));
  const target = el("input", { id: "target", type: "text", class: "wide", autocomplete: "off" });
  // e-mail needs the server's mail server: said when e-mail is chosen, and
  // again (from the API's warnings) when the subscription is made without one
  const mailHint = el("p", { id: "kind-hint", class: "hint", hidden: true },
    "E-mail is sent through the mail server your operator sets up. If there is none yet, you are told when you subscribe, ",
    "and the alerts wait until there is one. There is no signing secret for e-mail.");
  kind.setAttribute("aria-describedby", "kind-hint");
  kind.addEventListener("change", () => { mailHint.hidden = kind.value !== "email"; });
  const areas = areaPicker({ label: "Only these areas (optional)", id: "areas",
    hint: "Type an area's name or GSS code, then choose it from the list; choose as many as you need." });
  const level = el("select", { id: "min_level" }, ["low", "medium", "high"].map(l => el("option", { value: l, selected: l === "medium" }, l)));
  const { delivery, timeField, dayField, value: deliveryValue } =
    deliveryControls({ delivery: "delivery", time: "digest_time", day: "digest_day" });
  const events = EVENTS.map(e => el("div", { class: "check" }, el("input", { type: "checkbox", id: `ev-${e}`, value: e, checked: true }),
    el("label", { for: `ev-${e}` }, eventWords(e), el("span", { class: "hint" }, ` ${EVENT_HINTS[e]}`))));
  main.appendChild(el("form", { class: "alert-form", onsubmit: async ev => {
    ev.preventDefault();
    clear(created);
    const body = { events: EVENTS.filter(e => document.getElementById(`ev-${e}`).checked),
      filters: { min_level: level.value } };
    const a = [...areas.codes(), ...areas.typed().split(";").map(s => s.trim()).filter(Boolean)];
    if (a.length) body.filters.areas = a;
    if (delivery.value !== "immediate") Object.assign(body, deliveryValue());
    if (kind.value === "email") body.email = target.value.trim();
    else { body.url = target.value.trim(); body.format = kind.value; }
    try {
      const r = await api("POST", "/v1/subscriptions", { body });
      showErrors(problems, null, formField, ev.target);
      const warnings = r.data.warnings || [];
      created.appendChild(el("div", { class: `notice ${warnings.length ? "warn" : "ok"}`, role: "status" }, el("h2", {}, "Subscribed"),
        warnings.map(w => el("p", { class: "warning" }, w)),
        r.data.secret && !r.data.email ? el("p", {}, "Signing secret (shown once: copy it to your receiver now): ", el("code", { class: "secret" }, r.data.secret)) : null));
      await drawList();
    } catch (err) { showErrors(problems, err, formField, ev.target); }
  } },
  el("h2", {}, "New subscription"),
  el("div", { class: "field" }, el("label", { for: "kind" }, "Send to"), kind, mailHint),
  el("div", { class: "field" }, el("label", { for: "target" }, "Address (https:// URL, or an e-mail address)"), target),
  areas.node,
  el("div", { class: "field" }, el("label", { for: "min_level" }, "Lowest overlap level"), level),
  el("div", { class: "field" }, el("label", { for: "delivery" }, "Delivery"), delivery),
  timeField, dayField,
  el("p", { class: "hint" }, "A digest sends one message per day or week listing the window's alerts; a high overlap involving your own organisation still goes at once."),
  el("fieldset", { id: "events", tabindex: "-1" }, el("legend", {}, "Events"), events),
  problems,
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
        el("p", { class: "meta" }, `${s.email ? "e-mail" : s.format} · ${(s.events || []).map(eventWords).join(", ")} · ${deliveryText(s)}${s.status === "disabled" ? " · disabled" : ""}`),
        s.next_digest_at ? el("p", { class: "meta next-digest" }, `Next digest: ${formatTimestamp(s.next_digest_at)}`) : null,
        el("div", { class: "buttons" },
          el("button", { type: "button", class: "secondary", "aria-expanded": "false", onclick: ev => {
            const open = !editor.firstChild;
            clear(editor);
            if (open) editor.appendChild(changeDeliveryForm(s, changed, drawList));
            ev.currentTarget.setAttribute("aria-expanded", String(open));
          } }, "Change delivery"),
          el("button", { type: "button", class: "secondary", onclick: () => testPing(s, out) }, "Send a test ping"),
          el("button", { type: "button", class: "secondary", onclick: async () => {
            clear(out);
            try { out.appendChild(deliveriesTable((await api("GET", `/v1/subscriptions/${s.id}/deliveries`)).data.items)); }
            catch (err) { showErrors(out, err); }
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
