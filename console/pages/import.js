// pages/import.js - #/import: upload a CSV, see the dry run's rows and
// overlaps as a table, then confirm (API.md section 8).
import { api, download, ApiError } from "../api.js";
import { clear, el, formatRange, heading, tag } from "../dom.js";
import { errorSummary } from "../widgets.js";

const MAX_BYTES = 16 * 1024 * 1024;

// The spreadsheet's columns (the template's header, README "Importing from spreadsheets").
const COLUMNS = ["external_ref", "title", "summary", "topics", "communities", "areas", "fieldwork_start",
  "fieldwork_end", "methods", "engagement_level", "expected_participants", "contact_name", "contact_email",
  "visibility", "id", "organisation", "status", "version"];
// API fields that span two columns.
const SPANS = { fieldwork: "fieldwork_start and fieldwork_end columns", contact: "contact_name and contact_email columns" };

// The column a row's error is about, in the spreadsheet's words: the API names
// the field of its JSON ("areas[0]", "fieldwork.start"), the file has columns
// ("areas", "fieldwork_start"). null when the error is the row's as a whole.
function columnOf(field) {
  if (!field) return null;
  const path = String(field).replace(/\[\d+\]/g, "");
  const col = path.replace(/\./g, "_").toLowerCase();
  if (COLUMNS.includes(col)) return `${col} column`;
  const top = path.split(/[.[]/)[0].toLowerCase();
  if (SPANS[top]) return SPANS[top];
  if (COLUMNS.includes(top)) return `${top} column`;
  return `${field} column`;
}

// A message's own mentions of API fields ("must not be before fieldwork.start"), as columns.
const inColumns = text => String(text || "").replace(/\b[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)+\b/g, path => {
  const col = path.replace(/\[\d+\]/g, "").replace(/\./g, "_");
  return COLUMNS.includes(col) ? col : path;
});

// "areas column: ..." as the table shows a row's error; a row-wide one has no field.
const errorText = e => (e.field ? `${columnOf(e.field)}: ${inColumns(e.message)}` : inColumns(e.message));

// The other consultation of an overlap, in words: its title and organisation.
function otherSide(o) {
  const other = o.other || {};
  const org = other.organisation && other.organisation.name;
  const when = other.fieldwork ? formatRange(other.fieldwork.start, other.fieldwork.end) : "";
  return [other.title ? `With “${other.title}”` : "With another consultation",
    org ? ` (${org}${when ? `, ${when}` : ""})` : when ? ` (${when})` : ""].join("");
}

function overlapItem(o) {
  return el("li", {}, tag(o.level), " ", el("span", { class: "other" }, otherSide(o)), ": ", o.explanation,
    o.id ? [" ", el("a", { href: `#/overlaps/${o.id}` }, "See the overlap")] : null);
}

function rowProblems(r) {
  return [...(r.errors || []).map(e => el("div", { class: "error-message" }, errorText(e),
    e.candidates && e.candidates.length ? el("div", {}, "Which one? Write it as one of: " + e.candidates.map(c =>
      `${c.code} (${c.name}, ${c.level}${c.parent ? ` in ${c.parent.name}` : ""})`).join("; ")) : null)),
  ...(r.warnings || []).map(w => el("div", { class: "meta" }, w))];
}

function resultsTable(d) {
  return el("table", { class: "table" },
    el("caption", {}, `${d.summary.rows} rows: ` + Object.entries(d.summary).filter(([k]) => k !== "rows").map(([k, v]) => `${v} ${k.replace("_", " ")}`).join(", ")),
    el("thead", {}, el("tr", {}, ["Row", "Reference", "Result", "Overlaps", "Problems"].map(h => el("th", { scope: "col" }, h)))),
    el("tbody", {}, d.rows.map(r => el("tr", { class: r.status === "failed" ? "failed" : null },
      el("td", {}, String(r.row)), el("td", {}, r.external_ref || ""),
      el("td", { class: "result" }, tag(r.status.replace("_", " "), r.status === "failed" ? "high" : "status"),
        r.id ? el("div", {}, el("a", { href: `#/consultations/${r.id}` }, "See the consultation")) : null),
      el("td", { class: "overlaps" }, (r.overlaps || []).length ? el("ul", {}, r.overlaps.map(overlapItem)) : "none"),
      el("td", {}, rowProblems(r))))));
}

// The words of a refused file, and what to do about it.
const FIELD_WORDS = { file: "The file", header: "The header row", query: "The address" };

function refusal(err) {
  const all = (err.problem && err.problem.errors) || [];
  const notUtf8 = all.find(e => e.field === "file" && /UTF-8/.test(e.message || ""));
  // the advice is given once, in words: of the technical message, only where the file goes wrong
  const where = notUtf8 && /line (\d+)/.exec(notUtf8.message || "");
  const errors = all.filter(e => e !== notUtf8);
  return el("div", { class: "error-summary", role: "alert", tabindex: "-1", id: "refusal" },
    el("h2", {}, "The file was not imported"),
    notUtf8 ? [
      el("p", {}, "The file is not saved as UTF-8, so letters and signs such as £, – or é would be stored wrongly" +
        (where ? ` (the first is on line ${where[1]})` : "") + ". Nothing was imported."),
      el("p", {}, "What to do: in Excel, choose File, then Save As, and pick “CSV UTF-8 (Comma delimited) (*.csv)” as the type. " +
        "In LibreOffice, save as “Text CSV” and choose “Unicode (UTF-8)” as the character set. Then choose the new file here and check it again.")]
      : el("p", {}, err.message || String(err)),
    errors.length ? el("ul", {}, errors.map(e => el("li", {},
      `${FIELD_WORDS[e.field] || (e.field ? `Column “${e.field}”` : "The file")}: ${e.message}`))) : null);
}

export async function render(main) {
  main.appendChild(heading("Import a spreadsheet"));
  const templateOut = el("div", { "aria-live": "polite" });
  const templateBtn = el("button", { type: "button", class: "link", id: "template", onclick: async () => {
    clear(templateOut);
    try {
      const name = await download("/v1/consultations/import/template.csv", "consultations-template.csv");
      templateOut.appendChild(el("p", { class: "meta" }, `Downloaded ${name}.`));
    } catch (err) {
      templateOut.appendChild(errorSummary(err instanceof ApiError ? err : { message: `The template could not be downloaded: ${err.message}`, problem: {} }));
    }
  } }, "Download the template");
  main.appendChild(el("p", {}, "Save your plan as “CSV UTF-8” with one consultation per row, and a header row naming the columns. ",
    templateBtn, " (a spreadsheet listing every column, with an example row). ",
    "Each row changes the consultation it names, or adds a new one. A spreadsheet downloaded from “Our consultations” " +
    "names each consultation in its id column; in a spreadsheet of your own, give each row your own reference in the " +
    "external_ref column. Importing the same file again changes nothing."));
  main.appendChild(templateOut);
  const file = el("input", { type: "file", id: "csv", accept: ".csv,text/csv", "aria-describedby": "csv-hint" });
  const out = el("div", { "aria-live": "polite" });
  let bytes = null;
  const confirmBtn = el("button", { type: "button", id: "confirm", hidden: true, onclick: () => run(false) }, "Import these rows");
  async function run(dry) {
    clear(out);
    out.appendChild(el("p", {}, dry ? "Checking…" : "Importing…"));
    try {
      // the file's bytes as they are: the server alone decides whether they are UTF-8
      const r = await api("POST", `/v1/consultations/import${dry ? "?dry_run=true" : ""}`, { csv: bytes });
      clear(out);
      out.appendChild(el("h2", { tabindex: "-1" }, dry ? "What the import would do (nothing saved yet)" : "Imported"));
      out.appendChild(resultsTable(r.data));
      confirmBtn.hidden = !dry;
      if (dry) out.appendChild(confirmBtn);
      out.querySelector("h2").focus();
    } catch (err) {
      clear(out);
      if (err instanceof ApiError && err.status === 422) {
        out.appendChild(refusal(err));
        out.querySelector("#refusal").focus();
      } else {
        out.appendChild(errorSummary(err instanceof ApiError ? err : { message: err.message, problem: {} }));
      }
    }
  }
  main.appendChild(el("form", { onsubmit: async e => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) { clear(out); out.appendChild(errorSummary({ message: "Choose a CSV file first.", problem: {} })); return; }
    if (f.size > MAX_BYTES) { clear(out); out.appendChild(errorSummary({ message: "The file is larger than 16 MiB: split it.", problem: {} })); return; }
    bytes = await f.arrayBuffer();
    run(true);
  } }, el("div", { class: "field" }, el("label", { for: "csv" }, "CSV file"),
    el("p", { id: "csv-hint", class: "hint" }, "Up to 16 MiB. The next step shows what would happen; nothing is saved until you confirm."), file),
  el("button", { type: "submit" }, "Check the file")));
  main.appendChild(out);
}
