// The residents' page: public consultations in an area, by month.
// Text is only ever inserted as text (textContent, createTextNode), never as HTML.
const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];

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

function render(items) {
  const root = document.getElementById("months");
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
      li.appendChild(el("strong", c.title));
      li.appendChild(el("span", c.organisation.name + ", " + longDate(c.fieldwork.start) + " to " +
        longDate(c.fieldwork.end) + (c.status === "cancelled" ? " (cancelled)" : ""), "meta"));
      if (c.summary) li.appendChild(el("p", c.summary));
      for (const t of c.topics.concat(c.communities)) li.appendChild(el("span", t, "tag"));
      ul.appendChild(li);
    }
    root.appendChild(ul);
  }
}

async function show(area) {
  const status = document.getElementById("status");
  const qs = area ? "?area=" + encodeURIComponent(area) : "";
  status.textContent = "Loading…";
  try {
    const r = await fetch("consultations.json" + qs, { headers: { Accept: "application/json" } });
    const body = await r.json();
    if (!r.ok) {
      const why = body.errors && body.errors.length ? body.errors[0].message : body.detail;
      status.textContent = "Cannot show consultations for this area: " + why;
      render([]);
      document.getElementById("calendar").hidden = true;
      return;
    }
    render(body);
    status.textContent = body.length === 0 ? "No public consultations are planned here yet."
      : body.length + (body.length === 1 ? " consultation" : " consultations") + (area ? " in " + area : "");
    const link = document.getElementById("calendar-link");
    link.href = "consultations.ics" + qs;
    document.getElementById("calendar").hidden = false;
  } catch (e) {
    status.textContent = "The consultations could not be loaded; try again later.";
  }
}

document.getElementById("search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const area = document.getElementById("area").value.trim();
  history.replaceState(null, "", area ? "?area=" + encodeURIComponent(area) : "./");
  show(area);
});

const initial = new URLSearchParams(location.search).get("area") || "";
document.getElementById("area").value = initial;
show(initial);
