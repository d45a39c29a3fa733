"""The overlap engine: the rule, its explanation, the workflow, fatigue, and real data."""
import csv
import datetime
import os
import threading
import urllib.parse

from harness import test, eq, check, problem
from common import body, create

CAMDEN, BELSIZE = "E09000007", "E05000128"
ASHFORD = "E07000105"
KENT = "E10000016"


def wards_of(env, district, n):
    return env.psql("SELECT code FROM area_parents WHERE parent = '%s' ORDER BY code LIMIT %d"
                    % (district, n)).split()


def fw(start, end):
    return {"start": start, "end": end}


def between(d, token, a, b):
    """The overlap between consultations a and b as a's overlaps list shows it, or None."""
    r = d.request("GET", "/v1/consultations/%s/overlaps" % a["id"], token=token)
    eq(r.status, 200)
    hits = [o for o in r.json["items"] if o["other"]["id"] == b["id"]]
    check(len(hits) <= 1, "one record per pair")
    return hits[0] if hits else None


def post(d, token, **over):
    over.setdefault("external_ref", None)
    return create(d, token, **over)


@test
def containment_both_ways_siblings_never(env):
    d = env.shared()
    _, token = env.new_org("Overlap Containment Council")
    w1, w2 = wards_of(env, ASHFORD, 2)
    when = fw("2040-03-01", "2040-03-31")
    a = post(d, token, areas=[w1], topics=["housing"], communities=["carers"], title="Ward housing survey", fieldwork=when)
    dist = post(d, token, areas=[ASHFORD], topics=["housing"], communities=["carers"], title="District housing plan",
                fieldwork=when)
    check(any(o["other"]["id"] == a["id"] for o in dist["overlaps"]), "the district post finds the ward one")
    s = post(d, token, areas=[w2], topics=["housing"], communities=["carers"], title="Sibling ward housing",
             fieldwork=when)
    others = {o["other"]["id"] for o in s["overlaps"]}
    check(dist["id"] in others, "a ward overlaps its district")
    check(a["id"] not in others, "sibling wards do not overlap")
    county = post(d, token, areas=[KENT], topics=["housing"], communities=["carers"], title="County housing",
                  fieldwork=when)
    eq({o["other"]["id"] for o in county["overlaps"]}, {a["id"], dist["id"], s["id"]}, "the county contains them all")
    o = between(d, token, a, dist)
    eq(o["reasons"]["areas"], [w1], "the specific shared area")
    eq(o["status"], "open")
    eq(sorted(o["consultations"]), sorted([a["id"], dist["id"]]))


@test
def time_window_edges(env):
    d = env.shared()
    _, token = env.new_org("Window Council")
    base = dict(areas=[BELSIZE], topics=["parking"], communities=["businesses"])
    a = post(d, token, title="Parking A", fieldwork=fw("2041-01-01", "2041-01-31"), **base)
    b = post(d, token, title="Parking B", fieldwork=fw("2041-02-28", "2041-03-10"), **base)  # 28 days after
    c = post(d, token, title="Parking C", fieldwork=fw("2041-03-01", "2041-03-01"), **base)  # 29 days after a
    o = between(d, token, a, b)
    check(o is not None, "28 days apart overlaps")
    eq(o["reasons"]["fieldwork_gap_days"], 28)
    eq(o["reasons"]["fieldwork_overlap_days"], 0)
    eq(between(d, token, a, c), None, "29 days apart does not")
    o = between(d, token, b, c)
    eq(o["reasons"]["fieldwork_overlap_days"], 1)


@test
def shared_community_only_topic_through_hierarchy_nothing_shared(env):
    d = env.shared()
    _, token = env.new_org("Terms Council")
    when = fw("2042-05-01", "2042-05-31")
    a = post(d, token, areas=[BELSIZE], topics=["libraries"], communities=["young-carers"], title="Library hours",
             fieldwork=when)
    b = post(d, token, areas=[BELSIZE], topics=["road-safety"], communities=["carers"], title="Speed limits",
             fieldwork=when)
    o = between(d, token, a, b)
    check(o is not None, "a shared community (through its parent) is enough")
    eq(o["reasons"]["topics"], [])
    eq(o["reasons"]["communities"], ["carers"])
    c = post(d, token, areas=[BELSIZE], topics=["carers-support"], communities=["students"], title="Carer breaks",
             fieldwork=when)
    e = post(d, token, areas=[BELSIZE], topics=["adult-social-care"], communities=["armed-forces"],
             title="Care charging", fieldwork=when)
    o = between(d, token, c, e)
    check(o is not None, "a topic overlaps its parent")
    eq(o["reasons"]["topics"], ["adult-social-care"])
    f = post(d, token, areas=[BELSIZE], topics=["care-homes"], communities=["staff"], title="Residential places",
             fieldwork=when)
    eq(between(d, token, c, f), None, "sibling topics do not overlap")
    g = post(d, token, areas=[BELSIZE], topics=["waste-recycling"], communities=["rural-communities"],
             title="Bin collection days", fieldwork=when)
    eq(g["overlaps"], [], "nothing shared: no overlap")


@test
def general_public_and_text_similarity(env):
    d = env.shared()
    _, token = env.new_org("Everyone Council")
    when = fw("2043-06-01", "2043-06-30")
    a = post(d, token, areas=[BELSIZE], topics=["libraries"], communities=["general-public"], title="Library hours",
             fieldwork=when)
    b = post(d, token, areas=[BELSIZE], topics=["parking"], communities=["carers"], title="Carer parking permits",
             fieldwork=when)
    o = between(d, token, a, b)
    check(o is not None, "general-public overlaps every community")
    eq(o["level"], "low")
    eq(o["reasons"]["communities"], ["general-public"])
    # the same consultation posted twice under a reworded title, with no shared codes
    c = post(d, token, areas=[BELSIZE], topics=["Mill Lane zebra scheme"], communities=[], title="Zebra crossing on Mill Lane",
             fieldwork=when)
    e = post(d, token, areas=[BELSIZE], topics=["Pedestrian works"], communities=[],
             title="Proposed zebra crossing, Mill Lane", fieldwork=when)
    o = between(d, token, c, e)
    check(o is not None, "similar titles overlap")
    eq(o["reasons"]["topics"], [])
    check(o["reasons"]["text_similarity"] >= 0.45, o["reasons"])
    check("alike" in o["explanation"], o["explanation"])


@test
def same_organisation_and_inferred_terms(env):
    d = env.shared()
    _, token = env.new_org("Self Overlapping Council")
    when = fw("2044-02-01", "2044-02-28")
    a = post(d, token, areas=[BELSIZE], topics=None, communities=None,
             title="Library opening hours for older people", summary="Tell us when you use the library.",
             fieldwork=when)
    eq(a["inferred"], True)
    eq(a["topics"], ["libraries"])
    eq(a["communities"], ["older-people"])
    b = post(d, token, areas=[BELSIZE], topics=["libraries"], communities=["older-people"], title="Mobile library",
             fieldwork=when)
    o = between(d, token, a, b)
    check(o["same_organisation"] is True)
    check(o["explanation"].startswith("Same organisation: "), o["explanation"])
    # editing an inferred consultation's text re-infers its terms
    r = d.request("PATCH", "/v1/consultations/" + a["id"], {"title": "Parking permits for carers", "summary": None},
                  token=token, headers={"If-Match": '"1"'})
    eq(r.status, 200)
    eq(r.json["topics"], ["parking"])
    eq(r.json["communities"], ["carers"])
    eq(r.json["inferred"], True)


@test
def explanation_reads_aloud(env):
    d = env.shared()
    _, a_tok = env.new_org("Camden Council (explained)")
    _, b_tok = env.new_org("NHS North Central London (explained)", kind="nhs")
    a = post(d, a_tok, areas=[CAMDEN], topics=["adult-social-care"], communities=["carers"], title="Care charging",
             fieldwork=fw("2045-03-01", "2045-04-15"))
    b = post(d, b_tok, areas=[CAMDEN], topics=["adult-social-care"], communities=["carers"],
             title="Discharge support for carers", fieldwork=fw("2045-02-01", "2045-03-21"))
    eq(len(b["overlaps"]), 1)
    o = b["overlaps"][0]
    eq(o["explanation"], "Both ask unpaid carers in Camden about adult social care between 1 and 21 March 2045.")
    eq(o["level"], "high")
    eq(o["same_organisation"], False)
    for k in ("topics", "communities", "areas", "fieldwork_gap_days", "fieldwork_overlap_days", "text_similarity"):
        check(k in o["reasons"], "reason " + k)
    eq(o["other"]["id"], a["id"])
    eq(o["other"]["organisation"]["name"], "Camden Council (explained)")
    check(0 < o["score"] <= 1)
    # The write's own answer and the read path build the overlap separately: they must agree exactly.
    listed = d.request("GET", "/v1/consultations/%s/overlaps" % b["id"], token=b_tok)
    eq(listed.status, 200)
    eq([x for x in listed.json["items"] if x["id"] == o["id"]], [o])


@test
def preflight_outreach_gate_and_override(env):
    d = env.shared()
    _, a_tok = env.new_org("Gate Council A")
    _, b_tok = env.new_org("Gate Council B")
    when = fw("2046-04-01", "2046-04-30")
    a = post(d, a_tok, areas=[BELSIZE], topics=["libraries"], communities=["students"], title="Study space",
             fieldwork=when)
    b = post(d, b_tok, areas=[BELSIZE], topics=["libraries"], communities=["students"], title="Library study rooms",
             fieldwork=when)
    p = d.request("GET", "/v1/consultations/%s/preflight" % a["id"], token=a_tok)
    eq(p.status, 200)
    eq(p.json["clear"], False)
    eq([o["other"]["id"] for o in p.json["overlaps"]], [b["id"]])
    eq(p.json["fatigue"], [])
    problem(d.request("POST", "/v1/consultations/%s/outreach" % a["id"], token=b_tok), 403)
    r = d.request("POST", "/v1/consultations/%s/outreach" % a["id"], token=a_tok)
    problem(r, 409)
    eq([o["other"]["id"] for o in r.json["overlaps"]], [b["id"]], "the blocking overlaps are listed")
    problem(d.request("POST", "/v1/consultations/%s/outreach" % a["id"], {"override_reason": ""}, token=a_tok), 422)
    problem(d.request("POST", "/v1/consultations/%s/outreach" % a["id"], {"reason": "x"}, token=a_tok), 422)
    r = d.request("POST", "/v1/consultations/%s/outreach" % a["id"],
                  {"override_reason": "Statutory deadline; agreed with B by phone"}, token=a_tok)
    eq(r.status, 200)
    eq(r.json["status"], "in_field")
    eq(r.json["outreach"]["override_reason"], "Statutory deadline; agreed with B by phone")
    problem(d.request("POST", "/v1/consultations/%s/outreach" % a["id"], token=a_tok), 409)
    # B acknowledges the overlap; acknowledged overlaps no longer block
    o = between(d, b_tok, b, a)
    r = d.request("PATCH", "/v1/overlaps/" + o["id"], {"status": "acknowledged"}, token=b_tok,
                  headers={"If-Match": '"%d"' % o["version"]})
    eq(r.status, 200)
    p = d.request("GET", "/v1/consultations/%s/preflight" % b["id"], token=b_tok)
    eq(p.json["clear"], True)
    r = d.request("POST", "/v1/consultations/%s/outreach" % b["id"], token=b_tok)
    eq(r.status, 200)
    eq(r.json["outreach"]["override_reason"], None)


@test
def a_changed_overlap_is_returned_whole(env):
    """The reply to PATCH is the overlap as GET shows it, sides included, so a
    page redraws from it alone; the outreach refusal names its field in words."""
    d = env.shared()
    a_org, a_tok = env.new_org("Whole Reply A")
    _, b_tok = env.new_org("Whole Reply B")
    coord = env.key(env.org("Whole Reply Coordinators", "other"), "coordinator")
    when = fw("2047-06-01", "2047-06-30")
    a = post(d, a_tok, areas=[BELSIZE], topics=["youth-services"], communities=["young-people"],
             title="Youth forum", fieldwork=when)
    b = post(d, b_tok, areas=[BELSIZE], topics=["youth-services"], communities=["young-people"],
             title="Youth survey", fieldwork=when)
    o = between(d, a_tok, a, b)
    path = "/v1/overlaps/" + o["id"]
    for status in ("coordinated", "dismissed", "open"):
        g = d.request("GET", path, token=coord)
        r = d.request("PATCH", path, {"status": status}, token=coord, headers={"If-Match": g.header("etag")})
        eq(r.status, 200, r)
        after = d.request("GET", path, token=coord).json
        eq(r.json, after, "the reply to %s is the overlap GET shows" % status)
        eq(sorted(s["title"] for s in r.json["sides"]), ["Youth forum", "Youth survey"])
        eq([s["id"] for s in r.json["sides"]], r.json["consultations"], "sides in the order of consultations")
    r = d.request("POST", "/v1/consultations/%s/outreach" % a["id"], {"override_reason": ""}, token=a_tok)
    problem(r, 422, "override_reason")
    check("must not be empty" in r.json["errors"][0]["message"], r.json)


@test
def resolve_by_coordinator_and_owner_refuse_others(env):
    d = env.shared()
    _, a_tok = env.new_org("Resolve A")
    _, b_tok = env.new_org("Resolve B")
    _, stranger = env.new_org("Unrelated Org")
    coord_org = env.org("Area Coordinators", "other")
    coord = env.key(coord_org, "coordinator")
    when = fw("2047-05-01", "2047-05-31")
    a = post(d, a_tok, areas=[BELSIZE], topics=["youth-services"], communities=["young-people"], title="Youth club",
             fieldwork=when)
    b = post(d, b_tok, areas=[BELSIZE], topics=["youth-services"], communities=["young-people"], title="Youth voice",
             fieldwork=when)
    o = between(d, a_tok, a, b)
    path = "/v1/overlaps/" + o["id"]
    g = d.request("GET", path, token=stranger)
    eq(g.status, 200, "everyone reads overlaps")
    eq(g.header("etag"), '"%d"' % o["version"])
    problem(d.request("PATCH", path, {"status": "dismissed"}, token=stranger, headers={"If-Match": g.header("etag")}),
            403)
    problem(d.request("PATCH", path, {"status": "dismissed"}, token=coord), 428)
    problem(d.request("PATCH", path, {"status": "resolved"}, token=coord, headers={"If-Match": "*"}), 422, "status")
    problem(d.request("PATCH", path, {"status": "open", "colour": "red"}, token=coord, headers={"If-Match": "*"}),
            422, "colour")
    r = d.request("PATCH", path, {"status": "coordinated", "note": "Joint sessions agreed"}, token=coord,
                  headers={"If-Match": g.header("etag")})
    eq(r.status, 200)
    eq(r.json["status"], "coordinated")
    eq(r.json["note"], "Joint sessions agreed")
    problem(d.request("PATCH", path, {"status": "dismissed"}, token=a_tok, headers={"If-Match": g.header("etag")}),
            412)
    r = d.request("PATCH", path, {"status": "dismissed"}, token=a_tok, headers={"If-Match": r.header("etag")})
    eq(r.status, 200, "an owner of either side may resolve")
    eq(r.json["note"], "Joint sessions agreed", "the note stays unless changed")
    lst = d.request("GET", "/v1/overlaps?status=dismissed&organisation=%s" % a["organisation"]["id"], token=coord)
    check(o["id"] in [x["id"] for x in lst.json["items"]])
    lst = d.request("GET", "/v1/overlaps?area=%s&min_score=0.5&from=2047-05-01&to=2047-05-31" % CAMDEN, token=coord)
    check(o["id"] in [x["id"] for x in lst.json["items"]], "area filter finds ward-level overlaps in a district")
    # a region holds too many areas to look its consultations up first: the overlaps are tested in turn
    lst = d.request("GET", "/v1/overlaps?area=E12000007&from=2047-05-01&to=2047-05-31", token=coord)
    check(o["id"] in [x["id"] for x in lst.json["items"]], "and in the region (London) that contains them")
    for area in (BELSIZE, ASHFORD):
        lst = d.request("GET", "/v1/overlaps?area=%s&from=2047-05-01&to=2047-05-31" % area, token=coord)
        eq(o["id"] in [x["id"] for x in lst.json["items"]], area == BELSIZE, "a ward inside, a district outside")
    problem(d.request("GET", "/v1/overlaps?level=huge&min_score=2", token=coord), 400, "level", "min_score")


@test
def edit_and_cancel_resolve(env):
    d = env.shared()
    _, token = env.new_org("Editing Council")
    when = fw("2048-06-01", "2048-06-30")
    a = post(d, token, areas=[BELSIZE], topics=["parks-green-spaces"], communities=["children"], title="Play areas",
             fieldwork=when)
    b = post(d, token, areas=[BELSIZE], topics=["parks-green-spaces"], communities=["children"], title="Park cafe",
             fieldwork=when)
    eq(between(d, token, a, b)["status"], "open")
    far = wards_of(env, ASHFORD, 1)[0]
    r = d.request("PATCH", "/v1/consultations/" + b["id"], {"areas": [far]}, token=token, headers={"If-Match": '"1"'})
    eq(r.status, 200)
    eq(r.json["overlaps"], [])
    eq(between(d, token, a, b)["status"], "resolved", "an edit that ends the overlap resolves it")
    r = d.request("PATCH", "/v1/consultations/" + b["id"], {"areas": [BELSIZE]}, token=token,
                  headers={"If-Match": '"2"'})
    eq(len(r.json["overlaps"]), 1)
    eq(between(d, token, a, b)["status"], "open", "and it reopens when it holds again")
    c = post(d, token, areas=[BELSIZE], topics=["parks-green-spaces"], communities=["children"], title="Park lighting",
             fieldwork=when)
    r = d.request("DELETE", "/v1/consultations/" + c["id"], token=token, headers={"If-Match": '"1"'})
    eq(r.status, 200)
    eq(between(d, token, a, c)["status"], "resolved", "cancelling resolves its open overlaps")
    e = post(d, token, areas=[BELSIZE], topics=["parks-green-spaces"], communities=["children"], title="Tree planting",
             fieldwork=when)
    check(c["id"] not in [o["other"]["id"] for o in e["overlaps"]], "cancelled consultations are not candidates")


@test
def fatigue_counts(env):
    d = env.shared()
    _, token = env.new_org("Fatigue Council")
    ward = wards_of(env, ASHFORD, 3)[2]
    titles = ["Carer breaks", "Carer parking", "Carer grants", "Young carers club"]
    comms = [["carers"], ["carers"], ["general-public"], ["young-carers"]]
    made = [post(d, token, areas=[ward], topics=["cost-of-living"], communities=c, title=t,
                 fieldwork=fw("2049-03-%02d" % (i + 1), "2049-03-20")) for i, (t, c) in enumerate(zip(titles, comms))]
    r = d.request("GET", "/v1/fatigue?area=%s&community=carers&from=2049-03-01&to=2049-04-30" % ward, token=token)
    eq(r.status, 200)
    eq(r.json["max_asks"], 3)
    eq(r.json["window_days"], 90)
    march, april = r.json["items"]
    eq((march["month"], march["count"], march["exceeded"]), ("2049-03", 4, True))
    eq((april["month"], april["count"], april["exceeded"]), ("2049-04", 4, True), "still inside the 90-day window")
    r = d.request("GET", "/v1/fatigue?area=%s&community=carers&from=2049-03-01&to=2049-03-31" % ASHFORD, token=token)
    eq(r.json["items"][0]["count"], 4, "the district counts asks in its wards")
    r = d.request("GET", "/v1/fatigue?area=%s&community=young-carers&from=2049-03-01&to=2049-03-31" % ward,
                  token=token)
    eq(r.json["items"][0]["count"], 4, "young carers are asked by carers' and everyone's consultations")
    r = d.request("GET", "/v1/fatigue?area=%s&community=students&from=2049-03-01&to=2049-03-31" % ward, token=token)
    eq(r.json["items"][0]["count"], 1, "only general-public asks students")
    p = d.request("GET", "/v1/consultations/%s/preflight" % made[0]["id"], token=token)
    check(any(f["community"] == "carers" and f["exceeded"] for f in p.json["fatigue"]), p.json["fatigue"])
    eq(p.json["clear"], False)
    problem(d.request("GET", "/v1/fatigue?community=carers", token=token), 400, "area")
    problem(d.request("GET", "/v1/fatigue?area=%s&community=aliens" % ward, token=token), 400, "community")
    problem(d.request("GET", "/v1/fatigue?area=%s&from=2049-01-01&to=2052-01-01" % ward, token=token), 400, "to")


def ec_rows(env):
    path = os.path.join(env.data_dir, "consultations", "ec_have_your_say_consultations_2016_2026.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        topics = []
        for part in r["topic"].split(", "):
            # "Economy, finance and the euro" is one topic with a comma in it
            if topics and part[:1].islower():
                topics[-1] += ", " + part
            elif part:
                topics.append(part)
        parse = lambda s: datetime.datetime.strptime(s.strip(), "%d %B %Y").date()
        title = r["initiative_name"].strip()
        if not title:  # three records have no name: their URL's slug carries it
            slug = urllib.parse.unquote(r["initiative_url"].rsplit("/", 1)[1])
            title = slug.split("-", 1)[1].replace("-", " ")
        out.append((title[:300], topics, parse(r["consultation_start_date"]),
                    parse(r["consultation_end_date"])))
    return out


@test
def european_commission_consultations_every_topic_pair_found(env):
    d = env.shared()
    _, token = env.new_org("European Commission (test data)")
    cardiff = "W06000015"
    rows = ec_rows(env)
    eq(len(rows), 657)
    posted = []
    for title, topics, start, end in rows:
        c = post(d, token, title=title, topics=topics, communities=[], areas=[cardiff], summary=None, methods=None,
                 fieldwork=fw(start.isoformat(), end.isoformat()))
        posted.append(c)
    vocab = {t["code"]: t["parent"] for t in d.request("GET", "/v1/vocabularies/topics", token=token).json["items"]}

    def share(x, y):
        for p in x["topics"]:
            for q in y["topics"]:
                if p == q or vocab.get(p) == q or vocab.get(q) == p:
                    return True
        return False

    found = {}
    for c in posted:
        r = d.request("GET", "/v1/consultations/%s/overlaps" % c["id"], token=token)
        for o in r.json["items"]:
            found[tuple(sorted(o["consultations"]))] = o
    expected = set()
    by_id = {c["id"]: c for c in posted}
    ids = sorted(by_id)
    for i, x in enumerate(ids):
        cx = by_id[x]
        sx, ex = datetime.date.fromisoformat(cx["fieldwork"]["start"]), datetime.date.fromisoformat(cx["fieldwork"]["end"])
        for y in ids[i + 1:]:
            cy = by_id[y]
            sy, ey = datetime.date.fromisoformat(cy["fieldwork"]["start"]), datetime.date.fromisoformat(cy["fieldwork"]["end"])
            gap = max(0, (max(sx, sy) - min(ex, ey)).days)
            if gap <= 28 and share(cx, cy):
                expected.add((x, y))
    missing = expected - set(found)
    print("     EC: %d topic-sharing pairs within 28 days expected, %d overlaps found, %d missing"
          % (len(expected), len(found), len(missing)))
    check(len(expected) > 1000, "a real test: %d pairs" % len(expected))
    eq(sorted(missing)[:5], [], "every topic-sharing pair within 28 days is found")
    for pair, o in found.items():
        if pair not in expected:
            check(o["reasons"]["text_similarity"] >= 0.45, "an overlap without a shared topic is a text match: %r" % o)


@test
def two_instances_record_each_pair_once(env):
    d1 = env.daemon()
    d2 = env.daemon()
    _, t1 = env.new_org("Race Council One")
    _, t2 = env.new_org("Race Council Two")
    wards = env.psql("SELECT x.code FROM area_ancestors x JOIN areas a ON a.code = x.code "
                     "WHERE x.ancestor = '%s' AND a.level = 'ward' ORDER BY x.code LIMIT 150" % KENT).split()
    eq(len(wards), 150)
    when = fw("2050-03-01", "2050-03-31")
    results = {1: [], 2: []}
    errors = []

    def worker(daemon, token, side, chunk):
        for ward in chunk:
            r = daemon.request("POST", "/v1/consultations", body(areas=[ward], topics=["road-safety"],
                                                                 communities=["children"], title="School street %s %d" % (ward, side),
                                                                 fieldwork=when, external_ref=None), token=token)
            if r.status != 201:
                errors.append(r)
            else:
                results[side].append(r.json)

    threads = []
    for k in range(4):
        chunk = wards[k::4]
        threads.append(threading.Thread(target=worker, args=(d1, t1, 1, chunk)))
        threads.append(threading.Thread(target=worker, args=(d2, t2, 2, chunk)))
    broad = []
    threads.append(threading.Thread(target=lambda: broad.append(d1.request(
        "POST", "/v1/consultations", body(areas=[KENT], topics=["road-safety"], communities=["children"],
                                          title="County speed review", fieldwork=when, external_ref=None), token=t1))))
    threads.append(threading.Thread(target=lambda: broad.append(d2.request(
        "POST", "/v1/consultations", body(areas=[KENT], topics=["road-safety"], communities=["children"],
                                          title="County road danger plan", fieldwork=when, external_ref=None), token=t2))))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    eq(errors, [], "every post succeeded")
    eq([r.status for r in broad], [201, 201])
    ids = [c["id"] for c in results[1] + results[2]] + [r.json["id"] for r in broad]
    eq(len(ids), 302)
    rows = env.psql("SELECT count(*), count(DISTINCT (consultation_a, consultation_b)) FROM overlap_pairs "
                    "WHERE consultation_a = ANY('{%s}') AND consultation_b = ANY('{%s}')"
                    % (",".join(ids), ",".join(ids)))
    total, distinct = map(int, rows.split("|"))
    # 150 same-ward pairs + each county post with all 300 ward posts + the two county posts
    eq((total, distinct), (150 + 2 * 300 + 1, 150 + 2 * 300 + 1), "every pair recorded exactly once")
    d1.stop()
    d2.stop()
