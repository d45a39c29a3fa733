// pages/import.js - #/import: upload a CSV, see the dry run's rows and
// overlaps as a table, then confirm (API.md section 8).
import { api, ApiError } from "../api.js";
import { clear, el, heading, tag } from "../dom.js";
import { errorSummary } from "../widgets.js";

const MAX_BYTES = 16 * 1024 * 1024;

function resultsTable(d) {
  return el("table", { class: "table" },
    el("caption", {}, `${d.summary.rows} rows: ` + Object.entries(d.summary).filter(([k]) => k !== "rows").map(([k, v]) => `${v} ${k.replace("_", " ")}`).join(", ")),
    el("thead", {}, el("tr", {}, ["Row", "Reference", "Result", "Overlaps", "Problems"].map(h => el("th", { scope: "col" }, h)))),
    el("tbody", {}, d.rows.map(r => el("tr", { class: r.status === "failed" ? "failed" : null },
      el("td", {}, String(r.row)), el("td", {}, r.external_ref || ""),
      el("td", {}, tag(r.status.replace("_", " "), r.status === "failed" ? "high" : "status"),
        r.id ? el("div", {}, el("a", { href: `#/consultations/${r.id}` }, "open")) : null),
      el("td", {}, (r.overlaps || []).length ? el("ul", {}, r.overlaps.map(o => el("li", {}, tag(o.level), " ", o.explanation))) : "none"),
      el("td", {}, [...(r.errors || []).map(e => el("div", { class: "error-message" }, `${e.field}: ${e.message}`)),
        ...(r.warnings || []).map(w => el("div", { class: "meta" }, w))])))));
}

export async function render(main) {
  main.appendChild(heading("Import a spreadsheet"));
  main.appendChild(el("p", {}, "Save your plan as “CSV UTF-8” with one consultation per row, and a header row naming the columns. ",
    el("a", { href: "/v1/consultations/import/template.csv", id: "template" }, "The template"), " lists every column. ",
    "Rows are matched by external_ref: importing the same file again changes nothing."));
  const file = el("input", { type: "file", id: "csv", accept: ".csv,text/csv", "aria-describedby": "csv-hint" });
  const out = el("div", { "aria-live": "polite" });
  let text = null;
  const confirmBtn = el("button", { type: "button", id: "confirm", hidden: true, onclick: () => run(false) }, "Import these rows");
  async function run(dry) {
    clear(out);
    out.appendChild(el("p", {}, dry ? "Checking…" : "Importing…"));
    try {
      const r = await api("POST", `/v1/consultations/import${dry ? "?dry_run=true" : ""}`, { csv: text });
      clear(out);
      out.appendChild(el("h2", { tabindex: "-1" }, dry ? "What the import would do (nothing saved yet)" : "Imported"));
      out.appendChild(resultsTable(r.data));
      confirmBtn.hidden = !dry;
      if (dry) out.appendChild(confirmBtn);
      out.querySelector("h2").focus();
    } catch (err) {
      clear(out);
      out.appendChild(errorSummary(err instanceof ApiError ? err : { message: err.message, problem: {} }));
    }
  }
  main.appendChild(el("form", { onsubmit: async e => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) { clear(out); out.appendChild(errorSummary({ message: "Choose a CSV file first.", problem: {} })); return; }
    if (f.size > MAX_BYTES) { clear(out); out.appendChild(errorSummary({ message: "The file is larger than 16 MiB: split it.", problem: {} })); return; }
    text = await f.text();
    run(true);
  } }, el("div", { class: "field" }, el("label", { for: "csv" }, "CSV file"),
    el("p", { id: "csv-hint", class: "hint" }, "Up to 16 MiB. The next step shows what would happen; nothing is saved until you confirm."), file),
  el("button", { type: "submit" }, "Check the file")));
  main.appendChild(out);
}
