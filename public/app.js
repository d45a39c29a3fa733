// The residents' page: public consultations in an area, by month.
// Text is only ever inserted as text (textContent, createTextNode), never as HTML.
// Residents are told what to do in plain words: no message of the API, and no
// API address, is ever shown to them.
const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];
const SUGGESTIONS = 10;  // shown at a time; one more is asked for, to know whether there are more

const $ = id => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

// "2027-03-01" as "1 March 2027" (the GOV.UK style), read as a calendar date, not a time.
function longDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return d + " " + months[m - 1] + " " + y;
}

// The containing areas' names, the smallest first: "Lincolnshire, East Midlands".
const LEVELS = ["ward", "district", "county", "region", "country"];
const rank = level => (LEVELS.indexOf(level) + LEVELS.length + 1) % (LEVELS.length + 1);
function within(a) {
  return (a.parents || []).slice().sort((x, y) => rank(x.level) - rank(y.level)).map(p => p.name).join(", ");
}

// An area as a person tells it apart from others of the same name:
// "Lincoln — district in Lincolnshire, East Midlands", "Lincoln — ward in Breckland".
function describe(a) {
  const parents = within(a);
  return a.name + " — " + a.level + (parents ? " in " + parents : "");
}

// A place of a consultation (public JSON "places"): "Abbey (Lincoln)".
function placeName(p) {
  return p.parent && p.level === "ward" ? p.name + " (" + p.parent + ")" : p.name;
}

const GSS = /^[EWSNK]\d{8}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;  // a consultation's id
// A full UK postcode ("LN2 5AB") or its first half ("LN2"): the register has no postcodes.
const POSTCODE = /^[A-Z]{1,2}\d[A-Z\d]?(\s*\d[A-Z]{2})?$/i;

function say(text) {
  $("status").textContent = text;
}

async function searchAreas(q, limit) {
  const r = await fetch("areas?q=" + encodeURIComponent(q) + "&limit=" + limit, { headers: { Accept: "application/json" } });
  if (r.status === 429) throw new Error("busy");
  if (!r.ok) return [];
  return (await r.json()).items;
}

function render(items) {
  const root = $("months");
  root.replaceChildren();
  const groups = new Map();
  for (const c of items) {
    const key = c.fieldwork.start.slice(0, 7);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  for (const [key, list] of [...groups.entries()].sort()) {
    const [y, m] = key.split("-").map(Number);
    root.appendChild(el("h3", months[m - 1] + " " + y));
    const ul = el("ul", undefined, "consultations");
    for (const c of list) {
      const li = el("li");
      li.id = "c-" + c.id;
      li.appendChild(el("strong", c.title));
      li.appendChild(el("span", c.organisation.name + ", " + longDate(c.fieldwork.start) + " to " +
        longDate(c.fieldwork.end) + (c.status === "cancelled" ? " (cancelled)" : ""), "meta"));
      const places = c.places || c.areas.map(code => ({ code, name: code }));
      if (places.length) li.appendChild(el("span", "Where: " + places.map(placeName).join(", "), "where"));
      if (c.summary) li.appendChild(el("p", c.summary));
      const labels = (c.topic_labels || c.topics).concat(c.community_labels || c.communities);
      for (const t of labels) li.appendChild(el("span", t, "tag"));
      ul.appendChild(li);
    }
    root.appendChild(ul);
  }
}

// Lists the consultations the query selects; what says what they are for ("in Lincoln").
async function show(qs, what) {
  hideChoices();
  say("Loading…");
  try {
    const r = await fetch("consultations.json" + qs, { headers: { Accept: "application/json" } });
    if (!r.ok) {
      render([]);
      $("calendar").hidden = true;
      say("The consultations could not be shown for this area. Try the name of your town, ward or council.");
      return;
    }
    const body = await r.json();
    render(body);
    say(body.length === 0 ? "No public consultations are planned " + (what || "yet") + "."
      : body.length + (body.length === 1 ? " consultation" : " consultations") + (what ? " " + what : ""));
    $("calendar-link").href = "consultations.ics" + qs;
    $("calendar").hidden = false;
  } catch (e) {
    say("The consultations could not be loaded; try again later.");
  }
}

// The place the resident chose (from the suggestions, the list of places of one name,
// or the address), while the box still shows its name: sending the form then keeps
// that place rather than looking its name up again. Every way of choosing goes
// through showArea, and typing anything else forgets the choice.
let chosen = null;

function showArea(a) {
  $("area").value = a.name;
  chosen = a;
  history.replaceState(null, "", "?area=" + encodeURIComponent(a.code));
  return show("?area=" + encodeURIComponent(a.code), "in " + describe(a));
}

// ---- choosing among several places ----------------------------------------------

function hideChoices() {
  $("choices").hidden = true;
  $("choice-list").replaceChildren();
}

function offerChoices(heading, areas) {
  $("choices-heading").textContent = heading;
  const list = $("choice-list");
  list.replaceChildren();
  for (const a of areas) {
    const li = el("li");
    const link = el("a", describe(a));
    link.href = "?area=" + encodeURIComponent(a.code);
    link.addEventListener("click", ev => { ev.preventDefault(); showArea(a); });
    li.appendChild(link);
    list.appendChild(li);
  }
  $("choices").hidden = false;
  render([]);
  $("calendar").hidden = true;
  $("choices-heading").focus();
}

// What the resident typed, resolved: a code, one place, or a choice of several.
async function find(text) {
  hideChoices();
  if (!text) {
    history.replaceState(null, "", "./");
    return show("", "");
  }
  if (POSTCODE.test(text) && !GSS.test(text)) {
    render([]);
    $("calendar").hidden = true;
    say("Postcodes are not known here yet. Type the name of your town, ward or council instead, for example Lincoln.");
    return;
  }
  let found;
  try {
    found = await searchAreas(text, 20);
  } catch (e) {
    say("Too many searches at once; wait a few seconds and try again.");
    return;
  }
  const norm = s => s.toLowerCase().replace(/[^a-z0-9\u00c0-\u024f]+/g, " ").trim();
  const exact = found.filter(a => norm(a.name) === norm(text) || a.code.toUpperCase() === text.toUpperCase() ||
    (a.name_cy && norm(a.name_cy) === norm(text)));
  if (exact.length === 1 || (exact.length === 0 && found.length === 1)) return showArea(exact[0] || found[0]);
  if (exact.length > 1) {
    say("");
    return offerChoices("There are " + exact.length + " places called " + exact[0].name + ". Which one do you mean?", exact);
  }
  if (found.length > 1) {
    say("");
    return offerChoices("No place is called exactly “" + text + "”. Did you mean one of these?", found.slice(0, SUGGESTIONS));
  }
  render([]);
  $("calendar").hidden = true;
  say("No town, ward or council called “" + text + "” is known. Check the spelling, or type the name of your council.");
}

// ---- suggestions as you type ------------------------------------------------------

const input = $("area"), options = $("area-options"), more = $("area-more");
let suggestions = [], active = -1, timer = null, seq = 0;

function closeSuggestions() {
  options.hidden = true;
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
  active = -1;
}

function drawSuggestions() {
  options.replaceChildren();
  suggestions.forEach((a, i) => {
    const li = el("li", undefined, i === active ? "active" : undefined);
    li.id = "area-option-" + i;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", i === active ? "true" : "false");
    li.appendChild(document.createTextNode(a.name));
    const parents = within(a);
    li.appendChild(el("span", a.level + (parents ? " in " + parents : ""), "where"));
    li.addEventListener("mousedown", ev => { ev.preventDefault(); pick(a); });
    options.appendChild(li);
  });
  options.hidden = suggestions.length === 0;
  input.setAttribute("aria-expanded", suggestions.length ? "true" : "false");
  if (active >= 0) input.setAttribute("aria-activedescendant", "area-option-" + active);
  else input.removeAttribute("aria-activedescendant");
}

// Closes the suggestions for good: a search still waiting or on its way must
// not open the list again (after a choice, Escape or the button).
function dismissSuggestions() {
  clearTimeout(timer);
  seq++;
  closeSuggestions();
  more.hidden = true;
}

function pick(a) {
  dismissSuggestions();
  showArea(a);
}

input.addEventListener("input", () => {
  clearTimeout(timer);
  if (chosen && input.value.trim() !== chosen.name) chosen = null;
  const q = input.value.trim();
  more.hidden = true;
  if (q.length < 2 || POSTCODE.test(q)) { suggestions = []; drawSuggestions(); return; }
  timer = setTimeout(async () => {
    const mine = ++seq;
    let found = [];
    try { found = await searchAreas(q, SUGGESTIONS + 1); } catch (e) { found = []; }
    if (mine !== seq || document.activeElement !== input) return; // a newer search, or the box was left
    suggestions = found.slice(0, SUGGESTIONS);
    active = -1;
    drawSuggestions();
    more.hidden = found.length <= SUGGESTIONS;
    more.textContent = found.length > SUGGESTIONS
      ? "More places match “" + q + "”: type more of the name to narrow the list, or add the council in brackets, "
        + "for example “Abbey (Lincoln)”." : "";
  }, 200);
});

input.addEventListener("keydown", ev => {
  if (ev.key === "ArrowDown" && suggestions.length) {
    active = (active + 1) % suggestions.length; drawSuggestions(); ev.preventDefault();
  } else if (ev.key === "ArrowUp" && suggestions.length) {
    active = (active - 1 + suggestions.length) % suggestions.length; drawSuggestions(); ev.preventDefault();
  } else if (ev.key === "Enter" && active >= 0) {
    ev.preventDefault(); pick(suggestions[active]);
  } else if (ev.key === "Escape") {
    dismissSuggestions();
  }
});
input.addEventListener("blur", () => setTimeout(closeSuggestions, 150));

$("search").addEventListener("submit", ev => {
  ev.preventDefault();
  dismissSuggestions();
  const text = input.value.trim();
  if (chosen && text === chosen.name) showArea(chosen);
  else find(text);
});

// ---- the address: ?area= (a code or a name) or ?consultation=<id> (the calendar's links) ----

async function start() {
  const params = new URLSearchParams(location.search);
  const id = params.get("consultation");
  if (id) {
    if (UUID.test(id)) await show("?id=" + encodeURIComponent(id), "");
    const shown = $("months").querySelector("li");
    say(shown ? "Here is the consultation you asked for. Search for your area to see the others."
      : "This consultation is not published for residents: it is shared only with the organisations that plan " +
        "consultations, or the link is wrong. Search for your area to see the consultations that are public.");
    $("calendar").hidden = true;
    return;
  }
  const area = (params.get("area") || "").trim();
  input.value = area;
  if (GSS.test(area)) {
    let a = null;
    try { a = (await searchAreas(area, 1)).find(x => x.code === area.toUpperCase()) || null; } catch (e) { a = null; }
    if (a) return showArea(a);
    return show("?area=" + encodeURIComponent(area.toUpperCase()), "");
  }
  return find(area);
}

start();
