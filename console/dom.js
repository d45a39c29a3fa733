// dom.js - building the page from data. Text is only ever inserted as text
// (text nodes, textContent, attribute values), never as HTML.

// el("a", {href: "#/x", class: "button", onclick: fn}, "text", child, [more])
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "for") node.htmlFor = v;
    else if (k === "value") node.value = v;
    else if (k === "checked" || k === "selected" || k === "disabled") node[k] = Boolean(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];

// "2027-03-01" -> "1 March 2027" (GOV.UK style)
export function formatDate(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.split("-").map(Number);
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

// ("2027-11", 3) -> "2028-02": a month n months after ym (n may be negative)
export function addMonths(ym, n) {
  const [y, m] = ym.split("-").map(Number);
  const t = y * 12 + m - 1 + n;
  return `${Math.floor(t / 12)}-${String(t % 12 + 1).padStart(2, "0")}`;
}

// "2027-02" -> 28: the last day of the month
export function lastDay(ym) {
  const [y, m] = ym.split("-").map(Number);
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

// "2027-03" -> "March 2027"
export function formatMonth(ym) {
  const [y, m] = ym.split("-").map(Number);
  return `${MONTHS[m - 1]} ${y}`;
}

// A fieldwork window: "1 to 30 March 2027", "1 March to 4 April 2027", "1 December 2027 to 4 January 2028"
export function formatRange(start, end) {
  if (!start || !end) return "";
  const [ys, ms, ds] = start.split("-").map(Number);
  const [ye, me, de] = end.split("-").map(Number);
  if (start === end) return formatDate(start);
  if (ys !== ye) return `${formatDate(start)} to ${formatDate(end)}`;
  if (ms !== me) return `${ds} ${MONTHS[ms - 1]} to ${de} ${MONTHS[me - 1]} ${ye}`;
  return `${ds} to ${de} ${MONTHS[me - 1]} ${ye}`;
}

const stampFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
});

// An RFC 3339 timestamp in Europe/London: "1 March 2027, 09:00"
export function formatTimestamp(ts) {
  return ts ? stampFormat.format(new Date(ts)) : "";
}

// Query parameters of the current address ("#/overlaps?area=X") as an object.
export function hashQuery() {
  const q = location.hash.split("?")[1] || "";
  return Object.fromEntries(new URLSearchParams(q));
}

// "#/overlaps" + {area: "X", level: ""} -> "#/overlaps?area=X"
export function hashWith(path, params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export function heading(text) {
  return el("h1", { tabindex: "-1" }, text);
}

// A GOV.UK-style summary list: [[label, value], ...]
export function summaryList(rows) {
  return el("dl", { class: "summary" },
    rows.filter(r => r).map(([k, v]) => el("div", { class: "summary-row" }, el("dt", {}, k), el("dd", {}, v))));
}

// A count with its noun in the right number: plural(1, "open overlap") ->
// "1 open overlap", plural(3, "open overlap") -> "3 open overlaps";
// many is the plural when adding "s" is wrong ("3 analyses"). n may be a
// string ("200+"), which is read as many.
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 || n === "1" ? one : many}`;
}

export function tag(text, kind) {
  return el("strong", { class: `tag tag-${kind || text}` }, text);
}
