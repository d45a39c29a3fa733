"""Dry runs, CSV import from spreadsheets, the CSV export and the import template."""
from harness import test, eq, check, problem
from common import body, create

CAMDEN = "E09000007"


def counts(env, org):
    """(consultations of org, alert events, overlap pairs): what a dry run must leave alone."""
    return (env.psql("SELECT count(*) FROM consultations WHERE organisation_id = '%s'" % org),
            env.psql("SELECT count(*) FROM alert_events"),
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
                  body(fieldwork={"start": "2041-03-10", "end": "2041-03-01"}, areas=["Camden?"]), token=token)
    problem(r, 422, "fieldwork.end")
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
