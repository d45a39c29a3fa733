"""Create, read, edit and cancel consultations; idempotency; external_ref."""
import subprocess
import time

from harness import test, eq, check, problem
from common import body, create


@test
def create_returns_the_stored_consultation(env):
    d = env.shared()
    org, token = env.new_org("Camden Council")
    b = body(topics=["adult-social-care", "Carers' support", "Bus lane enforcement"],
             communities=["Elderly", "carers"], areas=["E09000007", "E99999999"], methods=["Questionnaire"])
    r = d.request("POST", "/v1/consultations", b, token=token)
    eq(r.status, 201)
    c = r.json
    eq(r.header("location"), "/v1/consultations/" + c["id"])
    eq(r.header("etag"), '"1"')
    check(r.header("content-type").startswith("application/json"))
    check(len(c["id"]) == 36 and c["id"] == c["id"].lower(), c["id"])
    eq(c["organisation"], {"id": org, "name": "Camden Council"})
    eq(c["topics"], ["adult-social-care", "carers-support", "Bus lane enforcement"])
    eq(c["communities"], ["older-people", "carers"])
    eq(c["methods"], ["survey"])
    eq(c["status"], "planned")
    eq(c["version"], 1)
    eq(c["fieldwork"], {"start": "2027-03-01", "end": "2027-04-15"})
    eq(c["contact"], {"name": "Engagement team", "email": "engage@example.org"})
    eq(c["overlaps"], [])
    check(c["created_at"].endswith("Z") and "T" in c["created_at"], c["created_at"])
    warnings = " | ".join(c["warnings"])
    check("Bus lane enforcement" in warnings, warnings)
    check("E99999999" in warnings, warnings)
    g = d.request("GET", r.header("location"), token=token)
    eq(g.status, 200)
    eq(g.header("etag"), '"1"')
    # The write path and the read path build the document separately: they must agree exactly.
    eq(g.json, {k: v for k, v in c.items() if k not in ("warnings", "overlaps")})
    eq(d.request("GET", "/v1/consultations/" + c["id"].replace("-", "")[:8] + "-0000-7000-8000-000000000000",
                 token=token).status, 404)


@test
def optional_fields_default(env):
    d = env.shared()
    _, token = env.new_org("Minimal Council")
    r = d.request("POST", "/v1/consultations", {"title": "Library opening hours", "areas": ["E09000007"],
                                                "fieldwork": {"start": "2027-05-01", "end": "2027-05-31"}},
                  token=token)
    eq(r.status, 201)
    eq(r.json["engagement_level"], "consult")
    eq(r.json["summary"], "")
    eq(r.json["topics"], ["libraries"], "no terms given: inferred from the title")
    eq(r.json["inferred"], True)
    eq(r.json["contact"], None)
    eq(r.json["external_ref"], None)


@test
def external_ref_is_unique_per_organisation(env):
    d = env.shared()
    _, a = env.new_org("Ref Council A")
    _, b = env.new_org("Ref Council B")
    first = create(d, a, external_ref="SHARED-1")
    r = d.request("POST", "/v1/consultations", body(external_ref="SHARED-1"), token=a)
    problem(r, 409, "external_ref")
    eq(r.json["existing_id"], first["id"])
    eq(d.request("POST", "/v1/consultations", body(external_ref="SHARED-1"), token=b).status, 201,
       "another organisation may use the same reference")
    # an edit onto a used reference is a conflict too
    second = create(d, a, external_ref="SHARED-2")
    r = d.request("PATCH", "/v1/consultations/" + second["id"], {"external_ref": "SHARED-1"}, token=a,
                  headers={"If-Match": '"1"'})
    problem(r, 409, "external_ref")
    eq(r.json["existing_id"], first["id"])


@test
def idempotency_key_replays_and_refuses(env):
    d = env.shared()
    org, token = env.new_org("Retrying Council")
    b = body()
    h = {"Idempotency-Key": "import-batch-7/row-1"}
    r1 = d.request("POST", "/v1/consultations", b, token=token, headers=h)
    eq(r1.status, 201)
    r2 = d.request("POST", "/v1/consultations", b, token=token, headers=h)
    eq(r2.status, 201)
    eq(r2.json, r1.json, "the replay is the original answer")
    eq(r2.header("location"), r1.header("location"))
    eq(r2.header("idempotent-replayed"), "true")
    eq(env.psql("SELECT count(*) FROM consultations WHERE organisation_id = '%s'" % org), "1")
    b2 = body(title="Something else")
    problem(d.request("POST", "/v1/consultations", b2, token=token, headers=h), 422, "Idempotency-Key")
    # keys are scoped per organisation
    _, other = env.new_org("Other Retrier")
    eq(d.request("POST", "/v1/consultations", b, token=other, headers=h).status, 201)
    problem(d.request("POST", "/v1/consultations", b, token=token, headers={"Idempotency-Key": "x" * 201}), 400)


@test
def idempotency_key_in_progress_is_409(env):
    d = env.shared()
    org, token = env.new_org("Concurrent Council")
    key = "in-flight-1"
    # Another transaction holds the key's lock, as a first request still running would.
    holder = subprocess.Popen(["psql", "-X", "-q", "-tA", env.db_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    holder.stdin.write("BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('%s' || ' ' || '%s', 7406));\n"
                       "\\echo locked\n" % (org, key))
    holder.stdin.flush()
    lines = [holder.stdout.readline().strip() for _ in range(2)]
    check("locked" in lines, lines)
    r = d.request("POST", "/v1/consultations", body(), token=token, headers={"Idempotency-Key": key})
    holder.stdin.write("ROLLBACK;\n")
    holder.stdin.close()
    holder.wait(10)
    problem(r, 409)
    eq(d.request("POST", "/v1/consultations", body(), token=token, headers={"Idempotency-Key": key}).status, 201)


@test
def patch_is_a_merge_patch_with_if_match(env):
    d = env.shared()
    _, token = env.new_org("Patching Council")
    c = create(d, token, external_ref="P-1")
    path = "/v1/consultations/" + c["id"]
    problem(d.request("PATCH", path, {"title": "New"}, token=token), 428)
    r = d.request("PATCH", path, {"title": "New"}, token=token, headers={"If-Match": '"7"'})
    problem(r, 412)
    eq(r.header("etag"), '"1"')
    problem(d.request("PATCH", path, {"title": "New"}, token=token, headers={"If-Match": "1"}), 400)
    r = d.request("PATCH", path, {"title": "Charging policy (revised)", "contact": None, "summary": None,
                                  "fieldwork": {"end": "2027-05-01"}, "topics": ["housing"]},
                  token=token, headers={"If-Match": '"1"'}, ctype="application/merge-patch+json")
    eq(r.status, 200)
    eq(r.header("etag"), '"2"')
    eq(r.json["title"], "Charging policy (revised)")
    eq(r.json["contact"], None)
    eq(r.json["summary"], "")
    eq(r.json["fieldwork"], {"start": "2027-03-01", "end": "2027-05-01"})
    eq(r.json["topics"], ["housing"])
    eq(r.json["communities"], c["communities"], "untouched fields stay")
    eq(r.json["version"], 2)
    check(r.json["updated_at"] >= c["updated_at"])
    # the old ETag is now stale
    problem(d.request("PATCH", path, {"title": "Again"}, token=token, headers={"If-Match": '"1"'}), 412)
    # a patch that makes the whole invalid is refused and changes nothing
    problem(d.request("PATCH", path, {"fieldwork": {"start": "2027-06-01"}, "areas": []}, token=token,
                      headers={"If-Match": '"2"'}), 422, "fieldwork.end", "areas")
    problem(d.request("PATCH", path, {"status": "closed", "id": "x"}, token=token, headers={"If-Match": '"2"'}),
            422, "status", "id")
    problem(d.request("PATCH", path, {"title": None}, token=token, headers={"If-Match": '"2"'}), 422, "title")
    eq(d.request("GET", path, token=token).json["version"], 2)
    eq(d.request("PATCH", path, {"title": "Star"}, token=token, headers={"If-Match": "*"}).status, 200)


@test
def delete_cancels_and_keeps_history(env):
    d = env.shared()
    _, token = env.new_org("Cancelling Council")
    c = create(d, token)
    path = "/v1/consultations/" + c["id"]
    problem(d.request("DELETE", path, token=token), 428)
    problem(d.request("DELETE", path, token=token, headers={"If-Match": '"9"'}), 412)
    r = d.request("DELETE", path, token=token, headers={"If-Match": '"1"'})
    eq(r.status, 200)
    eq(r.json["status"], "cancelled")
    eq(r.header("etag"), '"2"')
    g = d.request("GET", path, token=token)
    eq(g.status, 200, "kept for history")
    eq(g.json["status"], "cancelled")
    problem(d.request("PATCH", path, {"title": "x"}, token=token, headers={"If-Match": '"2"'}), 409)
    eq(d.request("DELETE", path, token=token, headers={"If-Match": '"2"'}).status, 200, "cancel is idempotent")
    problem(d.request("DELETE", "/v1/consultations/01a20257-ad26-7a7f-bc6a-d4d48df44399", token=token,
                      headers={"If-Match": '"1"'}), 404)


@test
def expired_idempotency_answers_are_purged(env):
    org, token = env.new_org("Purging Council")
    env.psql("INSERT INTO idempotency_keys (organisation_id, key, request_hash, status, body, created_at) VALUES "
             "('%s', 'old', '\\x00', 201, '{}', now() - interval '25 hours'), "
             "('%s', 'recent', '\\x00', 201, '{}', now() - interval '23 hours')" % (org, org))
    d = env.daemon()  # a pass runs shortly after start-up
    deadline = time.time() + 10
    while env.psql("SELECT count(*) FROM idempotency_keys WHERE organisation_id = '%s' AND key = 'old'" % org) != "0":
        check(time.time() < deadline, "the expired answer was purged within 10 s")
        time.sleep(0.2)
    eq(env.psql("SELECT count(*) FROM idempotency_keys WHERE organisation_id = '%s' AND key = 'recent'" % org), "1",
       "an answer younger than 24 hours is kept")
    d.stop()
