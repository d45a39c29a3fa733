// api.js - the console's one client of the JSON API: the signed-in key in the
// Authorization header (and nowhere else), problem+json errors as ApiError,
// retries on 503 with Retry-After.

const KEY = "consultd.key";
const RETRIES = 3;

export function getKey() { return sessionStorage.getItem(KEY); }
export function setKey(k) { sessionStorage.setItem(KEY, k); }
export function clearKey() { sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  // {field: message} for the problem's errors
  fieldErrors() {
    const out = {};
    for (const e of this.problem.errors || []) out[e.field] = out[e.field] ? `${out[e.field]}; ${e.message}` : e.message;
    return out;
  }
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

// api("GET", "/v1/overlaps", {ifMatch: "3", body: {...}, csv: bytes}) -> {status, data, etag, text}
// csv: a file's bytes as they are (ArrayBuffer or Blob), never text decoded
// in the browser: decoding would replace what is not UTF-8 and the server
// could no longer refuse the file (a string is sent as UTF-8).
export async function api(method, path, opts = {}) {
  const headers = { "Accept": "application/json" };
  const key = getKey();
  if (key) headers["Authorization"] = `Bearer ${key}`;
  let body;
  if (opts.csv !== undefined) { headers["Content-Type"] = "text/csv"; body = opts.csv; }
  else if (opts.body !== undefined) {
    headers["Content-Type"] = method === "PATCH" ? "application/merge-patch+json" : "application/json";
    body = JSON.stringify(opts.body);
  }
  if (opts.ifMatch !== undefined) headers["If-Match"] = `"${opts.ifMatch}"`;
  const r = await send(path, { method, headers, body });
  const text = await r.text();
  const data = parsed(text);
  if (!r.ok) throw new ApiError(r.status, data);
  const etag = (r.headers.get("ETag") || "").replace(/"/g, "");
  return { status: r.status, data, etag, text };
}

// fetch, again after Retry-After (at most 5 s) while the answer is 503.
async function send(path, init) {
  for (let attempt = 0; ; attempt++) {
    const r = await fetch(path, { ...init, cache: "no-store", credentials: "omit" });
    if (r.status !== 503 || attempt >= RETRIES) return r;
    await sleep(Math.min(Number(r.headers.get("Retry-After")) || 1, 5) * 1000);
  }
}

function parsed(text) {
  try { return text ? JSON.parse(text) : null; } catch (_) { return null; }
}

// The file name of a Content-Disposition header (RFC 6266 filename="..."), or null.
function dispositionName(header) {
  const m = /filename="([^"]+)"/.exec(header || "") || /filename=([^;\s]+)/.exec(header || "");
  return m ? m[1].replace(/[\/\\]/g, "_") : null;
}

// Downloads a file the API gives only to a signed-in key (a plain link would
// be sent without it and answered 401): fetched with the key, then saved
// through an object URL under name, else the server's file name, else
// fallbackName. bom puts a UTF-8 byte-order mark first, so that spreadsheets
// read a CSV as UTF-8 (the import accepts it). Returns the name saved under.
export async function download(path, fallbackName, { name: given, bom = false } = {}) {
  const headers = {};
  const key = getKey();
  if (key) headers["Authorization"] = `Bearer ${key}`;
  const r = await send(path, { headers });
  if (!r.ok) throw new ApiError(r.status, parsed(await r.text()));
  const body = await r.blob();
  const blob = bom ? new Blob(["\ufeff", body], { type: body.type }) : body;
  const name = given || dispositionName(r.headers.get("Content-Disposition")) || fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
}

// Every page of a list, up to max items.
export async function listAll(path, max = 1000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const r = await api("GET", `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...r.data.items);
    cursor = r.data.next_cursor;
  } while (cursor && items.length < max);
  return { items, more: Boolean(cursor) };
}
