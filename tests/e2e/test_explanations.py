"""Overlap explanations read aloud to both organisations: every statement true of both sides,
on Lincoln's real wards (the ONS lookups imported at the start of the run)."""
from harness import test, eq, check
from common import create

LINCOLN, LINCOLNSHIRE = "E07000138", "E10000019"


def fw(start, end):
    return {"start": start, "end": end}


def lincoln_wards(env):
    """Lincoln's wards as the imported lookup has them, by code: [(code, name)]."""
    rows = env.psql("SELECT a.code || '|' || a.name FROM area_parents p JOIN areas a ON a.code = p.code"
                    " WHERE p.parent = '%s' AND a.level = 'ward' ORDER BY a.code" % LINCOLN).splitlines()
    return [tuple(r.split("|", 1)) for r in rows]


def overlap_of(d, token, later, earlier):
    """The overlap the later write found with the earlier one, as the API gives it."""
    hits = [o for o in later["overlaps"] if o["other"]["id"] == earlier["id"]]
    eq(len(hits), 1, "one overlap between the pair")
    r = d.request("GET", "/v1/overlaps/%s" % hits[0]["id"], token=token)
    eq(r.status, 200)
    eq(r.json["explanation"], hits[0]["explanation"], "the stored explanation is the one the write returned")
    return r.json


def post(d, token, **over):
    over.setdefault("external_ref", None)
    over.setdefault("summary", "Tell us what you think.")
    return create(d, token, **over)


@test
def county_plan_meets_two_wards_in_both(env):
    d = env.shared()
    _, county = env.new_org("Lincolnshire County Council (explained)")
    _, city = env.new_org("City of Lincoln Council (explained)")
    wards = lincoln_wards(env)
    eq(len(wards), 11, "Lincoln has eleven wards in the lookup")
    (abbey, abbey_name), (birchwood, birchwood_name) = wards[0], wards[1]
    eq((abbey_name, birchwood_name), ("Abbey", "Birchwood"))
    care = dict(topics=["adult-social-care", "libraries"], communities=["carers"])
    a = post(d, county, areas=[LINCOLNSHIRE], title="Unpaid carers strategy for Lincolnshire",
             fieldwork=fw("2027-09-15", "2027-10-30"), **care)
    b = post(d, city, areas=[abbey, birchwood], title="Carers' breaks in Abbey and Birchwood",
             fieldwork=fw("2027-10-01", "2027-11-20"), **care)
    o = overlap_of(d, city, b, a)
    eq(sorted(o["reasons"]["areas"]), sorted([abbey, birchwood]), "both wards are shared")
    eq(o["explanation"], "Both ask unpaid carers in Abbey and Birchwood about adult social care and libraries "
                         "between 1 and 30 October 2027.")


@test
def young_people_in_five_wards_and_everyone_in_eleven(env):
    d = env.shared()
    _, youth = env.new_org("Lincoln Youth Forum (explained)", kind="vcse")
    _, city = env.new_org("City of Lincoln Community Safety (explained)")
    codes = [c for c, _ in lincoln_wards(env)]
    a = post(d, youth, areas=codes[:5], topics=["community-safety"], communities=["young-people"],
             title="Feeling safe after dark", fieldwork=fw("2027-03-01", "2027-03-20"))
    b = post(d, city, areas=codes, topics=["community-safety"], communities=["general-public"],
             title="Community safety plan 2027", fieldwork=fw("2027-02-15", "2027-04-30"))
    o = overlap_of(d, city, b, a)
    eq(sorted(o["reasons"]["areas"]), sorted(codes[:5]), "they meet in five wards")
    eq(o["explanation"], "One asks young people and the other, through the general public, everyone in 5 wards of "
                         "Lincoln about community safety between 1 and 20 March 2027.")
    check("Both" not in o["explanation"], "neither side is said to ask what it does not")


@test
def district_plan_against_ward_lists(env):
    d = env.shared()
    _, city = env.new_org("City of Lincoln Housing (explained)")
    _, trust = env.new_org("Lincoln Housing Trust (explained)", kind="housing")
    codes = [c for c, _ in lincoln_wards(env)]
    base = dict(topics=["housing"], communities=["older-people"])
    a = post(d, city, areas=[LINCOLN], title="Housing strategy for Lincoln",
             fieldwork=fw("2027-12-20", "2028-01-31"), **base)
    every = post(d, trust, areas=codes, title="Older people's housing needs, every ward",
                 fieldwork=fw("2027-11-01", "2028-01-10"), **base)
    o = overlap_of(d, trust, every, a)
    eq(sorted(o["reasons"]["areas"]), sorted(codes), "every ward is shared")
    eq(o["explanation"], "Both ask older people across Lincoln about housing between 20 December 2027 and "
                         "10 January 2028.")
    four = post(d, trust, areas=codes[5:9], title="Downsizing in four wards",
                fieldwork=fw("2027-11-01", "2028-01-10"), **base)
    o = overlap_of(d, trust, four, a)
    eq(sorted(o["reasons"]["areas"]), sorted(codes[5:9]))
    eq(o["explanation"], "Both ask older people in 4 wards of Lincoln about housing between 20 December 2027 and "
                         "10 January 2028.")
