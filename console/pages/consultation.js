// pages/consultation.js - one consultation (#/consultations/{id}): everything
// about it, its overlaps, its preflight, the fatigue of its areas and
// communities, the outreach button, edit and cancel for its owner.
import { api, ApiError } from "../api.js";
import { el, formatMonth, formatRange, formatTimestamp, heading, plural, summaryList, tag } from "../dom.js";
import { areaName, areaNames, fatigueWindow, termLabels } from "../names.js";
import { errorSummary, showErrors } from "../widgets.js";

// A community's label; "all" (every community together) in words.
async function communityName(code) {
  return code === "all" ? "all communities" : (await termLabels("communities", [code]))[0];
}

// An exceeded fatigue bucket in words, as the rule counts it (README,
// "Fatigue"): "Abbey (Lincoln), General public, March 2027: 4 consultations
// with fieldwork in the 90 days up to 31 March 2027, more than the 3 allowed".
async function bucketWords(b) {
  return `${await areaName(b.area)}, ${await communityName(b.community)}, ${formatMonth(b.month)}: `
    + `${plural(b.count, "consultation")} with fieldwork in ${fatigueWindow(b.month, b.window_days)}, `
    + `more than the ${b.max_asks} allowed`;
}

function monthsOf(start, end) {
  return [start.slice(0, 7), end.slice(0, 7)];
}

export async function show(main, [id], { me }) {
  const r = await api("GET", `/v1/consultations/${id}`);
  const c = r.data;
  const version = r.etag;
  const mine = me.role === "admin" || c.organisation.id === me.organisation.id;
  // labels and names for the codes the page shows (the preflight's and the fatigue's too)
  const [topics, communities, methods, areas] = await Promise.all([termLabels("topics", c.topics),
    termLabels("communities", c.communities), termLabels("methods", c.methods), areaNames(c.areas)]);
  main.appendChild(heading(c.title));
  main.appendChild(el("p", { class: "meta" }, `${c.organisation.name} · `, tag(c.status, "status"),
    c.visibility ? ` · ${c.visibility}` : ""));
  main.appendChild(summaryList([
    ["Fieldwork", formatRange(c.fieldwork.start, c.fieldwork.end)],
    ["Summary", c.summary || "none"],
    ["Topics", topics.join(", ") + (c.inferred ? " (inferred from the text)" : "")],
    ["Communities", communities.join(", ") || "none"],
    ["Areas", areas.join(", ")],
    ["Methods", methods.join(", ") || "none"],
    ["Engagement level", c.engagement_level],
    ["Expected participants", c.expected_participants ?? "not given"],
    ["Contact", c.contact ? [c.contact.name, c.contact.email].filter(Boolean).join(", ") : "none"],
    ["Reference", c.external_ref || "none"],
    c.outreach ? ["Outreach sent", `${formatTimestamp(c.outreach.sent_at)}${c.outreach.override_reason ? ` (override: ${c.outreach.override_reason})` : ""}`] : null,
    ["Version", String(c.version)],
    ["Updated", formatTimestamp(c.updated_at)],
  ]));
  if (mine && c.status !== "cancelled") {
    main.appendChild(el("div", { class: "buttons" },
      el("a", { class: "button secondary", href: `#/consultations/${id}/edit` }, "Edit"),
      el("button", { type: "button", class: "warning", onclick: async e => {
        if (!confirm(`Cancel "${c.title}"? It is kept for history and its open overlaps are resolved.`)) return;
        e.target.disabled = true;
        try { await api("DELETE", `/v1/consultations/${id}`, { ifMatch: version }); location.reload(); }
        catch (err) { main.appendChild(errorSummary(err)); e.target.disabled = false; }
      } }, "Cancel consultation")));
  }
  // preflight: a cancelled consultation has no outreach to clear
  const preBox = el("section", { "aria-labelledby": "pre-h" }, el("h2", { id: "pre-h" }, "Before outreach"));
  const pre = c.status === "cancelled" ? null : (await api("GET", `/v1/consultations/${id}/preflight`)).data;
  if (!pre) preBox.appendChild(el("p", { class: "notice cancelled" },
    "Cancelled: there is no outreach to send. The consultation is kept for history, and its open overlaps were resolved when it was cancelled."));
  else if (pre.clear) preBox.appendChild(el("p", { class: "notice ok" }, "Clear: no open overlap and no exceeded fatigue."));
  else {
    preBox.appendChild(el("p", { class: "notice warn" }, `Not clear: ${plural(pre.overlaps.length, "open overlap")}, ${plural(pre.fatigue.length, "exceeded fatigue bucket")}.`));
    if (pre.fatigue.length) preBox.appendChild(el("ul", { class: "fatigue-over" }, await Promise.all(pre.fatigue.map(async b =>
      el("li", {}, await bucketWords(b))))));
  }
  if (mine && c.status === "planned") {
    const reason = el("textarea", { id: "override", rows: "2", class: "wide" });
    const msg = el("div", { role: "status" });
    preBox.appendChild(el("div", { class: "outreach" },
      pre.clear ? null : el("div", { class: "field" },
        el("label", { for: "override" }, "Reason to go ahead anyway (required when not clear)"), reason),
      el("button", { type: "button", onclick: async () => {
        try {
          const body = pre.clear ? undefined : { override_reason: reason.value.trim() };
          await api("POST", `/v1/consultations/${id}/outreach`, { body });
          location.reload();
        } catch (err) {
          if (err instanceof ApiError && err.status === 409 && err.problem.type && /not-clear/.test(err.problem.type))
            showErrors(msg, { message: "Not clear: give a reason to go ahead anyway.",
              problem: { errors: [{ field: "override_reason", message: "give a reason to go ahead anyway" }] } },
            { override_reason: "override" }, preBox);
          else showErrors(msg, err, { override_reason: "override" }, preBox);
        }
      } }, "Mark outreach sent"), msg));
  }
  main.appendChild(preBox);
  // overlaps
  const ov = (await api("GET", `/v1/consultations/${id}/overlaps`)).data.items;
  main.appendChild(el("section", { "aria-labelledby": "ov-h" }, el("h2", { id: "ov-h" }, `Overlaps (${ov.length})`),
    ov.length ? el("div", { class: "scroll" }, el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["Level", "With", "Fieldwork", "Why", "Status"].map(h => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ov.map(o => el("tr", {},
        el("td", {}, tag(o.level)),
        el("td", {}, el("a", { href: `#/consultations/${o.other.id}` }, o.other.title), el("div", { class: "meta" }, o.other.organisation.name)),
        el("td", {}, formatRange(o.other.fieldwork.start, o.other.fieldwork.end)),
        el("td", {}, el("a", { href: `#/overlaps/${o.id}` }, o.explanation)),
        el("td", {}, tag(o.status, "status")))))))
      : el("p", {}, "None.")));
  // fatigue of its areas and communities, in its fieldwork months
  const [from, to] = monthsOf(c.fieldwork.start, c.fieldwork.end);
  const fat = el("section", { "aria-labelledby": "fat-h" }, el("h2", { id: "fat-h" }, "Fatigue in its areas"));
  main.appendChild(fat);
  const rows = [];
  for (const area of (c.areas || []).slice(0, 5)) {
    for (const community of (c.communities.length ? c.communities : [""]).slice(0, 3)) {
      const qs = new URLSearchParams({ area, from: `${from}-01`, to: `${to}-01` });
      if (community) qs.set("community", community);
      try {
        const b = (await api("GET", `/v1/fatigue?${qs}`)).data.items;
        rows.push(...b);
      } catch (_) { /* an unknown area has no fatigue */ }
    }
  }
  fat.appendChild(rows.length ? el("div", { class: "scroll" }, el("table", { class: "table" },
    el("caption", {}, "Consultations asking the same people, counted for each month over the days up to its end"),
    el("thead", {}, el("tr", {}, ["Area", "Community", "Month", "Asks", "Limit"].map(h => el("th", { scope: "col" }, h)))),
    el("tbody", {}, await Promise.all(rows.map(async b => el("tr", { class: b.exceeded ? "exceeded" : null },
      el("td", {}, await areaName(b.area)), el("td", {}, await communityName(b.community)), el("td", {}, formatMonth(b.month)),
      el("td", {}, plural(b.count, "consultation"), ` with fieldwork in ${fatigueWindow(b.month, b.window_days)}`,
        b.exceeded ? " (over the limit)" : ""), el("td", {}, `at most ${b.max_asks}`)))))))
    : el("p", {}, "No fatigue figures for its areas."));

}
