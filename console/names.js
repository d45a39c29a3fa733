// names.js - the words a page shows for the register's codes: a vocabulary
// term's label ("general-public" -> "General public", GET /v1/vocabularies/
// {name}) and an area's name with its first parent ("E05010784" -> "Abbey
// (Lincoln)", GET /v1/areas/{code}). Each answer is fetched once per page
// load (a cache of promises by address); a code the register cannot name is
// shown as it is, so a page never fails for want of a word.
import { api } from "./api.js";
import { formatDate, lastDay } from "./dom.js";

const fetched = new Map();  // address -> Promise of its data (null when it failed)

function once(path) {
  if (!fetched.has(path)) fetched.set(path, api("GET", path).then(r => r.data, () => null));
  return fetched.get(path);
}

// A Map from each code of the vocabulary name ("topics", "communities",
// "methods") to its label; empty when the vocabulary cannot be read.
export async function vocabulary(name) {
  const data = await once(`/v1/vocabularies/${encodeURIComponent(name)}`);
  return new Map(((data && data.items) || []).map(t => [t.code, t.label]));
}

// The labels of codes in the vocabulary name, in order (the code itself for
// one the vocabulary does not have).
export async function termLabels(name, codes) {
  const labels = await vocabulary(name);
  return (codes || []).map(c => labels.get(c) || c);
}

// An area as GET /v1/areas/{code} gives it (name, level, parents...), or null
// when it cannot be read.
export function area(code) {
  return once(`/v1/areas/${encodeURIComponent(code)}`);
}

// An area's name, with its first parent in brackets to tell apart places of
// the same name: "Abbey (Lincoln)" (parent: false, the name alone); the code
// when the register has no such area.
export async function areaName(code, { parent = true } = {}) {
  const a = await area(code);
  if (!a || !a.name) return code;
  return parent && a.parents && a.parents[0] ? `${a.name} (${a.parents[0].name})` : a.name;
}

// The names of codes, in order, as areaName.
export function areaNames(codes) {
  return Promise.all((codes || []).map(areaName));
}

// The fatigue window of a month as the rule counts it (README, "Fatigue":
// fieldwork on any day of the window_days days ending on the month's last
// day): ("2027-03", 90) -> "the 90 days up to 31 March 2027".
export function fatigueWindow(month, days) {
  return `the ${days} days up to ${formatDate(`${month}-${String(lastDay(month)).padStart(2, "0")}`)}`;
}
