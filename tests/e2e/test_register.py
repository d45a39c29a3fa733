"""The area register's life: an import reaches stored consultations (re-check), names, search."""
import datetime
import os
import re
import signal
import time

from harness import test, eq, check, problem, wait_until
from common import create

ABBEY, BIRCHWOOD, LINCOLN, LINCOLNSHIRE = "E05010784", "E05010785", "E07000138", "E10000019"
WHEN = {"start": "2041-05-01", "end": "2041-05-31"}


def ons_files(env):
    ons = os.path.join(env.data_dir, "ons")
    return [os.path.join(ons, f) for f in sorted(os.listdir(ons)) if f.endswith(".csv")]


def fresh_register_db(env, name):
    """A migrated database with no areas imported, and a partner key on it."""
    url = env.create_database(name)
    env.cli("migrate", db_url=url)
    org = env.cli("org", "add", "--name", "Register Council " + name, db_url=url).stdout.strip()
    token = env.cli("key", "add", "--org", org, "--role", "coordinator", db_url=url).stdout.strip()
    return url, token


def metric(d, name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), d.request("GET", "/metrics").body.decode(), re.M)
    return float(m.group(1)) if m else None


def queue_depth(env, url):
    return int(env.psql("SELECT count(*) FROM recheck_pending", url))


def overlap_ids(d, token, c):
    r = d.request("GET", "/v1/consultations/%s/overlaps" % c["id"], token=token)
    eq(r.status, 200)
    return {o["other"]["id"]: o for o in r.json["items"]}


@test
def import_rechecks_stale_keys_and_finds_overlaps_without_a_new_post(env):
    url, token = fresh_register_db(env, "e2e_reg_stale_%d" % os.getpid())
    d = env.daemon(db_url=url)
    ward = create(d, token, title="Bus routes review", topics=["transport"], areas=[ABBEY], fieldwork=WHEN,
                  communities=["general-public"], external_ref=None)
    check(any("not in the area register" in w for w in ward["warnings"]), "unknown area warned")
    county = create(d, token, title="County transport plan", topics=["transport"], areas=[LINCOLNSHIRE],
                    fieldwork=WHEN, communities=["general-public"], external_ref=None)
    eq(county["overlaps"], [], "no overlap while the register is empty")
    before = int(env.psql("SELECT count(*) FROM alert_events WHERE type = 'overlap.detected'", url))
    gen0 = metric(d, "consultd_area_register_generation")

    out = env.cli("areas", "import", *ons_files(env), db_url=url).stdout
    t0 = time.time()
    check("re-check: 2 consultations queued" in out, "the import says what it queued: %s" % out)
    # the daemon reloads on the import's NOTIFY, long before its 10 s periodic check
    # (how soon is measured by tests/bench/recheck.sh, not asserted here)
    wait_until(lambda: metric(d, "consultd_area_register_generation") > gen0, "the register reload", 5)
    reload_s = time.time() - t0
    check(reload_s < 5.0, "reloaded %.2f s after the import committed" % reload_s)
    wait_until(lambda: queue_depth(env, url) == 0, "the re-check queue to drain")
    o = overlap_ids(d, token, ward).get(county["id"])
    check(o is not None, "the re-check found the overlap with no new post")
    eq(o["reasons"]["areas"], [ABBEY], "the shared area")
    after = int(env.psql("SELECT count(*) FROM alert_events WHERE type = 'overlap.detected'", url))
    eq(after - before, 1, "one overlap.detected event for the re-checked pair")
    scope = env.psql("SELECT area_scope FROM consultations WHERE id = '%s'" % ward["id"], url)
    check(LINCOLN in scope and LINCOLNSHIRE in scope, "the stored scope has the ancestors now: %s" % scope)
    # and a later county-wide post finds the ward one through its new keys
    later = create(d, token, title="County bus strategy", topics=["transport"], areas=[LINCOLNSHIRE],
                   fieldwork=WHEN, communities=["general-public"], external_ref=None)
    check(ward["id"] in {o["other"]["id"] for o in later["overlaps"]}, "a new county post finds the ward")
    # a re-import that changes nothing queues nothing
    out = env.cli("areas", "import", *ons_files(env), db_url=url).stdout
    check("re-check: 0 consultations queued" in out, "an unchanged import queues nothing: %s" % out)
    d.stop()


@test
def a_pair_that_no_longer_holds_is_resolved(env):
    url, token = fresh_register_db(env, "e2e_reg_resolve_%d" % os.getpid())
    env.cli("areas", "import", *ons_files(env), db_url=url)
    d = env.daemon(db_url=url)
    ward = create(d, token, title="Library hours", topics=["libraries"], areas=[ABBEY], fieldwork=WHEN,
                  communities=["carers"], external_ref=None)
    dist = create(d, token, title="District library plan", topics=["libraries"], areas=[LINCOLN], fieldwork=WHEN,
                  communities=["carers"], external_ref=None)
    check(ward["id"] in {o["other"]["id"] for o in dist["overlaps"]}, "ward in district overlaps")
    # the register loses the link between the ward and its district (as a corrected lookup would)
    env.psql("DELETE FROM area_parents WHERE code = '%s'" % ABBEY, url)
    env.psql("DELETE FROM area_ancestors WHERE code = '%s'" % ABBEY, url)
    lookup = os.path.join(env.data_dir, "ons", "lad20_cty20_en.csv")
    out = env.cli("areas", "import", lookup, db_url=url).stdout
    check("re-check: 1 consultations queued" in out, "the ward's consultation is queued: %s" % out)
    wait_until(lambda: queue_depth(env, url) == 0, "the re-check queue to drain")
    o = overlap_ids(d, token, ward).get(dist["id"])
    eq(o and o["status"], "resolved", "the pair no longer holds")
    d.stop()


def post_pairs(d, token, n):
    """n ward consultations and one county one over the same weeks: n pairs once the register knows them."""
    wards = []
    for i in range(n):
        wards.append(create(d, token, title="Ward survey %d" % i, topics=["housing"], areas=[ABBEY],
                            fieldwork=WHEN, communities=["tenants"], external_ref=None))
    county = create(d, token, title="County housing", topics=["housing"], areas=[LINCOLNSHIRE], fieldwork=WHEN,
                    communities=["tenants"], external_ref=None)
    return wards, county


def pairs_and_events(env, url):
    pairs = int(env.psql("SELECT count(*) FROM overlap_pairs", url))
    distinct = int(env.psql("SELECT count(DISTINCT (consultation_a, consultation_b)) FROM overlap_pairs", url))
    events = int(env.psql("SELECT count(*) FROM alert_events WHERE type = 'overlap.detected'", url))
    return pairs, distinct, events


@test
def kill_9_during_a_recheck_loses_nothing_and_duplicates_nothing(env):
    url, token = fresh_register_db(env, "e2e_reg_kill_%d" % os.getpid())
    d = env.daemon(db_url=url)
    n = 120
    wards, county = post_pairs(d, token, n)
    same_ward = n * (n - 1) // 2  # the ward consultations overlap each other already
    eq(pairs_and_events(env, url)[0], same_ward, "before the import: only the same-ward pairs")
    d.stop()
    env.cli("areas", "import", *ons_files(env), db_url=url)
    eq(queue_depth(env, url), n + 1, "every consultation queued")
    d = env.daemon(db_url=url, wait_ready=False)
    wait_until(lambda: queue_depth(env, url) < n, "the re-check to start", 20)
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    env.daemons.remove(d)
    left = queue_depth(env, url)
    check(0 < left < n + 1, "killed mid-way (%d left)" % left)
    d = env.daemon(db_url=url)
    wait_until(lambda: queue_depth(env, url) == 0, "the re-check queue to drain after the restart")
    pairs, distinct, events = pairs_and_events(env, url)
    eq(pairs, same_ward + n, "every ward-county pair found once")
    eq(distinct, pairs, "no pair twice")
    eq(events, pairs, "one overlap.detected event per pair")
    d.stop()


@test
def two_instances_share_the_recheck_without_double_work(env):
    url, token = fresh_register_db(env, "e2e_reg_two_%d" % os.getpid())
    d1 = env.daemon(db_url=url)
    n = 150
    post_pairs(d1, token, n)
    d2 = env.daemon(db_url=url)
    env.cli("areas", "import", *ons_files(env), db_url=url)
    wait_until(lambda: queue_depth(env, url) == 0, "the re-check queue to drain")
    done = [wait_until(lambda d=d: metric(d, "consultd_rechecks_total") is not None and
                       metric(d, "consultd_rechecks_total"), "metrics") for d in (d1, d2)]
    eq(int(done[0] + done[1]), n + 1, "each consultation re-checked exactly once across the instances")
    pairs, distinct, events = pairs_and_events(env, url)
    eq(pairs, n * (n - 1) // 2 + n, "every pair once")
    eq(events, pairs, "one event per pair")
    d1.stop()
    d2.stop()


@test
def queue_depth_is_in_metrics(env):
    d = env.shared()
    m = d.request("GET", "/metrics").body.decode()
    check("# TYPE consultd_recheck_queue_depth gauge" in m, "the gauge is exported")
    check(re.search(r"^consultd_recheck_queue_depth \d+$", m, re.M), "with a value")


@test
def a_write_with_a_stale_register_queues_itself(env):
    url, token = fresh_register_db(env, "e2e_reg_gen_%d" % os.getpid())
    env.cli("areas", "import", *ons_files(env), db_url=url)
    d = env.daemon(db_url=url)
    gen = metric(d, "consultd_area_register_generation")
    # the register changes without a notification: the daemon still holds the old generation
    env.psql("UPDATE area_register_state SET generation = generation + 1", url)
    c = create(d, token, title="Stale register post", topics=["housing"], areas=[ABBEY], fieldwork=WHEN,
               external_ref=None)
    if metric(d, "consultd_area_register_generation") == gen:  # not yet reloaded by the periodic check
        eq(env.psql("SELECT count(*) FROM recheck_pending WHERE consultation_id = '%s'" % c["id"], url), "1",
           "the write made with an old register is queued")
    # the periodic check (the fallback to NOTIFY) reloads it, and the queue drains
    wait_until(lambda: metric(d, "consultd_area_register_generation") > gen, "the periodic reload", 15)
    wait_until(lambda: queue_depth(env, url) == 0, "the re-check queue to drain")
    d.stop()


@test
def areas_as_people_write_them(env):
    d = env.shared()
    _, token = env.new_org("Area Names Council", role="coordinator")
    c = create(d, token, title="Names and codes", areas=[" e09000007 ", "Camden", "Abbey (Lincoln)"],
               external_ref=None)
    eq(c["areas"], ["E09000007", ABBEY], "codes upper-cased, names resolved, one area once")
    check('areas: "Camden" is E09000007, Camden (district)' in c["warnings"], "the name's resolution is warned")
    check('areas: "Abbey (Lincoln)" is E05010784, Abbey (ward)' in c["warnings"], "Name (Parent)")
    # a name shared by several areas is refused with every candidate
    r = d.request("POST", "/v1/consultations", {"title": "Which Abbey?", "areas": ["Abbey"],
                                                "fieldwork": WHEN}, token=token)
    problem(r, 422, "areas[0]")
    cands = r.json["errors"][0]["candidates"]
    check(len(cands) > 5 and ABBEY in {x["code"] for x in cands}, "candidates listed: %d" % len(cands))
    lincoln = [x for x in cands if x["code"] == ABBEY][0]
    eq((lincoln["level"], lincoln["parent"]["code"]), ("ward", LINCOLN), "each candidate says what it is")
    # the parent may be any containing area, not just the direct parent
    r = d.request("POST", "/v1/consultations", {"title": "County-qualified", "areas": ["Abbey (Lincolnshire)"],
                                                "fieldwork": WHEN}, token=token)
    eq(r.status, 201, "Abbey within Lincolnshire is one ward: %r" % r)
    for bad in ["Narnia", "Abbey (Narnia)", "E0500078"]:
        problem(d.request("POST", "/v1/consultations", {"title": "Bad", "areas": [bad], "fieldwork": WHEN},
                          token=token), 422, "areas[0]")
    # the same resolution in the list filter and the fatigue query
    r = d.request("GET", "/v1/consultations?area=Abbey%20(Lincoln)&limit=200", token=token)
    eq(r.status, 200, "area filter by name")
    check(c["id"] in {x["id"] for x in r.json["items"]}, "found by the ward's name")
    problem(d.request("GET", "/v1/consultations?area=Abbey", token=token), 400, "area")
    eq(d.request("GET", "/v1/fatigue?area=camden", token=token).status, 200, "fatigue by code in lower case")
    # and in subscription filters
    r = d.request("POST", "/v1/subscriptions", {"url": "https://alerts.example.org/hook",
                                                "filters": {"areas": ["Lincoln (Lincolnshire)"]}}, token=token)
    eq(r.status, 201, "a subscription filter by name: %r" % r)
    eq(r.json["filters"]["areas"], [LINCOLN])
    problem(d.request("POST", "/v1/subscriptions", {"url": "https://alerts.example.org/hook",
                                                    "filters": {"areas": ["Lincoln"]}}, token=token),
            422, "filters.areas[0]")


@test
def area_search_for_autocomplete(env):
    d = env.shared()
    _, token = env.new_org("Area Search Council")

    def search(qs):
        r = d.request("GET", "/v1/areas?" + qs, token=token)
        eq(r.status, 200, "GET /v1/areas?%s: %r" % (qs, r))
        return r.json["items"]

    items = search("q=lincoln")
    eq(items[0]["name"], "Lincoln", "exact matches first")
    check({"code", "name", "name_cy", "level", "parents"} <= set(items[0]), "item fields")
    check(any(i["code"] == LINCOLNSHIRE for i in items), "then the names that start with it")
    eq(search("q=e0501078&limit=3")[0]["code"], ABBEY, "codes by prefix, any case")
    eq(len(search("q=e0501078&limit=3")), 3, "limit")
    inside = search("q=a&within=E07000138&limit=100")
    check(inside and all(any(p["code"] == LINCOLN for p in i["parents"]) for i in inside), "within keeps Lincoln's")
    eq({i["level"] for i in search("q=castle&level=ward&limit=50")}, {"ward"}, "level filter")
    many = search("q=a&limit=1000")
    eq(len(many), 100, "limit is clamped at 100")
    abbeys = search("q=abbey&limit=100")
    exact = [i for i in abbeys if i["name"] == "Abbey"]
    eq(len(exact), 19, "19 wards are called Abbey")
    eq(abbeys[:19], exact, "exact names before the rest (Abbey Wood, ...)")
    problem(d.request("GET", "/v1/areas?colour=red", token=token), 400, "colour", "q")
    problem(d.request("GET", "/v1/areas?q=abbey&limit=0", token=token), 400, "limit")
    problem(d.request("GET", "/v1/areas?q=x&within=Abbey", token=token), 400, "within")
    eq(d.request("GET", "/v1/areas?q=abbey").status, 401, "needs a key")


MENDIP, SEDGEMOOR, SOMERSET = "E07000187", "E07000188", "E06000066"
CARLISLE, CUMBERLAND, EDEN = "E07000028", "E06000063", "E07000030"
SUCCESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "lad22_lad23_successions.csv")


@test
def successions_are_one_place_both_ways(env):
    url, token = fresh_register_db(env, "e2e_reg_succ_%d" % os.getpid())
    env.cli("areas", "import", *ons_files(env), db_url=url)
    d = env.daemon(db_url=url)

    def post(title, area):
        return create(d, token, title=title, topics=["waste-recycling"], communities=["older-people"], areas=[area],
                      fieldwork=WHEN, external_ref=None)

    old = post("Mendip bin collections", MENDIP)        # written against the 2022 code
    new = post("Somerset waste strategy", SOMERSET)     # written against the 2023 code, not yet in the register
    check(any("not in the area register" in w for w in new["warnings"]), "the 2023 code is unknown so far")
    eq(overlap_ids(d, token, old), {}, "no overlap while the register knows no succession")
    out = env.cli("areas", "import", SUCCESSIONS, db_url=url).stdout
    check(re.search(r"re-check: [1-9]\d* consultations queued", out), "the succession queues them: %s" % out)
    wait_until(lambda: queue_depth(env, url) == 0, "the re-check queue to drain")
    check(new["id"] in overlap_ids(d, token, old), "the re-check joins the old and the new code")
    # later writes, both ways
    old2 = post("Sedgemoor recycling centres", SEDGEMOOR)
    check(any("replaced by %s" % SOMERSET in w for w in old2["warnings"]), "a retired code is warned: %r"
          % old2["warnings"])
    eq(old2["areas"], [SEDGEMOOR], "kept as written")
    check({old["id"], new["id"]} <= {o["other"]["id"] for o in old2["overlaps"]},
          "a retired code meets its successor and its sibling predecessors")
    new2 = post("Somerset garden waste", SOMERSET)
    check({old["id"], old2["id"]} <= {o["other"]["id"] for o in new2["overlaps"]}, "the successor meets them")
    # the other 2023 changes too: Carlisle became part of Cumberland, Eden of Westmorland and Furness
    c1 = post("Carlisle waste", CARLISLE)
    c2 = post("Cumberland waste", CUMBERLAND)
    c3 = post("Eden waste", EDEN)
    others = {o["other"]["id"] for o in c2["overlaps"]}
    check(c1["id"] in others and c3["id"] not in others, "Cumberland meets Carlisle, not Eden")
    # fatigue counts them as one place, both ways
    for area in (SOMERSET, MENDIP):
        r = d.request("GET", "/v1/fatigue?area=%s&community=older-people&from=2041-05-01&to=2041-05-31" % area,
                      token=token)
        eq(r.status, 200, "fatigue %s: %r" % (area, r))
        asks = max(b["count"] for b in r.json["items"]) if r.json["items"] else 0
        check(asks >= 4, "fatigue in %s counts the consultations of the whole place (%s)" % (area, asks))
    # calendars and the public routes filter by area as the lists do: the
    # place's consultations under either code, whichever code is asked for
    soon = {"start": (datetime.date.today() + datetime.timedelta(days=10)).isoformat(),
            "end": (datetime.date.today() + datetime.timedelta(days=20)).isoformat()}
    mendip = create(d, token, title="Mendip library hours", areas=[MENDIP], fieldwork=soon, visibility="public",
                    external_ref=None)
    somerset = create(d, token, title="Somerset libraries", areas=[SOMERSET], fieldwork=soon, visibility="public",
                      external_ref=None)
    carlisle = create(d, token, title="Carlisle libraries", areas=[CARLISLE], fieldwork=soon, visibility="public",
                      external_ref=None)
    feed = d.request("POST", "/v1/feeds", {"label": "Somerset", "filters": {"areas": [SOMERSET]}}, token=token)
    eq(feed.status, 201, "%r" % feed)
    for path in ("/feeds/" + feed.json["url"].split("/feeds/")[1], "/public/consultations.ics?area=" + MENDIP,
                 "/public/consultations.json?area=" + SOMERSET):
        got = d.request("GET", path).body.decode()
        check(mendip["id"] in got and somerset["id"] in got, "%s holds both codes of the place" % path)
        check(carlisle["id"] not in got, "%s holds nothing elsewhere" % path)
    d.stop()
