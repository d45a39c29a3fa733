"""Calendars under churn: many calendar requests in parallel while their
consultations are edited (API.md section 9).

A calendar is read in two steps (its events' keys, then the rows of the events
not kept) and put together from kept events, so every edit races the readers.
Each edit writes what its version will be into the row (the title names it,
the dates and the visibility follow from it), so whatever version a calendar
shows, its bytes can be checked against that version; and a version confirmed
before a calendar was asked for must not be shown older (nothing stale). The
organisation is renamed meanwhile too (every event names it), which changes
every event's key under readers that have read the keys but not yet the rows."""
import datetime
import json
import os
import random
import re
import subprocess
import threading
import time

from harness import test, eq, check
from common import create
CAMDEN = "E09000007"
N = 24
PUBLIC_URL = "https://consult.example.org"
PARSER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ical_parse.py")


def parse_ical(raw):
    p = subprocess.run(["/usr/bin/python3", PARSER], input=raw, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("python3-icalendar could not parse the calendar: %s" % p.stderr.decode()[-2000:])
    return json.loads(p.stdout)


def vevents(raw):
    return re.findall(rb"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", raw, re.S)


def check_lines(raw):
    """CRLF only, at most 75 octets a line (RFC 5545 section 3.1)."""
    check(raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n"), "one whole VCALENDAR")
    check(b"\n" not in raw.replace(b"\r\n", b""), "no bare LF")
    check(all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines folded at 75 octets")


def day(n):
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


def is_public(version):
    return version % 3 != 0


def shape(i, version):
    """What consultation i holds at this version."""
    return {"title": "Churn %d at v%d" % (i, version), "start": day(3 + (i + version) % 9),
            "end": day(12 + (i + version) % 9), "visibility": "public" if is_public(version) else "partners"}


def unfold(raw):
    return raw.replace(b"\r\n ", b"").decode()


def prop(text, name):
    m = re.search(r"^%s(?:;[^:\r\n]*)?:(.*)$" % name, text, re.M)
    return m.group(1).rstrip("\r") if m else None


@test(timeout=240)
def calendars_stay_right_while_their_rows_are_edited(env):
    d = env.daemon({"CONSULTD_SERVER_PUBLIC_URL": PUBLIC_URL})
    org, token = env.new_org("Churn Council")
    env.psql("UPDATE organisations SET name = 'Churn Council 0' WHERE id = '%s'" % org)
    ids = []
    for i in range(N):
        s = shape(i, 1)
        c = create(d, token, areas=[CAMDEN], title=s["title"], visibility=s["visibility"],
                   fieldwork={"start": s["start"], "end": s["end"]})
        ids.append(c["id"])
    index = {cid: i for i, cid in enumerate(ids)}
    # the version each consultation is known to have reached (confirmed by its edit's answer)
    confirmed = {cid: 1 for cid in ids}
    # the organisation's name (each event names it), renamed meanwhile: "Churn Council <k>"
    renamed = [0]
    lock = threading.Lock()
    f = d.request("POST", "/v1/feeds", {"label": "Churn feed", "filters": {"organisation": org}}, token=token)
    eq(f.status, 201)
    cal_feed = f.json["url"][len(PUBLIC_URL):]
    public = "/public/consultations.ics?organisation=" + org
    stop = threading.Event()
    failures, counts = [], {"edits": 0, "calendars": 0, "304": 0}

    def editor(mine):
        rnd = random.Random(len(mine))
        while not stop.is_set():
            cid = rnd.choice(mine)
            with lock:
                v = confirmed[cid]
            s = shape(index[cid], v + 1)
            r = d.request("PATCH", "/v1/consultations/" + cid,
                          {"title": s["title"], "visibility": s["visibility"],
                           "fieldwork": {"start": s["start"], "end": s["end"]}},
                          token=token, headers={"If-Match": '"%d"' % v})
            if r.status != 200 or r.json["version"] != v + 1:
                failures.append("edit of %s at v%d: %r" % (cid, v, r))
                return
            with lock:
                confirmed[cid] = v + 1
                counts["edits"] += 1

    def renamer():
        while not stop.is_set():
            env.psql("UPDATE organisations SET name = 'Churn Council %d' WHERE id = '%s'" % (renamed[0] + 1, org))
            with lock:
                renamed[0] += 1
            time.sleep(0.2)

    def reader(path, only_public):
        etag = None
        while not stop.is_set():
            with lock:
                floor = dict(confirmed)
                name_floor = renamed[0]
            r = d.request("GET", path, headers={"If-None-Match": etag} if etag else None, timeout=60)
            if r.status == 304:
                counts["304"] += 1
                continue
            if r.status != 200:
                failures.append("%s: %r %s" % (path, r, r.body[:300]))
                return
            etag = r.header("etag") if random.random() < 0.5 else None
            try:
                check_lines(r.body)
                check(b"engage@example.org" not in r.body, "no contact e-mail address")
                if counts["calendars"] % 8 == 0:
                    eq(len(parse_ical(r.body)["events"]), len(vevents(r.body)), "python3-icalendar reads every event")
                seen = set()
                for ev in vevents(r.body):
                    text = unfold(ev)
                    cid = re.search(r"^UID:consultation-([0-9a-f-]+)@consultd", text, re.M).group(1)
                    check(cid not in seen, "%s shown once" % cid)
                    seen.add(cid)
                    v = int(prop(text, "SEQUENCE"))
                    s = shape(index[cid], v)
                    eq(prop(text, "SUMMARY"), s["title"], "%s v%d: SUMMARY" % (cid, v))
                    eq(prop(text, "DTSTART"), s["start"].replace("-", ""), "%s v%d: DTSTART" % (cid, v))
                    named = re.search(r"Organisation: Churn Council (\d+)", text)
                    check(named, "names its organisation")
                    check(int(named.group(1)) >= name_floor, "%s names the organisation's old name" % cid)
                    check(v >= floor[cid], "%s: v%d shown after v%d was confirmed (stale)" % (cid, v, floor[cid]))
                    if only_public:
                        check(s["visibility"] == "public", "%s v%d is partners-only, shown in %s" % (cid, v, path))
                if not only_public:
                    eq(seen, set(ids), "every consultation in the feed")
            except AssertionError as e:
                failures.append("%s: %s" % (path, e))
                return
            counts["calendars"] += 1

    half = N // 2
    threads = [threading.Thread(target=editor, args=(ids[:half],)), threading.Thread(target=editor, args=(ids[half:],))]
    threads.append(threading.Thread(target=renamer))
    threads += [threading.Thread(target=reader, args=(p, p == public)) for p in (cal_feed, cal_feed, public, public)]
    for t in threads:
        t.start()
    time.sleep(12)
    stop.set()
    for t in threads:
        t.join(120)
    check(not failures, "; ".join(failures[:5]))
    check(counts["edits"] > 50 and counts["calendars"] > 20 and renamed[0] >= 5,
          "enough churn to mean something: %r, %d renames" % (counts, renamed[0]))
    # quiet again: the calendar shows every row as it is now
    r = d.request("GET", cal_feed)
    eq(r.status, 200)
    got = {re.search(r"consultation-([0-9a-f-]+)@", unfold(e)).group(1): int(prop(unfold(e), "SEQUENCE"))
           for e in vevents(r.body)}
    eq(got, confirmed, "the feed shows each row's current version")
    d.stop()
