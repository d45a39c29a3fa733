"""Dry runs, CSV import from spreadsheets, the CSV export and the import template."""
from harness import test, eq, check, problem
from common import body, create

CAMDEN = "E09000007"


def counts(env, org):
    """(consultations of org, alert events, overlap pairs): what a dry run must leave alone."""
    return (env.psql("SELECT count(*) FROM consultations WHERE organisation_id = '%s'" % org),
            env.psql("SELECT count(*) FROM alert_events WHERE type LIKE 'overlap.%'"),
            env.psql("SELECT count(*) FROM overlap_pairs"))


@test
def dry_run_post_answers_what_would_be_stored_and_stores_nothing(env):
    d = env.shared()
    org, token = env.new_org("Dry Run Council")
    when = {"start": "2041-03-01", "end": "2041-03-31"}
    stored = create(d, token, title="Dry run carers survey", fieldwork=when, external_ref=None)
    before = counts(env, org)
    r = d.request("POST", "/v1/consultations?dry_run=true",
                  body(title="Dry run carers survey, second wave", fieldwork=when, areas=["E09000007", "E99999998"]),
                  token=token)
    eq(r.status, 200, "a dry run answers 200, not 201")
    check(r.header("location") is None, "no Location: nothing was created")
    eq(r.json["id"], None)
    eq(r.json["title"], "Dry run carers survey, second wave")
    eq(r.json["topics"], ["adult-social-care", "carers-support"])
    check(any("E99999998" in w for w in r.json["warnings"]), r.json["warnings"])
    hits = [o for o in r.json["overlaps"] if o["other"]["id"] == stored["id"]]
    eq(len(hits), 1, "the overlap with the stored consultation is reported")
    eq(hits[0]["id"], None)
    check(hits[0]["score"] > 0 and hits[0]["level"] in ("low", "medium", "high"), hits[0])
    eq(counts(env, org), before, "nothing stored, no alert event")
    # The same body for real finds the same overlap.
    w = d.request("POST", "/v1/consultations",
                  body(title="Dry run carers survey, second wave", fieldwork=when, areas=["E09000007"]), token=token)
    eq(w.status, 201)
    eq([o["other"]["id"] for o in w.json["overlaps"]], [stored["id"]])


@test
def dry_run_refuses_what_the_write_refuses(env):
    d = env.shared()
    _, token = env.new_org("Dry Run Refusals Council")
    r = d.request("POST", "/v1/consultations?dry_run=true",
                  body(fieldwork={"start": "2041-03-10", "end": "2041-03-01"}, areas=["Narnia?"]), token=token)
    problem(r, 422, "fieldwork.end", "areas[0]")
    problem(d.request("POST", "/v1/consultations?dry_run=maybe", body(), token=token), 400, "dry_run")
    ref = "DRY-REF-1"
    create(d, token, external_ref=ref)
    r = d.request("POST", "/v1/consultations?dry_run=true", body(external_ref=ref), token=token)
    eq(r.status, 409)
    check(r.json.get("existing_id"), r.json)


@test
def dry_run_patch_changes_no_version(env):
    d = env.shared()
    org, token = env.new_org("Dry Run Patch Council")
    c = create(d, token, title="Library opening hours review", external_ref=None,
               fieldwork={"start": "2041-06-01", "end": "2041-06-30"})
    before = counts(env, org)
    path = "/v1/consultations/" + c["id"]
    r = d.request("PATCH", path + "?dry_run=true", {"title": "Library opening hours, revised"}, token=token,
                  headers={"If-Match": '"1"'})
    eq(r.status, 200)
    eq(r.json["id"], c["id"])
    eq(r.json["title"], "Library opening hours, revised")
    eq(r.json["version"], 2, "the version it would have")
    g = d.request("GET", path, token=token)
    eq(g.json["title"], "Library opening hours review")
    eq(g.header("etag"), '"1"', "no version changes")
    eq(counts(env, org), before)
    problem(d.request("PATCH", path + "?dry_run=true", {"title": "x"}, token=token, headers={"If-Match": '"7"'}),
            412)
    problem(d.request("PATCH", path + "?dry_run=true", {"fieldwork": {"start": "nope"}}, token=token,
                      headers={"If-Match": '"1"'}), 422, "fieldwork.start")


# ---- CSV import -------------------------------------------------------------------------

HEADER = "external_ref,title,summary,topics,communities,areas,fieldwork_start,fieldwork_end,methods,engagement_level," \
         "expected_participants,contact_name,contact_email\r\n"


def imp(d, token, text, dry=False, ctype="text/csv"):
    raw = text if isinstance(text, bytes) else text.encode()
    return d.request("POST", "/v1/consultations/import" + ("?dry_run=true" if dry else ""), raw=raw, token=token,
                     ctype=ctype, timeout=120)


def by_row(r):
    return {x["row"]: x for x in r.json["rows"]}


def stored(env, org):
    """external_ref -> (version, title) of org's consultations."""
    out = {}
    for line in env.psql("SELECT external_ref, version, title FROM consultations WHERE organisation_id = '%s'"
                         % org).splitlines():
        ref, v, title = line.split("|", 2)
        out[ref] = (int(v), title)
    return out


@test
def import_creates_updates_and_reports_every_bad_field(env):
    d = env.shared()
    org, token = env.new_org("Import Counts Council")
    f = HEADER + (
        "IMP-1,Library opening hours,,libraries,,E09000007,2042-03-01,2042-03-31,survey,consult,100,Team,t@example.org\r\n"
        "IMP-2,Parks strategy,,parks,,E09000007,2042-05-01,2042-05-31,,,,,\r\n"
        "IMP-3,Bad row,,,,Narnia?,31/02/2042,2042-06-01,,loud,lots,,not-an-email\r\n")
    r = imp(d, token, f)
    eq(r.status, 200, r.body)
    eq(r.json["dry_run"], False)
    eq(r.json["summary"], {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "failed": 1})
    rows = by_row(r)
    eq(sorted(rows), [2, 3, 4], "rows numbered as a spreadsheet shows them (header = 1)")
    eq(rows[2]["status"], "created")
    eq(rows[2]["external_ref"], "IMP-1")
    check(len(rows[2]["id"]) == 36)
    eq(rows[4]["status"], "failed")
    eq(rows[4]["id"], None)
    fields = sorted(e["field"] for e in rows[4]["errors"])
    eq(fields, ["areas[0]", "contact_email", "engagement_level", "expected_participants", "fieldwork_start"],
       "every bad field at once, each named by its column: the cells' and the API's own")
    date = [e for e in rows[4]["errors"] if e["field"] == "fieldwork_start"][0]["message"]
    eq(date, "31/02/2042 is not a real date: February 2042 has 28 days")
    # Fix the cells; the API's own validation still names the rest.
    f2 = f.replace("31/02/2042", "01/06/2042").replace(",lots,", ",5,")
    r = imp(d, token, f2)
    eq(r.json["summary"], {"rows": 3, "created": 0, "updated": 0, "unchanged": 2, "failed": 1})
    fields = sorted(e["field"] for e in by_row(r)[4]["errors"])
    eq(fields, ["areas[0]", "contact_email", "engagement_level"])
    g = d.request("GET", "/v1/consultations/" + rows[2]["id"], token=token).json
    eq((g["title"], g["topics"], g["methods"], g["expected_participants"], g["contact"]),
       ("Library opening hours", ["libraries"], ["survey"], 100, {"name": "Team", "email": "t@example.org"}))
    # One edited cell: that row updated, the other unchanged.
    events = env.psql("SELECT count(*) FROM alert_events WHERE type LIKE 'overlap.%'")
    r = imp(d, token, f2.replace("Parks strategy", "Parks and open spaces strategy"))
    eq(r.json["summary"], {"rows": 3, "created": 0, "updated": 1, "unchanged": 1, "failed": 1})
    eq(by_row(r)[3]["status"], "updated")
    s = stored(env, org)
    eq(s["IMP-1"], (1, "Library opening hours"))
    eq(s["IMP-2"], (2, "Parks and open spaces strategy"))
    # Re-importing the same file changes nothing: no version, no event.
    r = imp(d, token, f2.replace("Parks strategy", "Parks and open spaces strategy"))
    eq(r.json["summary"], {"rows": 3, "created": 0, "updated": 0, "unchanged": 2, "failed": 1})
    eq(stored(env, org), s)
    eq(env.psql("SELECT count(*) FROM alert_events WHERE type LIKE 'overlap.%'"), events)


@test
def import_reads_quotes_line_breaks_bom_crlf_and_day_first_dates(env):
    d = env.shared()
    org, token = env.new_org("Import Quoting Council")
    summary = 'Line one, with a comma.\nLine two says "hello";\nline three.'
    f = "\ufeff" + HEADER.replace("\r\n", "\n") + (
        '"Q-1","Carers, ""young"" and old",' + '"' + summary.replace('"', '""') + '"'
        ',"adult-social-care; Carers support ;",older-people;carers,E09000007,1/3/2043,15/04/2043,'
        'survey;focus-group,Involve,"1,200",,\n'
        ',,,,,,,,,,,,\n'
        'Q-2,Second row after a multi-line one and an empty one,,libraries,,E09000007,2043-05-01,2043-05-02,,,,,\n'
        ',,,,,,,,,,,,\n')
    f = f.replace("\n", "\r\n")  # CRLF everywhere, also inside the quoted field
    r = imp(d, token, f)
    eq(r.status, 200, r.body)
    eq(r.json["summary"]["created"], 2, r.json)
    rows = by_row(r)
    eq(sorted(rows), [2, 4], "a record with line breaks is one spreadsheet row; empty rows are skipped")
    g = d.request("GET", "/v1/consultations/" + rows[2]["id"], token=token).json
    eq(g["title"], 'Carers, "young" and old')
    eq(g["summary"], summary.replace("\n", "\r\n"), "line breaks inside a field kept as written")
    eq(g["topics"], ["adult-social-care", "carers-support"])
    eq(g["communities"], ["older-people", "carers"])
    eq(g["fieldwork"], {"start": "2043-03-01", "end": "2043-04-15"}, "day-first dates")
    eq(g["engagement_level"], "involve")
    eq(g["expected_participants"], 1200)
    eq(g["external_ref"], "Q-1")


@test
def import_row_with_a_missing_day_and_an_ambiguous_area_reports_both(env):
    d = env.shared()
    org, token = env.new_org("Import Two Mistakes Council")
    f = HEADER + ("TWO-1,Rent setting,,,,Abbey,31/02/2027,2027-03-20,,,,,\r\n"
                  "TWO-2,Bins,,,,Abbey,2027-03-01,2027-03-20,,,,,\r\n")
    for dry in (True, False):
        r = imp(d, token, f, dry=dry)
        eq(r.status, 200, r.body)
        eq(r.json["summary"]["failed"], 2, r.json)
        row = by_row(r)[2]
        eq([e["field"] for e in row["errors"]], ["fieldwork_start", "areas[0]"], row)
        eq(row["errors"][0]["message"], "31/02/2027 is not a real date: February 2027 has 28 days")
        check(len(row["errors"][1].get("candidates", [])) > 1, "the area's candidates are listed: %r" % row)
        eq((row["overlaps"], row["id"]), ([], None), "a failed row records no overlap")
        eq([e["field"] for e in by_row(r)[3]["errors"]], ["areas[0]"], "a row whose cells are right, as before")
    # an existing consultation's row: its mistakes are all named too, and nothing changes
    good = "TWO-3,Rent setting,,,,E09000007,2027-03-01,2027-03-20,,,,,\r\n"
    created = by_row(imp(d, token, HEADER + good))[2]
    eq(created["status"], "created", created)
    r = imp(d, token, HEADER + good.replace("E09000007,2027-03-01", "Abbey,31/02/2027"))
    row = by_row(r)[2]
    eq((row["status"], row["id"]), ("failed", created["id"]))
    eq([e["field"] for e in row["errors"]], ["fieldwork_start", "areas[0]"], row)
    eq(stored(env, org), {"TWO-3": (1, "Rent setting")}, "nothing written")
    # a cell refused alone still fails its row, also when the rest would change nothing
    r = imp(d, token, HEADER + good.replace(",,,,,\r\n", ",,,lots,,\r\n"))
    row = by_row(r)[2]
    eq((row["status"], [e["field"] for e in row["errors"]]), ("failed", ["expected_participants"]), row)


@test
def api_says_a_missing_day_does_not_exist(env):
    d = env.shared()
    _, token = env.new_org("Missing Day Council")
    r = d.request("POST", "/v1/consultations", body(fieldwork={"start": "2027-02-31", "end": "2027-02-30"}),
                  token=token)
    problem(r, 422, "fieldwork.start", "fieldwork.end")
    msgs = {e["field"]: e["message"] for e in r.json["errors"]}
    eq(msgs["fieldwork.start"], "2027-02-31 is not a real date: February 2027 has 28 days", r.json)
    eq(msgs["fieldwork.end"], "2027-02-30 is not a real date: February 2027 has 28 days", r.json)


def refused(r, *fields):
    problem(r, 422, *fields)
    return r.json


@test
def import_refuses_bad_files_whole(env):
    d = env.shared()
    org, token = env.new_org("Import Refusals Council")
    row = "R-1,Title,,,,E09000007,2044-01-01,2044-01-31,,,,,\r\n"
    p = refused(imp(d, token, HEADER.encode() + row.encode() + b"R-2,Caf\xe9 consultation,,,,E09000007,"
                    b"2044-01-01,2044-01-31,,,,,\r\n"), "file")
    msg = p["errors"][0]["message"]
    check("line 3" in msg and "byte 8" in msg and "CSV UTF-8" in msg, msg)
    p = refused(imp(d, token, HEADER.replace(",", ";") + row.replace(",", ";")), "header")
    check("semicolons" in p["errors"][0]["message"], p)
    p = refused(imp(d, token, HEADER.replace(",", "\t") + row.replace(",", "\t")), "header")
    check("tabs" in p["errors"][0]["message"], p)
    p = refused(imp(d, token, HEADER.replace("summary", "sumary").replace("topics", "Title") + row),
                "sumary", "Title")
    check("repeated" in [e for e in p["errors"] if e["field"] == "Title"][0]["message"], p)
    refused(imp(d, token, HEADER.replace("external_ref,", "") + row.split(",", 1)[1]), "external_ref")
    refused(imp(d, token, ""), "file")
    refused(imp(d, token, "\ufeff\r\n\r\n"), "file")
    p = refused(imp(d, token, HEADER), "file")
    check("no rows" in p["errors"][0]["message"], p)
    big = HEADER + row * (16 * 1024 * 1024 // len(row) + 1)
    r = imp(d, token, big)
    problem(r, 413)
    problem(imp(d, token, HEADER + row, ctype="application/json"), 415)
    eq(env.psql("SELECT count(*) FROM consultations WHERE organisation_id = '%s'" % org), "0", "nothing stored")


@test
def import_answers_a_semicolon_export_from_another_platform_precisely(env):
    d = env.shared()
    org, token = env.new_org("Import Decidim Council")
    import os
    with open(os.path.join(env.data_dir, "cases", "c15_decidim_export_semicolon_multiline.csv"), "rb") as fh:
        raw = fh.read()
    p = refused(imp(d, token, raw), "header")
    check("semicolons" in p["errors"][0]["message"] and "CSV UTF-8" in p["errors"][0]["message"], p)
    eq(env.psql("SELECT count(*) FROM consultations WHERE organisation_id = '%s'" % org), "0")
    # Re-saved as comma-separated, it is still not a consultation plan: every unknown column is named.
    import csv, io
    rows = list(csv.reader(io.StringIO(raw.decode()), delimiter=";"))
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    p = refused(imp(d, token, out.getvalue()), "category/id", "body/en", "external_ref")
    check("required" in [e for e in p["errors"] if e["field"] == "external_ref"][0]["message"], p)


@test
def import_rows_overlap_each_other_and_the_register_once(env):
    d = env.shared()
    other_org, other = env.new_org("Import Overlap Neighbour")
    org, token = env.new_org("Import Overlap Council")
    when = {"start": "2045-03-01", "end": "2045-03-31"}
    a = create(d, other, title="Carers survey in Camden", fieldwork=when, external_ref=None)
    f = HEADER + "".join(
        "OV-%d,Carers support survey %d,,adult-social-care,carers,E09000007,2045-03-0%d,2045-03-2%d,,,,,\r\n"
        % (i, i, i, i) for i in (1, 2, 3))
    events = int(env.psql("SELECT count(*) FROM alert_events WHERE type LIKE 'overlap.%'"))
    r = imp(d, token, f)
    eq(r.json["summary"]["created"], 3, r.json)
    rows = by_row(r)
    ids = [rows[n]["id"] for n in (2, 3, 4)]
    # Every row meets the stored consultation; each pair of rows is reported by the row written second
    # (two rows are in flight at once, so which one that is may vary), never by both, never by neither.
    reported = []
    for n, me in zip((2, 3, 4), ids):
        others = [o["other"]["id"] for o in rows[n]["overlaps"]]
        check(a["id"] in others, "row %d meets the stored consultation" % n)
        reported += [tuple(sorted((me, o))) for o in others if o in ids]
    eq(sorted(reported), sorted([tuple(sorted((ids[i], ids[k]))) for i in range(3) for k in range(i + 1, 3)]))
    all_ids = "','".join(ids + [a["id"]])
    eq(env.psql("SELECT count(*) FROM overlap_pairs WHERE consultation_a IN ('%s') AND consultation_b IN ('%s')"
                % (all_ids, all_ids)), "6", "each pair once")
    check(int(env.psql("SELECT count(*) FROM alert_events WHERE type LIKE 'overlap.%'")) >= events + 6, "alerts as for POST")


@test
def import_dry_run_writes_nothing(env):
    d = env.shared()
    org, token = env.new_org("Import Dry Run Council")
    f = HEADER + "DR-1,Library opening hours,,libraries,,E09000007,2046-03-01,2046-03-31,,,,,\r\n"
    eq(imp(d, token, f).json["summary"]["created"], 1)
    f2 = f + ("DR-2,Parks strategy,,parks,,E09000007,2046-05-01,2046-05-31,,,,,\r\n"
              "DR-3,Bad dates,,parks,,E09000007,2046-05-31,2046-05-01,,,,,\r\n")
    before = counts(env, org)
    r = imp(d, token, f2, dry=True)
    eq(r.json["dry_run"], True)
    eq(r.json["summary"], {"rows": 3, "would_create": 1, "would_update": 0, "unchanged": 1, "failed": 1})
    eq([x["status"] for x in r.json["rows"]], ["unchanged", "would_create", "failed"])
    eq(r.json["rows"][1]["id"], None)
    eq(r.json["rows"][2]["errors"][0]["field"], "fieldwork_end")
    r = imp(d, token, f2.replace("Library opening hours", "Library hours"), dry=True)
    eq(r.json["rows"][0]["status"], "would_update")
    eq(counts(env, org), before, "nothing stored, no event")
    eq(stored(env, org), {"DR-1": (1, "Library opening hours")})


def export(d, token, query=""):
    r = d.request("GET", "/v1/consultations.csv" + query, token=token)
    eq(r.status, 200, r.body)
    check(r.header("content-type").startswith("text/csv"), r.header("content-type"))
    return r.body.decode()


@test
def export_edit_one_cell_import_changes_only_that_row(env):
    import csv, io
    d = env.shared()
    org, token = env.new_org("Import Round Trip Council")
    f = HEADER + (
        "RT-1,\"Library hours, evenings\",\"Two\nlines\",libraries;Carers support,carers,E09000007,2047-03-01,"
        "2047-03-31,survey,involve,40,Team,t@example.org\r\n"
        "RT-2,Parks strategy,,,,E09000007,2047-05-01,2047-05-31,,,,,\r\n"     # inferred terms
        "RT-3,=HYPERLINK(\"http://evil\"),-5 reasons,,,E09000007,2047-06-01,2047-06-30,,,,,\r\n")
    eq(imp(d, token, f).json["summary"]["created"], 3)
    text = export(d, token, "?organisation=" + org)
    rows = list(csv.reader(io.StringIO(text)))
    eq(rows[0][-4:], ["id", "organisation", "status", "version"])
    eq(len(rows), 4)
    byref = {r[0]: r for r in rows[1:]}
    eq(byref["RT-3"][1], "'=HYPERLINK(\"http://evil\")", "formula neutralised")
    eq(byref["RT-3"][2], "'-5 reasons")
    check(byref["RT-2"][3] != "", "inferred topics are exported")
    # Imported back untouched: nothing changes.
    r = imp(d, token, text)
    eq(r.json["summary"], {"rows": 3, "created": 0, "updated": 0, "unchanged": 3, "failed": 0}, r.json)
    # One cell edited in a spreadsheet: only that row changes.
    byref["RT-1"][10] = "45"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([rows[0]] + list(byref.values()))
    before = stored(env, org)
    r = imp(d, token, out.getvalue())
    eq(r.json["summary"], {"rows": 3, "created": 0, "updated": 1, "unchanged": 2, "failed": 0}, r.json)
    after = stored(env, org)
    eq(after["RT-1"][0], before["RT-1"][0] + 1)
    eq({k: v for k, v in after.items() if k != "RT-1"}, {k: v for k, v in before.items() if k != "RT-1"})
    g = d.request("GET", "/v1/consultations/" + byref["RT-3"][14], token=token).json
    eq((g["title"], g["summary"]), ("=HYPERLINK(\"http://evil\")", "-5 reasons"), "the apostrophe removed on import")
    g = d.request("GET", "/v1/consultations/" + byref["RT-2"][14], token=token).json
    eq(g["inferred"], True, "inferred terms stay inferred")
    # The export's version guards against a change made meanwhile.
    byref["RT-1"][1] = "Library hours, late evenings"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([rows[0], byref["RT-1"]])
    r = imp(d, token, out.getvalue())
    eq(r.json["rows"][0]["status"], "failed")
    eq(r.json["rows"][0]["errors"][0]["field"], "version")
    # Another organisation's rows are refused, row by row.
    _, stranger = env.new_org("Import Round Trip Stranger")
    r = imp(d, stranger, text)
    eq(r.json["summary"]["failed"], 3)
    eq(r.json["rows"][0]["errors"][0]["field"], "organisation")


@test
def template_lists_every_column_and_imports(env):
    d = env.shared()
    _, token = env.new_org("Import Template Council")
    r = d.request("GET", "/v1/consultations/import/template.csv", token=token)
    eq(r.status, 200)
    check(r.header("content-type").startswith("text/csv"))
    lines = r.body.decode().split("\r\n")
    eq(lines[0].split(","), ["external_ref", "title", "summary", "topics", "communities", "areas", "fieldwork_start",
                             "fieldwork_end", "methods", "engagement_level", "expected_participants",
                             "contact_name", "contact_email", "visibility"])
    r = imp(d, token, r.body, dry=True)
    eq(r.json["summary"]["would_create"], 1, r.json)
    eq(r.json["rows"][0]["errors"], [])
    eq(d.request("GET", "/v1/consultations/import/template.csv").status, 401)
    problem(imp(d, None, HEADER), 401)
    problem(d.request("GET", "/v1/consultations.csv?bogus=1", token=token), 400, "bogus")
    problem(d.request("POST", "/v1/consultations/import?dryrun=true", raw=HEADER.encode(), token=token,
                      ctype="text/csv"), 400, "query")


@test
def imports_on_two_instances_at_once_record_each_overlap_once(env):
    import threading
    d1 = env.shared()
    d2 = env.daemon()
    org1, t1 = env.new_org("Import Race North")
    org2, t2 = env.new_org("Import Race South")
    n = 12

    def f(prefix):
        return HEADER + "".join(
            "%s-%d,Youth services review %s %d,,youth-services,young-people,E09000007,2048-04-01,2048-04-30,,,,,\r\n"
            % (prefix, i, prefix, i) for i in range(n))
    res = {}
    th = [threading.Thread(target=lambda: res.__setitem__(1, imp(d1, t1, f("N")))),
          threading.Thread(target=lambda: res.__setitem__(2, imp(d2, t2, f("S"))))]
    for t in th:
        t.start()
    for t in th:
        t.join()
    eq(res[1].json["summary"]["created"], n)
    eq(res[2].json["summary"]["created"], n)
    cross = env.psql(
        "SELECT count(*) FROM overlap_pairs p JOIN consultations a ON a.id = p.consultation_a"
        " JOIN consultations b ON b.id = p.consultation_b WHERE a.organisation_id IN ('%s','%s')"
        " AND b.organisation_id IN ('%s','%s') AND a.organisation_id <> b.organisation_id" % (org1, org2, org1, org2))
    eq(cross, str(n * n), "every cross pair found, none twice")
    d2.stop()


@test
def openapi_documents_the_import_and_every_column(env):
    d = env.shared()
    _, token = env.new_org("Import OpenAPI Reader")
    doc = d.request("GET", "/openapi.json").json
    for path, m in (("/v1/consultations/import", "post"), ("/v1/consultations/import/template.csv", "get"),
                    ("/v1/consultations.csv", "get")):
        check(m in doc["paths"].get(path, {}), "OpenAPI has %s %s" % (m, path))
    names = [p["name"] for p in doc["paths"]["/v1/consultations"]["post"]["parameters"]]
    check("dry_run" in names, names)
    props = doc["components"]["schemas"]["ImportRow"]["properties"]
    head = d.request("GET", "/v1/consultations/import/template.csv", token=token).body.decode().split("\r\n")[0]
    for col in head.split(",") + ["id", "organisation", "status", "version"]:
        check(col in props and props[col].get("description") and "examples" in props[col], "documented: " + col)


@test
def cli_import_same_path_summary_failed_rows_and_exit_status(env):
    import os
    import tempfile
    d = env.shared()
    org, token = env.new_org("Import CLI Council")
    f = HEADER + ("CLI-1,Library opening hours,,libraries,,E09000007,2049-03-01,2049-03-31,,,,,\r\n"
                  "CLI-2,Broken dates,,libraries,,E09000007,someday,2049-03-31,,,,,\r\n")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
        fh.write(f)
    try:
        p = env.cli("import", "--org", org, "--dry-run", fh.name, check=False)
        eq(p.returncode, 1, p.stderr)
        check("dry run" in p.stdout and "1 would be created" in p.stdout, p.stdout)
        check("row 3 (CLI-2) failed: fieldwork_start:" in p.stdout, p.stdout)
        eq(stored(env, org), {}, "a dry run stores nothing")
        p = env.cli("import", "--org", org, fh.name, check=False)
        eq(p.returncode, 1)
        check("1 created" in p.stdout and "1 failed" in p.stdout, p.stdout)
        with open(fh.name, "w") as out:
            out.write(f.splitlines(keepends=True)[0] + f.splitlines(keepends=True)[1])
        p = env.cli("import", "--org", org, fh.name, check=False)
        eq(p.returncode, 0, p.stdout + p.stderr)
        check("1 unchanged, 0 failed" in p.stdout, p.stdout)
        eq(list(stored(env, org)), ["CLI-1"])
        # What the API sees is what the CLI wrote.
        r = d.request("GET", "/v1/consultations?organisation=" + org, token=token)
        eq([c["external_ref"] for c in r.json["items"]], ["CLI-1"])
        with open(fh.name, "w") as out:
            out.write("id;title\n1;x\n")
        p = env.cli("import", "--org", org, fh.name, check=False)
        eq(p.returncode, 1)
        check("semicolons" in p.stdout, p.stdout)
        eq(env.cli("import", "--org", "not-an-id", fh.name, check=False).returncode, 2)
        eq(env.cli("import", fh.name, check=False).returncode, 2)
        check("import --org" in env.cli("--help").stdout)
    finally:
        os.unlink(fh.name)


@test
def import_repeated_reference_and_renamed_reference(env):
    d = env.shared()
    org, token = env.new_org("Import Repeat Council")
    f = HEADER + ("REP-1,First title,,libraries,,E09000007,2050-03-01,2050-03-31,,,,,\r\n"
                  "REP-1,Second title,,libraries,,E09000007,2050-03-01,2050-03-31,,,,,\r\n")
    r = imp(d, token, f)
    eq([x["status"] for x in r.json["rows"]], ["created", "updated"], "rows applied in file order")
    eq(r.json["rows"][0]["id"], r.json["rows"][1]["id"])
    eq(stored(env, org), {"REP-1": (2, "Second title")})
    # With the export's id column, a row may change its external_ref.
    cid = r.json["rows"][0]["id"]
    f2 = "id,external_ref\r\n%s,REP-ONE\r\n" % cid
    r = imp(d, token, f2)
    eq(r.json["rows"][0]["status"], "updated", r.json)
    eq(stored(env, org), {"REP-ONE": (3, "Second title")})
    r = imp(d, token, "id,external_ref\r\n01a22e92-63cc-7e2f-9fc1-17986ff67e15,X\r\nnot-an-id,Y\r\n")
    eq([x["errors"][0]["field"] for x in r.json["rows"]], ["id", "id"])


@test
def export_pages_through_every_match(env):
    import csv, io
    d = env.shared()
    org, token = env.new_org("Import Export Pages Council")
    n = 450  # more than two of the export's 200-row pages
    # two months apart, so that they do not all overlap each other
    f = HEADER + "".join("PG-%03d,Page row %d,,libraries,,E09000007,%d-%02d-01,%d-%02d-10,,,,,\r\n"
                         % (i, i, 2100 + i // 6, 1 + 2 * (i % 6), 2100 + i // 6, 1 + 2 * (i % 6)) for i in range(n))
    eq(imp(d, token, f).json["summary"]["created"], n)
    rows = list(csv.reader(io.StringIO(export(d, token, "?organisation=%s&limit=5" % org))))
    eq(len(rows), n + 1, "every match, whatever limit says")
    eq(sorted(r[0] for r in rows[1:]), ["PG-%03d" % i for i in range(n)])
