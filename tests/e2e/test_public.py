"""Visibility, calendar feeds and open data: API.md section 9.

Every calendar is parsed back with python3-icalendar (an independent parser,
run by /usr/bin/python3, which sees Debian's packages) and checked property
by property; the raw bytes are checked for CRLF and folding as well."""
import csv
import datetime
import hashlib
import io
import json
import os
import re
import subprocess

from harness import test, eq, check, problem
from common import body, create

CAMDEN = "E09000007"
BELSIZE = "E05000128"         # a ward in Camden
LONDON = "E12000007"
KENT = "E10000016"
PARSER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ical_parse.py")
PUBLIC_URL = "https://consult.example.org"
SECURITY = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def parse_ical(raw):
    p = subprocess.run(["/usr/bin/python3", PARSER], input=raw, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("python3-icalendar could not parse the calendar: %s" % p.stderr.decode()[-2000:])
    return json.loads(p.stdout)


def check_raw_ical(raw):
    """RFC 5545 section 3.1 on the bytes: CRLF only, at most 75 octets a line,
    folds never inside a UTF-8 sequence, continuation lines start with a space."""
    check(raw.endswith(b"\r\n"), "ends with CRLF")
    check(b"\n" not in raw.replace(b"\r\n", b""), "no bare LF")
    check(b"\r" not in raw.replace(b"\r\n", b""), "no bare CR")
    for line in raw.split(b"\r\n")[:-1]:
        check(len(line) <= 75, "line of %d octets: %r" % (len(line), line))
        line.decode("utf-8")  # a fold inside a character leaves a line that is not UTF-8
        check(re.match(rb"[A-Z]| ", line), "a property name or a continuation (one space, removed by unfolding)")


def days(n):
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


def public_daemon(env):
    d = getattr(env, "_public_daemon", None)
    if d is None or d.proc.poll() is not None:
        d = env._public_daemon = env.daemon({"CONSULTD_SERVER_PUBLIC_URL": PUBLIC_URL})
    return d


def feed(d, token, label="Camden plans", **filters):
    r = d.request("POST", "/v1/feeds", {"label": label, "filters": filters}, token=token)
    eq(r.status, 201, "feed created: %r" % r)
    return r.json


def path_of(url):
    check(url.startswith(PUBLIC_URL + "/feeds/"), "feed url under server.public_url: %s" % url)
    return url[len(PUBLIC_URL):]


def events_by_uid(cal):
    return {e["UID"]: e for e in cal["events"]}


@test
def visibility_defaults_to_partners_and_is_validated(env):
    d = env.shared()
    org, token = env.new_org("Visibility Council")
    a = create(d, token)
    eq(a["visibility"], "partners", "the default")
    b = create(d, token, visibility="public")
    eq(b["visibility"], "public")
    problem(d.request("POST", "/v1/consultations", body(visibility="everyone"), token=token), 422, "visibility")
    problem(d.request("POST", "/v1/consultations", body(visibility=True), token=token), 422, "visibility")
    r = d.request("PATCH", "/v1/consultations/" + a["id"], {"visibility": "public"}, token=token,
                  headers={"If-Match": '"1"'})
    eq(r.status, 200, "patch %r" % r)
    eq(r.json["visibility"], "public")
    eq(d.request("GET", "/v1/consultations/" + a["id"], token=token).json["visibility"], "public")
    r = d.request("PATCH", "/v1/consultations/" + b["id"], {"title": "Renamed"}, token=token,
                  headers={"If-Match": '"1"'})
    eq(r.json["visibility"], "public", "a patch without visibility keeps it")
    c = create(d, token)
    got = lambda qs: {x["id"] for x in d.request("GET", "/v1/consultations?organisation=%s&%s" % (org, qs),
                                                 token=token).json["items"]}
    eq(got("visibility=public"), {a["id"], b["id"]})
    eq(got("visibility=partners"), {c["id"]})
    problem(d.request("GET", "/v1/consultations?visibility=secret", token=token), 400, "visibility")
    # the spreadsheet round trip carries it: exported, and imported
    exp = d.request("GET", "/v1/consultations.csv?organisation=" + org, token=token)
    eq(exp.status, 200)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exp.body.decode("utf-8-sig"), newline=""))}
    eq(rows[a["id"]]["visibility"], "public")
    eq(rows[c["id"]]["visibility"], "partners")
    sheet = ("external_ref,title,areas,fieldwork_start,fieldwork_end,visibility\r\n"
             "VIS-CSV-1,Imported public plan,E09000007,2027-05-01,2027-05-20,public\r\n").encode()
    imp = d.request("POST", "/v1/consultations/import", raw=sheet, ctype="text/csv", token=token)
    eq(imp.status, 200, "import %r" % imp)
    made = imp.json["rows"][0]
    eq(made["status"], "created", "%r" % made)
    eq(d.request("GET", "/v1/consultations/" + made["id"], token=token).json["visibility"], "public")


@test
def feed_is_created_once_listed_and_revoked(env):
    d = public_daemon(env)
    org, token = env.new_org("Feed Council")
    other_org, other = env.new_org("Other Feed Council", role="coordinator")
    f = feed(d, token, areas=["Camden"], topics=["housing"], status="planned")
    eq(set(f), {"id", "label", "filters", "url", "created_at", "warnings"})
    eq(f["filters"]["areas"], [CAMDEN], "area names resolve to codes")
    eq(len(f["warnings"]), 1, "and say so: %r" % f["warnings"])
    eq(f["filters"]["status"], ["planned"])
    m = re.fullmatch(re.escape(PUBLIC_URL) + r"/feeds/([0-9a-f]{64})\.ics", f["url"])
    check(m, "url shape: %s" % f["url"])
    tok = m.group(1)
    stored = env.psql("SELECT encode(token_hash, 'hex') FROM calendar_feeds WHERE id = '%s'" % f["id"])
    eq(stored, hashlib.sha256(tok.encode()).hexdigest(), "only the token's SHA-256 is stored")
    eq(env.psql("SELECT count(*) FROM calendar_feeds WHERE filters::text LIKE '%%%s%%' OR label LIKE '%%%s%%'"
                % (tok, tok)), "0", "the token is stored nowhere")
    lst = d.request("GET", "/v1/feeds", token=token)
    eq(lst.status, 200)
    eq([x["id"] for x in lst.json["items"]], [f["id"]])
    check("url" not in lst.json["items"][0], "the address is shown once, at creation")
    eq(d.request("GET", "/v1/feeds", token=other).json["items"], [], "another organisation sees none")
    eq(d.request("DELETE", "/v1/feeds/" + f["id"], token=other).status, 404, "nor revokes it")
    eq(d.request("GET", path_of(f["url"])).status, 200)
    eq(d.request("DELETE", "/v1/feeds/" + f["id"], token=token).status, 204)
    gone = d.request("GET", path_of(f["url"]))
    unknown = d.request("GET", "/feeds/%s.ics" % ("0" * 64))
    problem(gone, 404)
    problem(unknown, 404)
    eq(gone.json["detail"], unknown.json["detail"], "a revoked feed looks like one that never existed")
    problem(d.request("GET", "/feeds/not-a-token.ics"), 404)
    problem(d.request("GET", "/feeds/%s" % tok), 404, )
    eq(d.request("DELETE", "/v1/feeds/" + f["id"], token=token).status, 404, "revoking twice")
    eq(d.request("GET", "/v1/feeds", token=token).json["items"], [])


@test
def feed_input_is_validated(env):
    d = public_daemon(env)
    _, token = env.new_org("Feed Validation Council")
    problem(d.request("POST", "/v1/feeds", {"filters": {}}, token=token), 422, "label")
    problem(d.request("POST", "/v1/feeds", {"label": "x", "filters": {"areas": ["Nowhere-on-sea-XYZ"]}},
                      token=token), 422, "filters.areas[0]")
    problem(d.request("POST", "/v1/feeds", {"label": "x", "filters": {"colour": "red"}}, token=token), 422,
            "filters.colour")
    problem(d.request("POST", "/v1/feeds", {"label": "x", "filters": {"status": "open"}}, token=token), 422,
            "filters.status")
    problem(d.request("POST", "/v1/feeds", {"label": "x", "filters": {"organisation": "acme"}}, token=token),
            422, "filters.organisation")
    problem(d.request("POST", "/v1/feeds", {"label": "x", "extra": 1}, token=token), 422, "extra")
    problem(d.request("POST", "/v1/feeds", {"label": "x"}), 401)
    # areas as people write them are resolved and said so; a code the register
    # does not hold is kept, and warned about
    r = d.request("POST", "/v1/feeds", {"label": "Warned", "filters": {"areas": ["camden", "E09999999", KENT]}},
                  token=token)
    eq(r.status, 201, "%r" % r)
    eq(r.json["filters"]["areas"], [CAMDEN, "E09999999", KENT])
    eq(len(r.json["warnings"]), 2, "%r" % r.json["warnings"])
    check(CAMDEN in r.json["warnings"][0], "the name's code is named: %r" % r.json["warnings"])
    check("filters.areas[1]: E09999999 is not in the area register" in r.json["warnings"][1], r.json["warnings"])
    eq(d.request("POST", "/v1/feeds", {"label": "Plain", "filters": {"areas": [CAMDEN]}}, token=token).json["warnings"],
       [], "nothing to say")


@test
def feed_calendar_is_rfc5545_and_follows_its_filters(env):
    d = public_daemon(env)
    org, token = env.new_org("Calendar Council")
    welsh = ("Ymgynghoriad ar Gynllun Datblygu Lleol – sesiwn galw heibio Gŵyl Banc, Caerdydd; "
             "ŵŷâêîôû ŵŷâêîôû ŵŷâêîôû ŵŷâêîôû ŵŷâêîôû ŵŷâêîôû")
    one_day = create(d, token, areas=[BELSIZE], topics=["social-housing"], title=welsh,
                     summary="Line one, with commas; and semicolons\\ and a backslash\nLine two",
                     fieldwork={"start": days(10), "end": days(10)})
    county = create(d, token, areas=[LONDON], topics=["housing"], title="London-wide housing plan",
                    fieldwork={"start": days(20), "end": days(50)}, visibility="public")
    other_topic = create(d, token, areas=[CAMDEN], topics=["parks"], title="Parks",
                         fieldwork={"start": days(20), "end": days(50)})
    elsewhere = create(d, token, areas=[KENT], topics=["housing"], title="Kent housing",
                       fieldwork={"start": days(20), "end": days(50)})
    too_far = create(d, token, areas=[CAMDEN], topics=["housing"], title="Far future",
                     fieldwork={"start": days(800), "end": days(810)})
    long_ago = create(d, token, areas=[CAMDEN], topics=["housing"], title="Long ago",
                      fieldwork={"start": days(-200), "end": days(-100)})
    recent = create(d, token, areas=[CAMDEN], topics=["housing"], title="Recently closed",
                    fieldwork={"start": days(-120), "end": days(-80)})
    f = feed(d, token, label="Camden housing, planned", areas=[CAMDEN], topics=["housing"],
             organisation=org)
    r = d.request("GET", path_of(f["url"]))
    eq(r.status, 200, "%r" % r)
    eq(r.header("content-type"), "text/calendar; charset=utf-8")
    check(r.header("content-encoding") is None, "served uncompressed")
    check(re.fullmatch(r'"[0-9a-f]{32}"', r.header("etag") or ""), "ETag %r" % r.header("etag"))
    check_raw_ical(r.body)
    check(max(len(x) for x in r.body.split(b"\r\n")) == 75, "the long Welsh title was folded at 75 octets")
    cal = parse_ical(r.body)
    eq(cal["errors"], [], "parser errors")
    eq(cal["calendar"]["VERSION"], "2.0")
    check(cal["calendar"]["PRODID"].startswith("-//consultd//"), "PRODID")
    eq(cal["calendar"]["X-WR-CALNAME"], "Camden housing, planned")
    eq(cal["calendar"]["NAME"], "Camden housing, planned")
    eq(cal["calendar"]["X-PUBLISHED-TTL"], "PT1H")
    check("REFRESH-INTERVAL" in cal["calendar"], "REFRESH-INTERVAL")
    ev = events_by_uid(cal)
    uid = lambda c: "consultation-%s@consultd" % c["id"]
    eq(set(ev), {uid(one_day), uid(county), uid(recent)},
       "containment both ways, the topic hierarchy, partners-only included, the window from 90 days back "
       "to two years ahead")
    check(uid(other_topic) not in ev and uid(elsewhere) not in ev and uid(too_far) not in ev
          and uid(long_ago) not in ev)
    e = ev[uid(one_day)]
    eq(e["SUMMARY"], welsh, "multi-byte text survives folding and escaping")
    check(e["DESCRIPTION"].startswith("Line one, with commas; and semicolons\\ and a backslash\nLine two"),
          "DESCRIPTION %r" % e["DESCRIPTION"])
    check("Calendar Council" in e["DESCRIPTION"], "the organisation is named")
    eq(e["DTSTART"], {"date": days(10)}, "DTSTART;VALUE=DATE is the first day")
    eq(e["DTEND"], {"date": days(11)}, "DTEND;VALUE=DATE is the day after the last (exclusive)")
    eq(e["DTSTART;params"], {"VALUE": "DATE"})
    eq(e["SEQUENCE"], 1)
    eq(e["STATUS"], "TENTATIVE")
    eq(e["TRANSP"], "TRANSPARENT")
    eq(e["URL"], "%s/console/#/consultations/%s" % (PUBLIC_URL, one_day["id"]))
    check(e["DTSTAMP"]["utc"], "DTSTAMP in UTC")
    check("Belsize" in e.get("LOCATION", ""), "LOCATION names the area: %r" % e.get("LOCATION"))
    eq(e["CATEGORIES"], ["social-housing"], "CATEGORIES are the topics")
    check("engage@example.org" not in r.body.decode(), "no contact e-mail in a calendar")
    eq(ev[uid(county)]["DTEND"], {"date": days(51)})

    # conditional requests
    etag = r.header("etag")
    same = d.request("GET", path_of(f["url"]))
    eq(same.header("etag"), etag, "unchanged data, the same ETag")
    eq(same.body, r.body, "and the same bytes")
    again = d.request("GET", path_of(f["url"]), headers={"If-None-Match": etag})
    eq(again.status, 304)
    eq(again.body, b"")
    eq(d.request("GET", path_of(f["url"]), headers={"If-None-Match": '"other", ' + etag}).status, 304)
    eq(d.request("GET", path_of(f["url"]), headers={"If-None-Match": '"other"'}).status, 200)

    # a moved consultation moves: same UID, higher SEQUENCE, new dates, new ETag
    moved = d.request("PATCH", "/v1/consultations/" + one_day["id"],
                      {"fieldwork": {"start": days(30), "end": days(32)}}, token=token, headers={"If-Match": '"1"'})
    eq(moved.status, 200)
    r2 = d.request("GET", path_of(f["url"]), headers={"If-None-Match": etag})
    eq(r2.status, 200, "the calendar changed")
    check(r2.header("etag") != etag, "a new ETag")
    ev2 = events_by_uid(parse_ical(r2.body))
    eq(len([u for u in ev2 if u == uid(one_day)]), 1, "one event, not two")
    eq(ev2[uid(one_day)]["SEQUENCE"], 2)
    eq(ev2[uid(one_day)]["DTSTART"], {"date": days(30)})
    eq(ev2[uid(one_day)]["DTEND"], {"date": days(33)})
    # cancelled: still there, CANCELLED, so subscribed calendars drop it
    d.request("DELETE", "/v1/consultations/" + county["id"], token=token, headers={"If-Match": '"1"'})
    d.request("POST", "/v1/consultations/%s/outreach" % recent["id"], {"override_reason": "test"}, token=token)
    ev3 = events_by_uid(parse_ical(d.request("GET", path_of(f["url"])).body))
    eq(ev3[uid(county)]["STATUS"], "CANCELLED")
    eq(ev3[uid(county)]["SEQUENCE"], 2)
    eq(ev3[uid(recent)]["STATUS"], "CONFIRMED", "in the field")
    # an edit outside the feed leaves its ETag alone; an organisation renamed changes it
    tag = d.request("GET", path_of(f["url"])).header("etag")
    d.request("PATCH", "/v1/consultations/" + elsewhere["id"], {"title": "Kent housing 2"}, token=token,
              headers={"If-Match": '"1"'})
    eq(d.request("GET", path_of(f["url"]), headers={"If-None-Match": tag}).status, 304)
    env.psql("UPDATE organisations SET name = 'Calendar Council (renamed)' WHERE id = '%s'" % org)
    renamed = d.request("GET", path_of(f["url"]), headers={"If-None-Match": tag})
    eq(renamed.status, 200, "the organisation's name is in every DESCRIPTION")
    check("Calendar Council (renamed)" in parse_ical(renamed.body)["events"][0]["DESCRIPTION"])


def calendar_metric(d, name):
    m = re.search(r"^%s (\d+)$" % re.escape(name), d.request("GET", "/metrics").body.decode(), re.M)
    check(m, "%s in /metrics" % name)
    return int(m.group(1))


def vevents(raw):
    """The calendar's VEVENT blocks as bytes, in order."""
    return re.findall(rb"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", raw, re.S)


@test
def calendar_events_are_rendered_once_and_put_together_the_same(env):
    d = public_daemon(env)
    org, token = env.new_org("Kept Events Council")
    made = [create(d, token, areas=[BELSIZE], topics=["parks"], title="Kept event %d, with; escapes" % i,
                   fieldwork={"start": days(5 + i), "end": days(9 + i)}) for i in range(5)]
    rendered = lambda: calendar_metric(d, "consultd_calendar_events_rendered_total")
    first = feed(d, token, label="Kept A", organisation=org)
    before = rendered()
    a = d.request("GET", path_of(first["url"]))
    eq(a.status, 200)
    eq(rendered() - before, 5, "every event rendered from its row the first time")
    eq(len(vevents(a.body)), 5)

    # another feed over the same rows: a calendar of its own (its name differs),
    # put together from the events kept, byte for byte the same events
    second = feed(d, token, label="Kept B", organisation=org)
    before = rendered()
    b = d.request("GET", path_of(second["url"]))
    eq(b.status, 200)
    eq(rendered() - before, 0, "no event rendered again")
    check(b.header("etag") != a.header("etag"), "a calendar of its own")
    eq(vevents(b.body), vevents(a.body), "the same events")
    eq(parse_ical(b.body)["calendar"]["X-WR-CALNAME"], "Kept B")
    check_raw_ical(b.body)

    # one edit: that event alone is rendered again, and moves
    moved = d.request("PATCH", "/v1/consultations/" + made[2]["id"],
                      {"fieldwork": {"start": days(40), "end": days(41)}}, token=token, headers={"If-Match": '"1"'})
    eq(moved.status, 200)
    before = rendered()
    c = d.request("GET", path_of(first["url"]), headers={"If-None-Match": a.header("etag")})
    eq(c.status, 200)
    eq(rendered() - before, 1, "only the edited event rendered again")
    ev = events_by_uid(parse_ical(c.body))
    eq(ev["consultation-%s@consultd" % made[2]["id"]]["DTSTART"], {"date": days(40)})
    eq(ev["consultation-%s@consultd" % made[2]["id"]]["SEQUENCE"], 2)
    check(vevents(c.body)[-1].find(made[2]["id"].encode()) > 0, "in calendar order: now the last")

    # a daemon with nothing kept renders the very same bytes
    fresh = env.daemon({"CONSULTD_SERVER_PUBLIC_URL": PUBLIC_URL})
    again = fresh.request("GET", path_of(first["url"]))
    eq(again.status, 200)
    eq(calendar_metric(fresh, "consultd_calendar_events_rendered_total"), 5, "rendered from the rows")
    eq(again.body, c.body, "put together or rendered whole, the same bytes")
    eq(again.header("etag"), c.header("etag"), "and the same ETag")
    fresh.stop()

    # the organisation renamed: each event names it, so each is rendered again
    env.psql("UPDATE organisations SET name = 'Kept Events Council (renamed)' WHERE id = '%s'" % org)
    before = rendered()
    r = d.request("GET", path_of(second["url"]))
    eq(rendered() - before, 5)
    check(all(b"Kept Events Council (renamed)" in e.replace(b"\r\n ", b"") for e in vevents(r.body)),
          "every event names the new name")


@test
def empty_calendar_is_still_a_calendar(env):
    d = public_daemon(env)
    _, token = env.new_org("Empty Calendar Council")
    f = feed(d, token, label="Nothing here", organisation="00000000-0000-7000-8000-000000000000")
    r = d.request("GET", path_of(f["url"]))
    eq(r.status, 200)
    check_raw_ical(r.body)
    check(r.body.startswith(b"BEGIN:VCALENDAR\r\n") and r.body.endswith(b"END:VCALENDAR\r\n"), "a VCALENDAR")
    cal = parse_ical(r.body)
    eq(cal["events"], [])
    eq(cal["calendar"]["VERSION"], "2.0")
    check(cal["calendar"]["PRODID"], "PRODID")


def public_routes(org):
    """Every public route that lists consultations, with query variants."""
    qs = ["", "?organisation=" + org, "?area=" + CAMDEN, "?area=Camden", "?status=planned",
          "?organisation=%s&status=planned&topic=housing" % org, "?q=secret", "?from=2000-01-01"]
    return ["/public/consultations.%s%s" % (ext, q) for ext in ("ics", "json", "csv") for q in qs]


@test
def public_routes_never_show_partners_only(env):
    d = public_daemon(env)
    org, token = env.new_org("Boundary Council")
    secret = create(d, token, areas=[CAMDEN], topics=["housing"], title="Secret partners-only housing review",
                    summary="secret", fieldwork={"start": days(5), "end": days(40)},
                    contact={"name": "Boundary team", "email": "hidden@boundary.example"})
    shown = create(d, token, areas=[CAMDEN], topics=["housing"], title="Public housing review",
                   summary="secret word too", fieldwork={"start": days(5), "end": days(40)}, visibility="public",
                   contact={"name": "Boundary team", "email": "hidden@boundary.example"})
    for path in public_routes(org):
        r = d.request("GET", path)
        eq(r.status, 200, "%s: %r" % (path, r))
        text = r.body.decode()
        check(secret["id"] not in text, "%s shows a partners-only consultation" % path)
        check("hidden@boundary.example" not in text, "%s shows a contact e-mail" % path)
        for k, v in SECURITY.items():
            eq(r.header(k), v, "%s %s" % (path, k))
        check("frame-ancestors 'none'" in (r.header("content-security-policy") or ""), "%s CSP" % path)
        if "status=" not in path and "q=" not in path or "q=secret" in path:
            check(shown["id"] in text, "%s shows the public one" % path)
    # even once the partners-only one is public for a moment and back again
    r = d.request("PATCH", "/v1/consultations/" + secret["id"], {"visibility": "public"}, token=token,
                  headers={"If-Match": '"1"'})
    check(secret["id"] in d.request("GET", "/public/consultations.json?organisation=" + org).body.decode(),
          "the test can fail: a public one is shown")
    d.request("PATCH", "/v1/consultations/" + secret["id"], {"visibility": "partners"}, token=token,
              headers={"If-Match": '"2"'})
    for path in public_routes(org):
        check(secret["id"] not in d.request("GET", path).body.decode(), "%s after going back" % path)
    # the static routes carry the same headers, errors too
    for path in ("/public/", "/public/app.js", "/public/style.css", "/public/datapackage.json",
                 "/public/consultations.json?colour=red", "/public/consultations.ics?area=Nowhere-XYZ"):
        r = d.request("GET", path)
        for k, v in SECURITY.items():
            eq(r.header(k), v, "%s %s" % (path, k))
        check("frame-ancestors 'none'" in (r.header("content-security-policy") or ""), "%s CSP" % path)
    problem(d.request("GET", "/public/consultations.json?colour=red"), 400, "colour")
    problem(d.request("GET", "/public/consultations.csv?status=secret"), 400, "status")
    problem(d.request("GET", "/public/consultations.ics?area=Nowhere-XYZ"), 400, "area")


@test
def public_open_data_is_typed_and_stable(env):
    d = public_daemon(env)
    org, token = env.new_org("Open Data Council")
    a = create(d, token, areas=[CAMDEN, BELSIZE], topics=["housing", "parks"], communities=["carers"],
               title='=HYPERLINK("http://evil") "quoted", with commas', summary="Multi\nline",
               fieldwork={"start": days(3), "end": days(9)}, visibility="public", expected_participants=None)
    pkg = d.request("GET", "/public/datapackage.json")
    eq(pkg.status, 200)
    dp = pkg.json
    eq([x["name"] for x in dp["licenses"]], ["OGL-UK-3.0"])
    types = {"string", "number", "integer", "boolean", "object", "array", "date", "time", "datetime", "year",
             "yearmonth", "duration", "geopoint", "geojson", "any"}
    by_path = {}
    for res in dp["resources"]:
        check(re.fullmatch(r"[a-z0-9._-]+", res["name"]), "resource name %r" % res["name"])
        check(re.fullmatch(r"[a-z0-9._-]+", res["path"]) and not res["path"].startswith("."),
              "a relative, safe path: %r" % res["path"])
        names = [f["name"] for f in res["schema"]["fields"]]
        eq(len(names), len(set(names)), "unique field names")
        for f in res["schema"]["fields"]:
            check(f["type"] in types, "%s: type %r" % (f["name"], f["type"]))
            check(f.get("description"), "%s is described" % f["name"])
        for k in res["schema"].get("primaryKey", []):
            check(k in names, "primary key %s is a field" % k)
        by_path[res["path"]] = res
    csv_res, json_res = by_path["consultations.csv"], by_path["consultations.json"]

    r = d.request("GET", "/public/consultations.csv?organisation=" + org)
    eq(r.status, 200)
    check(r.header("content-type").startswith("text/csv"), "CSV type")
    check(re.fullmatch(r'"[0-9a-f]{32}"', r.header("etag") or ""), "ETag")
    eq(d.request("GET", "/public/consultations.csv?organisation=" + org,
                 headers={"If-None-Match": r.header("etag")}).status, 304)
    check(b"\r\n" in r.body and b"\n" not in r.body.replace(b"\r\n", b"").replace(b"Multi\nline", b""),
          "CRLF records")
    rows = list(csv.reader(io.StringIO(r.body.decode(), newline="")))
    eq(rows[0], [f["name"] for f in csv_res["schema"]["fields"]], "the header is the schema's fields")
    eq(len(rows), 2)
    row = dict(zip(rows[0], rows[1]))
    eq(row["id"], a["id"])
    eq(row["title"], "'" + a["title"], "a formula-like cell is written as text")
    eq(row["areas"], "%s;%s" % (CAMDEN, BELSIZE))
    eq(row["summary"], "Multi\nline")
    eq(row["expected_participants"], "")
    for f in csv_res["schema"]["fields"]:
        v = row[f["name"]]
        if v == "":
            check(not f.get("constraints", {}).get("required"), "%s is required" % f["name"])
            continue
        if f["type"] == "integer":
            int(v)
        elif f["type"] == "date":
            datetime.date.fromisoformat(v)
        elif f["type"] == "datetime":
            check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v), "datetime %r" % v)
        elif f.get("format") == "uuid":
            check(re.fullmatch(r"[0-9a-f-]{36}", v), "uuid %r" % v)
        if "enum" in f.get("constraints", {}):
            check(v in f["constraints"]["enum"], "%s in its enum" % f["name"])

    j = d.request("GET", "/public/consultations.json?organisation=" + org)
    eq(j.status, 200)
    eq(len(j.json), 1)
    doc = j.json[0]
    eq(sorted(doc), sorted(f["name"] for f in json_res["schema"]["fields"]), "the JSON has the schema's fields")
    pytypes = {"string": str, "object": dict, "array": list, "integer": int, "date": str, "datetime": str}
    for f in json_res["schema"]["fields"]:
        v = doc[f["name"]]
        if v is None:
            check(not f.get("constraints", {}).get("required"), "%s null but required" % f["name"])
        else:
            check(isinstance(v, pytypes[f["type"]]), "%s is a %s" % (f["name"], f["type"]))
    eq(doc["title"], a["title"])
    check("contact" not in doc and "external_ref" not in doc, "no contact, no internal reference")
    eq(j.header("etag"), d.request("GET", "/public/consultations.json?organisation=" + org).header("etag"),
       "a stable ETag for unchanged data")


@test
def public_page_is_static_and_strict(env):
    d = public_daemon(env)
    r = d.request("GET", "/public/")
    eq(r.status, 200)
    check(r.header("content-type").startswith("text/html"), "HTML")
    html = r.body.decode()
    csp = r.header("content-security-policy")
    check("script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp, csp)
    check(re.search(r"<script(?![^>]*\bsrc=)", html) is None, "no inline script")
    check("<style" not in html and " style=" not in html and " on" + "click=" not in html, "no inline style or handler")
    check('lang="en"' in html and "<label" in html and "<main" in html, "labelled, landmarked, with a language")
    js = d.request("GET", "/public/app.js")
    eq(js.status, 200)
    check(js.header("content-type").startswith("text/javascript"), "JS type")
    check("innerHTML" not in js.body.decode() and "consultations.json" in js.body.decode(), "text only")
    eq(d.request("GET", "/public/", headers={"If-None-Match": r.header("etag")}).status, 304)
    problem(d.request("GET", "/public/nothing.txt"), 404)


@test
def openapi_documents_feeds_and_public_routes(env):
    doc = env.shared().request("GET", "/openapi.json").json
    want = {"/v1/feeds": ["get", "post"], "/v1/feeds/{id}": ["delete"], "/feeds/{token}.ics": ["get"],
            "/public/consultations.ics": ["get"], "/public/consultations.json": ["get"],
            "/public/consultations.csv": ["get"], "/public/datapackage.json": ["get"], "/public/": ["get"]}
    for path, methods in want.items():
        check(path in doc["paths"], "OpenAPI has " + path)
        for m in methods:
            check(m in doc["paths"][path], "OpenAPI has %s %s" % (m, path))
        if not path.startswith("/v1/"):
            eq(doc["paths"][path]["get"].get("security"), [], "%s needs no authentication" % path)
    for s in ("ConsultationInput", "Consultation"):
        eq(doc["components"]["schemas"][s]["properties"]["visibility"]["enum"], ["partners", "public"])


LINCOLN_DISTRICT, LINCOLN_WARD_BRECKLAND, LINCOLN_ABBEY = "E07000138", "E05010250", "E05010784"


@test
def public_area_search_needs_no_key_and_ranks_places(env):
    d = public_daemon(env)

    def search(qs):
        r = d.request("GET", "/public/areas?" + qs)
        eq(r.status, 200, "GET /public/areas?%s: %r" % (qs, r))
        for k, v in SECURITY.items():
            eq(r.header(k), v, k)
        return r.json["items"]

    items = search("q=Lincoln")
    eq([i["code"] for i in items[:2]], [LINCOLN_DISTRICT, LINCOLN_WARD_BRECKLAND],
       "the two places called Lincoln, the district (the larger) first")
    eq(items[1]["level"], "ward")
    eq(items[1]["parents"][0]["name"], "Breckland", "each with its parent, so they can be told apart")
    check(all(set(i) == {"code", "name", "name_cy", "level", "parents"} for i in items), "the /v1/areas items")
    eq([i["code"] for i in search("q=Abbey%20(Lincoln)")], [LINCOLN_ABBEY], "\"Name (Parent)\" finds the one")
    eq([i["code"] for i in search("q=abbey%20(linc")], [LINCOLN_ABBEY], "while the parent is still typed")
    eq(len(search("q=a")), 10, "10 by default")
    eq(len(search("q=a&limit=500")), 20, "at most 20 at a time")
    eq(search("q=LN2%205AB"), [], "no postcodes in the register")
    problem(d.request("GET", "/public/areas"), 400, "q")
    problem(d.request("GET", "/public/areas?q=" + "x" * 201), 400, "q")
    problem(d.request("GET", "/public/areas?q=abbey&limit=0"), 400, "limit")
    problem(d.request("GET", "/public/areas?q=abbey&colour=red"), 400, "colour")
    # the partners' search shares the definition
    _, token = env.new_org("Public Search Council")
    r = d.request("GET", "/v1/areas?q=Abbey%20(Lincoln)", token=token)
    eq([i["code"] for i in r.json["items"]], [LINCOLN_ABBEY], "/v1/areas takes \"Name (Parent)\" too")
    doc = d.request("GET", "/openapi.json").json
    eq(doc["paths"]["/public/areas"]["get"].get("security"), [], "documented, with no authentication")


@test
def public_area_search_is_rate_limited_per_client(env):
    d = env.daemon({"CONSULTD_LIMITS_KEY_BURST": "3", "CONSULTD_LIMITS_KEY_RATE": "1"})
    try:
        codes = [d.request("GET", "/public/areas?q=abbey").status for _ in range(6)]
        check(codes[:3] == [200, 200, 200] and 429 in codes[3:], "a burst of 3, then 429: %r" % codes)
        r = d.request("GET", "/public/areas?q=abbey")
        if r.status == 429:
            check(int(r.header("retry-after")) >= 1, "Retry-After")
            check(r.header("content-type").startswith("application/problem+json"), "problem+json")
        check('"per-client"' in (r.header("ratelimit-policy") or ""), "RateLimit-Policy %r" % r.header("ratelimit-policy"))
    finally:
        d.stop()


@test
def public_json_names_places_and_labels_terms(env):
    d = public_daemon(env)
    org, token = env.new_org("Names Council")
    a = create(d, token, areas=[CAMDEN, BELSIZE], topics=["housing-repairs"], communities=["social-housing-tenants"],
               title="Repairs survey", fieldwork={"start": days(3), "end": days(9)}, visibility="public")
    vocab = {}
    for v in ("topics", "communities", "methods"):
        vocab[v] = {t["code"]: t["label"] for t in d.request("GET", "/v1/vocabularies/" + v, token=token).json["items"]}
    j = d.request("GET", "/public/consultations.json?organisation=" + org)
    eq(j.status, 200)
    doc = j.json[0]
    eq(doc["places"], [{"code": CAMDEN, "name": "Camden", "level": "district", "parent": doc["places"][0]["parent"]},
                       {"code": BELSIZE, "name": "Belsize", "level": "ward", "parent": "Camden"}])
    eq(doc["topic_labels"], [vocab["topics"][c] for c in doc["topics"]])
    check(doc["topic_labels"] != doc["topics"], "labels, not codes: %r" % doc["topic_labels"])
    eq(doc["community_labels"], [vocab["communities"][c] for c in doc["communities"]])
    eq(doc["method_labels"], [vocab["methods"][c] for c in doc["methods"]])
    # one consultation by its id: what the public calendar's links open
    one = d.request("GET", "/public/consultations.json?id=" + a["id"])
    eq([c["id"] for c in one.json], [a["id"]])
    problem(d.request("GET", "/public/consultations.json?id=not-a-uuid"), 400, "id")
    secret = create(d, token, areas=[CAMDEN], title="Partners only", fieldwork={"start": days(3), "end": days(9)})
    eq(d.request("GET", "/public/consultations.json?id=" + secret["id"]).json, [], "never a partners-only one")


@test
def public_calendar_names_the_public_page(env):
    d = public_daemon(env)
    org, token = env.new_org("Link Council")
    a = create(d, token, areas=[CAMDEN], title="Linked plan", fieldwork={"start": days(3), "end": days(9)},
               visibility="public")
    r = d.request("GET", "/public/consultations.ics?organisation=" + org)
    eq(r.status, 200)
    check_raw_ical(r.body)
    cal = parse_ical(r.body)
    eq(cal["errors"], [], "parser errors")
    ev = events_by_uid(cal)["consultation-%s@consultd" % a["id"]]
    eq(ev["URL"], "%s/console/#/consultations/%s" % (PUBLIC_URL, a["id"]), "URL: its page in the console (API.md)")
    check(ev["DESCRIPTION"].endswith("Details: %s/public/?consultation=%s" % (PUBLIC_URL, a["id"])),
          "the description names a page a resident can open: %r" % ev["DESCRIPTION"])
    page = d.request("GET", "/public/?consultation=" + a["id"])
    eq(page.status, 200, "the link opens")
