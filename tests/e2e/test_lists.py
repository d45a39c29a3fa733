"""GET /v1/consultations: every filter, area containment both ways, cursors."""
from harness import test, eq, check, problem
from common import create

# Real codes from the ONS lookups imported at start-up.
KENT = "E10000016"            # county
ASHFORD = "E07000105"         # district in Kent
SOUTH_EAST = "E12000008"      # region
CAMDEN = "E09000007"
BELSIZE = "E05000128"         # ward in Camden


def ids(r):
    return {c["id"] for c in r.json["items"]}


@test
def area_filter_uses_containment_both_ways(env):
    d = env.shared()
    org, token = env.new_org("Area Filter Council")
    ward = env.psql("SELECT code FROM area_parents WHERE parent = '%s' ORDER BY code LIMIT 1" % ASHFORD)
    sibling = env.psql("SELECT code FROM area_parents WHERE parent = '%s' ORDER BY code OFFSET 1 LIMIT 1" % ASHFORD)
    in_ward = create(d, token, areas=[ward], title="Ward-level parking review")
    county_wide = create(d, token, areas=[KENT], title="County-wide bus strategy")
    elsewhere = create(d, token, areas=[BELSIZE], title="Belsize library")
    q = lambda area: ids(d.request("GET", "/v1/consultations?organisation=%s&area=%s" % (org, area), token=token))
    eq(q(KENT), {in_ward["id"], county_wide["id"]}, "a county finds its wards and itself")
    eq(q(ward), {in_ward["id"], county_wide["id"]}, "a ward finds county-wide consultations")
    eq(q(sibling), {county_wide["id"]}, "a sibling ward does not find the other ward")
    eq(q(SOUTH_EAST), {in_ward["id"], county_wide["id"]}, "a region finds everything under it")
    eq(q(CAMDEN), {elsewhere["id"]})
    eq(q("E12000007"), {elsewhere["id"]}, "London contains Camden's ward")


@test
def term_status_date_text_and_organisation_filters(env):
    d = env.shared()
    org, token = env.new_org("Filter Council")
    a = create(d, token, topics=["social-housing"], communities=["carers"], title="Allocations policy review",
               summary="How we let council homes", fieldwork={"start": "2027-01-10", "end": "2027-02-10"})
    b = create(d, token, topics=["parks"], communities=["young carers"], title="Playground improvements",
               summary="New swings", fieldwork={"start": "2027-06-01", "end": "2027-06-30"})
    c = create(d, token, topics=["budget"], communities=["general-public"], title="Budget 2027/28",
               fieldwork={"start": "2027-12-01", "end": "2028-01-31"})
    base = "/v1/consultations?organisation=%s" % org
    get = lambda qs: ids(d.request("GET", base + "&" + qs, token=token))
    eq(get("topic=housing"), {a["id"]}, "a parent topic finds its children")
    eq(get("topic=Social%20housing"), {a["id"]}, "filters resolve labels")
    eq(get("topic=social-housing"), {a["id"]})
    eq(get("community=carers"), {a["id"], b["id"]}, "carers includes young carers")
    eq(get("community=young-carers"), {b["id"]})
    eq(get("from=2027-02-10&to=2027-06-01"), {a["id"], b["id"]}, "windows that touch the range")
    eq(get("from=2027-02-11&to=2027-05-31"), set())
    eq(get("from=2028-01-31"), {c["id"]})
    eq(get("q=playground"), {b["id"]})
    eq(get("q=council%20homes"), {a["id"]}, "summary is searched")
    d.request("DELETE", "/v1/consultations/" + c["id"], token=token, headers={"If-Match": '"1"'})
    eq(get("status=cancelled"), {c["id"]})
    eq(get("status=planned"), {a["id"], b["id"]})
    _, other = env.new_org("Other Filter Council")
    eq(ids(d.request("GET", base, token=other)), {a["id"], b["id"], c["id"]}, "every organisation reads all")


@test
def cursor_pagination_is_stable(env):
    d = env.shared()
    org, token = env.new_org("Paging Council")
    made = [create(d, token, title="Item %d" % i)["id"] for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        qs = "/v1/consultations?organisation=%s&limit=3" % org + ("&cursor=" + cursor if cursor else "")
        r = d.request("GET", qs, token=token)
        eq(r.status, 200)
        check(len(r.json["items"]) <= 3)
        seen += [c["id"] for c in r.json["items"]]
        pages += 1
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
        # an item created mid-way shows up at the end, never duplicating earlier pages
        if pages == 1:
            made.append(create(d, token, title="Late item")["id"])
    eq(seen, made, "every item once, in creation order")
    eq(pages, 3)
    r = d.request("GET", "/v1/consultations?organisation=%s&limit=1000" % org, token=token)
    eq(len(r.json["items"]), 8, "limit above 200 is clamped, not refused")
    eq(r.json["next_cursor"], None)
    r = d.request("GET", "/v1/consultations?limit=-1&cursor=zzz&area=nowhere&from=tomorrow&sort=asc", token=token)
    problem(r, 400, "limit", "cursor", "area", "from", "sort")
    problem(d.request("GET", "/v1/consultations?status=open", token=token), 400, "status")
    problem(d.request("GET", "/v1/consultations?organisation=acme", token=token), 400, "organisation")
