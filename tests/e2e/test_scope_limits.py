"""The overlap engine never checks a truncated area scope: areas that reach
more than it checks at once (OVERLAP_SCOPE_MAX, 4096 codes) are refused with a
422 naming "areas", never cut short and never a 500 or 503."""
from common import body
from harness import test, eq, check, problem, wait_until

SCOPE_MAX = 4096
HEADS, REACH = 20, 250  # 20 areas reaching 250 others each: 5020 codes in all


def head(k):
    return "E06%06d" % k


def wide_register(env):
    """A fresh database whose register has HEADS areas, each reaching REACH areas of
    its own (area_reach written directly: no ONS file has such a fan-out)."""
    url = env.create_database("%s_wide" % env.dbname)
    env.cli("migrate", db_url=url)
    env.psql("INSERT INTO areas (code, name, level)"
             " SELECT 'E05' || lpad(n::text, 6, '0'), 'Reached ' || n, 'ward' FROM generate_series(1, %d) n;"
             " INSERT INTO areas (code, name, level)"
             " SELECT 'E06' || lpad(k::text, 6, '0'), 'Wide ' || k, 'district' FROM generate_series(1, %d) k;"
             " INSERT INTO area_reach (code, reach)"
             " SELECT 'E06' || lpad(k::text, 6, '0'),"
             "        array(SELECT 'E05' || lpad(((k - 1) * %d + j)::text, 6, '0') FROM generate_series(1, %d) j)"
             " FROM generate_series(1, %d) k;"
             " UPDATE area_register_state SET generation = generation + 1"
             % (HEADS * REACH, HEADS, REACH, REACH, HEADS), url)
    org = env.cli("org", "add", "--name", "Wide Council", db_url=url).stdout.strip()
    token = env.cli("key", "add", "--org", org, "--role", "partner", db_url=url).stdout.strip()
    return url, token


@test
def areas_reaching_more_than_the_engine_checks_are_422_naming_areas(env):
    url, token = wide_register(env)
    d = env.daemon(db_url=url)
    try:
        # Just under the limit: 16 heads reach 16 + 16 * 250 = 4016 codes, and are checked.
        fits = [head(k) for k in range(1, 17)]
        r = d.request("POST", "/v1/consultations", body(areas=fits), token=token)
        eq(r.status, 201, "a scope of %d codes is checked: %r" % (16 + 16 * REACH, r))
        cid = r.json["id"]
        eq(d.request("GET", "/v1/consultations/%s/preflight" % cid, token=token).status, 200, "its preflight")

        # Over it: every head is 5020 codes. Refused, naming the field, and nothing stored.
        wide = [head(k) for k in range(1, HEADS + 1)]
        r = d.request("POST", "/v1/consultations", body(areas=wide), token=token)
        problem(r, 422, "areas")
        eq(r.json["title"], "Too many areas", "title of %r" % r)
        eq(env.psql("SELECT count(*) FROM consultations", url), "1", "consultations stored")

        # A change that widens a stored consultation past the limit is refused too.
        r = d.request("PATCH", "/v1/consultations/%s" % cid, {"areas": wide}, token=token,
                      headers={"If-Match": '"1"'}, ctype="application/merge-patch+json")
        problem(r, 422, "areas")
        eq(env.psql("SELECT cardinality(areas) FROM consultations WHERE id = '%s'" % cid, url), "16",
           "the stored areas after the refused change")
    finally:
        d.stop()


@test
def a_queued_consultation_grown_too_wide_is_set_aside_and_the_queue_goes_on(env):
    url, token = wide_register(env)
    d = env.daemon(db_url=url)
    try:
        fits = [head(k) for k in range(1, 17)]
        wide = d.request("POST", "/v1/consultations", body(areas=fits, title="Sixteen districts"), token=token)
        eq(wide.status, 201)
        plain = d.request("POST", "/v1/consultations", body(areas=[head(20)], title="One district"), token=token)
        eq(plain.status, 201)
        # The stored consultation now names a seventeenth district (17 + 17 * 250
        # = 4,267 codes: written directly, as an import of areas that grew would
        # leave it), and both are queued for a re-check, the wide one first.
        env.psql("UPDATE consultations SET areas = areas || '{%s}'::text[] WHERE id = '%s';"
                 " INSERT INTO recheck_pending (consultation_id, generation, queued_at)"
                 "  VALUES ('%s', 1, now() - interval '1 minute'), ('%s', 1, now());"
                 " NOTIFY consultd_areas" % (head(17), wide.json["id"], wide.json["id"], plain.json["id"]), url)
        # the one behind it is checked; the wide one is set aside, still queued
        wait_until(lambda: env.psql("SELECT count(*) FROM recheck_pending WHERE consultation_id = '%s'"
                                    % plain.json["id"], url) == "0", "the consultation behind it to be re-checked")
        eq(env.psql("SELECT count(*) FROM recheck_pending WHERE consultation_id = '%s'"
                    " AND queued_at > now() + interval '50 minutes'" % wide.json["id"], url), "1",
           "the wide one set aside for an hour, still queued")
        wait_until(lambda: "deferred" in d.logs() and wide.json["id"] in d.logs(), "a warning naming it")
        eq(d.request("GET", "/v1/consultations/%s/preflight" % wide.json["id"], token=token).status, 422,
           "its preflight says why")
    finally:
        d.stop()
