"""Changing a subscription in place (PATCH /v1/subscriptions/{id}: JSON Merge
Patch under If-Match) and deleting one, with the digest windows it has:
never skipped, never repeated, and no held event lost or left behind.

Days pass as in test_digests.py: everything stored about one subscription is
moved into the past at once."""
import datetime
import os
import subprocess
import threading
import time
import zoneinfo

from harness import test, eq, check, problem
from alerting import Alerts, Receiver, pair
from test_digests import days_pass, held, windows, wait_for, later_today

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = datetime.timezone.utc


def parse(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def rfc(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_after(t, hhmm, weekday=None):
    """The first hh:mm in London (on weekday, 0 Monday) strictly after t (aware), by the TZ database."""
    h, m = map(int, hhmm.split(":"))
    day = t.astimezone(LONDON).date() - datetime.timedelta(days=1)
    while True:
        c = datetime.datetime(day.year, day.month, day.day, h, m, tzinfo=LONDON)
        if c > t and (weekday is None or day.weekday() == weekday):
            return c
        day += datetime.timedelta(days=1)


def opened(a, sub_id):
    """The open window's start (digest_last_end), or None."""
    v = a.psql("SELECT coalesce(rfc3339(digest_last_end), '') FROM subscriptions WHERE id = '%s'" % sub_id)
    return v or None


def patch(d, token, sub_id, body, etag):
    h = {"If-Match": etag} if etag is not None else {}
    return d.request("PATCH", "/v1/subscriptions/" + sub_id, body, token=token, headers=h,
                     ctype="application/merge-patch+json")


def changed(d, token, sub, body):
    """PATCHes sub (a subscription as last read) and returns the new one; asserts 200 and the ETag."""
    r = patch(d, token, sub["id"], body, '"%d"' % sub["version"])
    eq(r.status, 200, "PATCH %r: %r" % (body, r.body[:400]))
    eq(r.json["version"], sub["version"] + 1)
    eq(r.header("etag"), '"%d"' % r.json["version"])
    return r.json


def others(a, d, wards, name):
    _, partner = a.org(name)
    return [pair(d, partner, w) for w in wards]


@test
def get_has_an_etag_and_patch_needs_a_fresh_if_match(env):
    a = Alerts(env)
    try:
        d = a.daemon()
        _, coord = a.org("Patch Coordinators", "coordinator")
        s = a.subscribe(d, coord, url="https://hooks.example.org/p", events=["overlap.detected"],
                        filters={"topics": ["housing"]})
        eq(s["version"], 1)
        r = d.request("GET", "/v1/subscriptions/" + s["id"], token=coord)
        eq((r.status, r.header("etag"), r.json["version"]), (200, '"1"', 1))
        problem(patch(d, coord, s["id"], {"filters": {"min_level": "high"}}, None), 428)
        r = patch(d, coord, s["id"], {"filters": {"min_level": "high"}}, '"2"')
        problem(r, 412)
        eq(r.header("etag"), '"1"', "a 412 tells the current ETag")
        t = changed(d, coord, s, {"filters": {"min_level": "high"}, "events": ["overlap.detected", "fatigue.exceeded"]})
        eq(t["filters"]["min_level"], "high")
        eq(t["filters"]["topics"], ["housing"], "a merge patch keeps what it does not name")
        eq(t["events"], ["overlap.detected", "fatigue.exceeded"])
        eq((t["url"], t["format"], t["delivery"]), ("https://hooks.example.org/p", "standard", "immediate"))
        check("secret" not in t, "the secret is shown once, at creation")
        eq(a.psql("SELECT secret = '%s' FROM subscriptions WHERE id = '%s'" % (s["secret"], s["id"])), "t",
           "the signing secret is kept")
        # the stale ETag is refused; the GET after the change is the PATCH's answer
        problem(patch(d, coord, s["id"], {"filters": {"min_level": "low"}}, '"1"'), 412)
        r = d.request("GET", "/v1/subscriptions/" + s["id"], token=coord)
        eq((r.header("etag"), r.json), ('"2"', t))
        # null resets to the default (RFC 7396 removes the member); "*" matches any version
        r = patch(d, coord, s["id"], {"events": None, "filters": {"topics": None}}, "*")
        eq(r.status, 200, r)
        eq(sorted(r.json["events"]), ["fatigue.exceeded", "overlap.detected", "overlap.updated"])
        eq(r.json["filters"]["topics"], [])
        # a malformed If-Match, a body that is not JSON
        problem(patch(d, coord, s["id"], {"format": "slack"}, "v2"), 400)
        r = d.request("PATCH", "/v1/subscriptions/" + s["id"], raw=b"{nope", token=coord,
                      headers={"If-Match": '"3"'}, ctype="application/merge-patch+json")
        problem(r, 400)
        # format can change for a webhook; the target stays
        t = changed(d, coord, r_json(d, coord, s["id"]), {"format": "slack", "url": "https://hooks.example.org/p"})
        eq((t["format"], t["url"]), ("slack", "https://hooks.example.org/p"))
    finally:
        a.close()


def r_json(d, token, sub_id):
    return d.request("GET", "/v1/subscriptions/" + sub_id, token=token).json


@test
def each_bad_field_of_a_patch_is_named_in_a_422(env):
    a = Alerts(env)
    try:
        d = a.daemon()
        _, coord = a.org("Bad Patch Coordinators", "coordinator")
        hook = a.subscribe(d, coord, url="https://hooks.example.org/b")
        mail = a.subscribe(d, coord, email="alerts@example.org", delivery="daily")
        for sub, body, fields in [
            (hook, {"url": "https://elsewhere.example.org/x"}, ["url"]),
            (hook, {"email": "someone@example.org"}, ["email"]),
            (mail, {"email": "other@example.org"}, ["email"]),
            (hook, {"secret": "whsec_AAAA"}, ["secret"]),
            (hook, {"id": hook["id"], "version": 5, "status": "active"}, ["id", "version", "status"]),
            (hook, {"colour": "red"}, ["colour"]),
            (hook, {"events": ["overlap.detected", "nonsense"]}, ["events[1]"]),
            (hook, {"events": []}, ["events"]),
            (hook, {"filters": {"topics": ["no-such-topic-anywhere"]}}, ["filters.topics[0]"]),
            (hook, {"filters": {"communities": ["nobody-at-all"]}}, ["filters.communities[0]"]),
            (hook, {"filters": {"areas": ["E99999999"]}}, ["filters.areas[0]"]),
            (hook, {"filters": {"min_level": "extreme"}}, ["filters.min_level"]),
            (hook, {"filters": {"shoe_size": 9}}, ["filters.shoe_size"]),
            (hook, {"filters": "all"}, ["filters"]),
            (hook, {"format": "fancy"}, ["format"]),
            (mail, {"format": "slack"}, ["format"]),
            (hook, {"delivery": "hourly"}, ["delivery"]),
            (hook, {"delivery": "daily", "digest_time": "24:00"}, ["digest_time"]),
            (hook, {"digest_time": "08:00"}, ["digest_time"]),
            (mail, {"digest_day": "monday"}, ["digest_day"]),
            (mail, {"delivery": "immediate", "digest_time": "09:00"}, ["digest_time"]),
            (hook, {"delivery": "weekly", "digest_day": "funday", "digest_time": "7:00"},
             ["digest_day", "digest_time"]),
            (hook, {"url": "https://x.example.org/", "events": ["nope"], "filters": {"min_level": 3}},
             ["url", "events[0]", "filters.min_level"]),
        ]:
            problem(patch(d, coord, sub["id"], body, '"1"'), 422, *fields)
        # nothing was changed by any of them
        for sub in (hook, mail):
            r = d.request("GET", "/v1/subscriptions/" + sub["id"], token=coord)
            eq(r.header("etag"), '"1"')
            once = ("secret", "warnings")  # in the reply that creates it only
            eq({k: v for k, v in r.json.items() if k not in once},
               {k: v for k, v in sub.items() if k not in once})
    finally:
        a.close()


@test
def another_organisations_subscription_is_404(env):
    a = Alerts(env)
    try:
        d = a.daemon()
        _, coord = a.org("Owner Coordinators", "coordinator")
        _, other = a.org("Other Coordinators", "coordinator")
        _, partner = a.org("Patch Partner", "partner")
        _, admin = a.org("Patch Admins", "admin")
        s = a.subscribe(d, coord, url="https://hooks.example.org/o")
        problem(patch(d, other, s["id"], {"filters": {"min_level": "high"}}, '"1"'), 404)
        problem(patch(d, partner, s["id"], {"filters": {"min_level": "high"}}, '"1"'), 403)
        problem(patch(d, coord, "00000000-0000-0000-0000-000000000000", {"format": "slack"}, '"1"'), 404)
        problem(patch(d, coord, "not-a-uuid", {"format": "slack"}, '"1"'), 404)
        eq(r_json(d, coord, s["id"])["version"], 1, "the other organisation changed nothing")
        t = changed(d, admin, s, {"filters": {"min_level": "high"}})
        eq(t["filters"]["min_level"], "high")
        # a disabled one (its receiver answered 410) is 409, as its test ping
        a.psql("UPDATE subscriptions SET status = 'disabled', disabled_reason = 'HTTP 410 Gone' WHERE id = '%s'"
               % s["id"])
        r = patch(d, coord, s["id"], {"format": "slack"}, '"2"')
        problem(r, 409)
        eq(r.json["disabled_reason"], "HTTP 410 Gone")
        eq(d.request("DELETE", "/v1/subscriptions/" + s["id"], token=coord).status, 204)
        problem(patch(d, coord, s["id"], {"format": "slack"}, '"2"'), 404)
    finally:
        a.close()


@test
def delivery_and_digest_times_change_in_place(env):
    a = Alerts(env)
    try:
        d = a.daemon()
        _, coord = a.org("Schedule Change Coordinators", "coordinator")
        s = a.subscribe(d, coord, url="https://hooks.example.org/s")
        eq((s["delivery"], s["next_digest_at"], opened(a, s["id"])), ("immediate", None, None))
        # immediate -> daily: the first window opens now and closes at the next time
        soon = later_today(6)
        before = datetime.datetime.now(UTC).replace(microsecond=0)
        t = changed(d, coord, s, {"delivery": "daily", "digest_time": soon})
        after = datetime.datetime.now(UTC)
        start = parse(opened(a, s["id"]))
        check(before <= start <= after + datetime.timedelta(seconds=1), (before, start, after))
        eq((t["delivery"], t["digest_time"], t["digest_day"]), ("daily", soon, None))
        eq(t["next_digest_at"], rfc(next_after(start, soon)))
        # daily -> weekly: the time is kept, the day defaults to Monday; the window keeps its start
        t = changed(d, coord, t, {"delivery": "weekly"})
        eq((t["delivery"], t["digest_time"], t["digest_day"]), ("weekly", soon, "monday"))
        eq(opened(a, s["id"]), rfc(start), "the open window keeps its start")
        eq(t["next_digest_at"], rfc(next_after(start, soon, 0)))
        # another day and time: next_digest_at recomputed from the window's start
        t = changed(d, coord, t, {"digest_day": "Thursday", "digest_time": "06:15"})
        eq((t["digest_time"], t["digest_day"]), ("06:15", "thursday"))
        eq(t["next_digest_at"], rfc(next_after(start, "06:15", 3)))
        # the window opened 20 hours ago, and the new time came 10 hours ago: the window is due at
        # once (counted from its start, not from now) and closed by the next run, not skipped
        a.psql("UPDATE subscriptions SET digest_last_end = digest_last_end - interval '20 hours'"
               " WHERE id = '%s'" % s["id"])
        start = parse(opened(a, s["id"]))
        past = later_today(-10)
        t = changed(d, coord, r_json(d, coord, s["id"]), {"delivery": "daily", "digest_time": past})
        eq(t["digest_day"], None, "weekly -> daily drops the day")
        due = next_after(start, past)
        eq(t["next_digest_at"], rfc(due))
        check(due < datetime.datetime.now(UTC), "due already")
        wait_for(lambda: len(windows(a, s["id"])) == 1, what="the due window closed")
        eq(windows(a, s["id"])[0][:2], [rfc(start), rfc(due)])
        eq(opened(a, s["id"]), rfc(due), "the next window starts where it ended")
        # an e-mail subscription to a weekly digest at once
        m = a.subscribe(d, coord, email="digest@example.org")
        t = changed(d, coord, m, {"delivery": "weekly", "digest_day": "sunday", "digest_time": "18:00"})
        eq(t["next_digest_at"], rfc(next_after(parse(opened(a, m["id"])), "18:00", 6)))
    finally:
        a.close()


@test(timeout=120)
def daily_to_immediate_sends_held_events_as_one_final_digest(env):
    a = Alerts(env)
    rx = Receiver()
    try:
        d = a.daemon()
        _, coord = a.org("Flush Coordinators", "coordinator")
        wards = a.wards(3, 720)
        s = a.subscribe(d, coord, url=rx.url(), delivery="daily", digest_time=later_today(),
                        filters={"areas": wards})
        start = opened(a, s["id"])
        overlaps = others(a, d, wards[:2], "Flush Partner")
        wait_for(lambda: held(a, s["id"]) == 2, what="two events held")
        time.sleep(0.5)
        eq(rx.got, [], "held, not sent")
        t = changed(d, coord, s, {"delivery": "immediate"})
        eq((t["delivery"], t["digest_time"], t["digest_day"], t["next_digest_at"]), ("immediate", None, None, None))
        eq((held(a, s["id"]), opened(a, s["id"])), (0, None), "nothing left held")
        check(rx.wait(1, 15), "the final digest sent")
        dg = rx.events()[0]
        eq(dg["type"], "digest")
        eq((dg["data"]["count"], dg["data"]["delivery"]), (2, "daily"))
        eq(sorted(e["data"]["overlap"]["id"] for e in dg["data"]["events"]), sorted(o["id"] for o in overlaps))
        w = windows(a, s["id"])
        eq(len(w), 1)
        eq((w[0][0], w[0][2]), (start, "2"))
        eq([dg["data"]["window"]["start"], dg["data"]["window"]["end"]], w[0][:2])
        # from now on each event goes at once
        o3 = others(a, d, wards[2:], "Flush Partner Two")[0]
        check(rx.wait(2, 15), "the next event delivered at once")
        e = rx.events()[1]
        eq((e["type"], e["data"]["overlap"]["id"]), ("overlap.detected", o3["id"]))
        eq(held(a, s["id"]), 0)
        # and back to a digest: a new window opens after the last one closed, none overlapping
        t = changed(d, coord, t, {"delivery": "daily"})
        check(opened(a, s["id"]) >= w[0][1], (opened(a, s["id"]), w))
        eq(t["digest_time"], "08:00")
    finally:
        rx.close()
        a.close()


@test(timeout=150)
def no_window_is_skipped_or_repeated_across_delivery_changes(env):
    a = Alerts(env)
    rx = Receiver()
    try:
        d = a.daemon()
        _, coord = a.org("Window Coordinators", "coordinator")
        wards = a.wards(4, 730)
        s = a.subscribe(d, coord, url=rx.url(), delivery="daily", digest_time=later_today(),
                        filters={"areas": wards})
        sent = [o["id"] for o in others(a, d, wards[:1], "Window Partner A")]
        wait_for(lambda: held(a, s["id"]) == 1, what="first event held")
        days_pass(a, s["id"], 1)
        check(rx.wait(1, 15), "first window's digest")
        # an event held in the second window, then daily -> weekly
        sent += [o["id"] for o in others(a, d, wards[1:2], "Window Partner B")]
        wait_for(lambda: held(a, s["id"]) == 1, what="second event held")
        s = changed(d, coord, r_json(d, coord, s["id"]), {"delivery": "weekly", "digest_day": "wednesday"})
        # its time changed while the window is open
        s = changed(d, coord, s, {"digest_time": later_today(10)})
        days_pass(a, s["id"], 7)
        check(rx.wait(2, 15), "second window's digest")
        # a third event, then weekly -> immediate: the open window closes at once
        sent += [o["id"] for o in others(a, d, wards[2:3], "Window Partner C")]
        wait_for(lambda: held(a, s["id"]) == 1, what="third event held")
        s = changed(d, coord, r_json(d, coord, s["id"]), {"delivery": "immediate"})
        check(rx.wait(3, 15), "the final digest")
        # immediate -> daily again, an event, a day
        s = changed(d, coord, s, {"delivery": "daily", "digest_time": later_today()})
        sent += [o["id"] for o in others(a, d, wards[3:4], "Window Partner D")]
        wait_for(lambda: held(a, s["id"]) == 1, what="fourth event held")
        days_pass(a, s["id"], 1)
        check(rx.wait(4, 15), "fourth window's digest")
        time.sleep(1.5)
        eq(len(rx.got), 4, "one digest per window, none twice")
        digests = rx.events()
        eq([g["type"] for g in digests], ["digest"] * 4)
        got = [e["data"]["overlap"]["id"] for g in digests for e in g["data"]["events"]]
        eq(got, sent, "every event once, in its window")
        w = windows(a, s["id"])
        eq(len(w), 4)
        eq([x[2] for x in w], ["1"] * 4, "one event in each window")
        # (the digests' own window times were sent before later days passed: not compared)
        # the first three windows follow each other (the fourth opened after the immediate spell)
        eq([w[1][0], w[2][0]], [w[0][1], w[1][1]], "no gap, no overlap")
        check(w[3][0] >= w[2][1], w)
        eq(held(a, s["id"]), 0)
    finally:
        rx.close()
        a.close()


@test(timeout=120)
def a_patch_waits_for_a_window_being_closed(env):
    """job_digest holds the row (FOR NO KEY UPDATE) while it closes a window: a
    PATCH at that moment waits for it and carries on from the closed window."""
    a = Alerts(env)
    try:
        d = a.daemon()
        _, coord = a.org("Lock Coordinators", "coordinator")
        s = a.subscribe(d, coord, url="https://hooks.example.org/l", delivery="daily", digest_time=later_today())
        start = parse(opened(a, s["id"]))
        moved = rfc(start + datetime.timedelta(hours=1))
        # another session closes a window and holds the lock for 2 s before committing
        sql = ("BEGIN; SELECT id FROM subscriptions WHERE id = '%s' FOR NO KEY UPDATE;"
               " UPDATE subscriptions SET digest_last_end = '%s' WHERE id = '%s';"
               " SELECT pg_sleep(2); COMMIT;" % (s["id"], moved, s["id"]))
        holder = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", a.url, "-c", sql],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  env=dict(os.environ, PGAPPNAME="window-lock-holder"))
        try:
            # that session's lock, not one the daemon's own digest job holds for a moment
            wait_for(lambda: a.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                                    " JOIN pg_stat_activity s ON s.pid = l.pid"
                                    " WHERE c.relname = 'subscriptions' AND l.mode = 'RowShareLock'"
                                    " AND l.granted AND s.application_name = 'window-lock-holder'") != "0",
                     what="the other session's lock")
            t0 = time.time()
            t = changed(d, coord, s, {"digest_time": "06:00"})
            waited = time.time() - t0
        finally:
            eq(holder.wait(10), 0, holder.stderr.read())
        check(waited > 1.0, "the PATCH waited for the lock (%.2f s)" % waited)
        eq(opened(a, s["id"]), moved, "the window the other session moved on is kept")
        eq(t["next_digest_at"], rfc(next_after(parse(moved), "06:00")), "counted from the moved start")
    finally:
        a.close()


@test
def delete_clears_the_held_events(env):
    a = Alerts(env)
    try:
        d = a.daemon()
        _, coord = a.org("Delete Coordinators", "coordinator")
        wards = a.wards(2, 740)
        s = a.subscribe(d, coord, url="https://hooks.example.org/d1", delivery="daily", digest_time=later_today(),
                        filters={"areas": wards})
        keep = a.subscribe(d, coord, url="https://hooks.example.org/d2", delivery="weekly",
                           digest_time=later_today(), filters={"areas": wards})
        others(a, d, wards, "Delete Partner")
        wait_for(lambda: held(a, s["id"]) == 2 and held(a, keep["id"]) == 2, what="events held")
        eq(d.request("DELETE", "/v1/subscriptions/" + s["id"], token=coord).status, 204)
        eq(held(a, s["id"]), 0, "the deleted subscription's held events are gone")
        eq(held(a, keep["id"]), 2, "another subscription's are kept")
        eq(d.request("GET", "/v1/subscriptions/" + s["id"], token=coord).status, 404)
    finally:
        a.close()


@test(timeout=120)
def a_held_event_committed_after_the_change_is_not_lost(env):
    """An event fanned out while its subscription turned immediate (or was
    deleted) may commit its held item just after the PATCH (or DELETE) took
    what was held: the digest worker's sweep sends it at once (or drops it)."""
    a = Alerts(env)
    rx = Receiver()
    try:
        d = a.daemon()
        _, coord = a.org("Stray Coordinators", "coordinator")
        s = a.subscribe(d, coord, url=rx.url(), delivery="daily", digest_time=later_today())
        gone = a.subscribe(d, coord, url=rx.url("/gone"), delivery="daily", digest_time=later_today())
        s = changed(d, coord, s, {"delivery": "immediate"})
        eq(d.request("DELETE", "/v1/subscriptions/" + gone["id"], token=coord).status, 204)
        time.sleep(0.5)
        eq(rx.got, [], "nothing was held, so no final digest")
        # the late items, as that fan-out would have written them
        ids = []
        for sub in (s, gone):
            ev = a.psql("INSERT INTO alert_events (type, subscription_id, data, fanned_out)"
                        " VALUES ('ping', '%s', '{}', true) RETURNING id" % sub["id"]).split()[0]
            a.psql("INSERT INTO digest_items (subscription_id, event_id, created_at, payload)"
                   " VALUES ('%s', '%s', now(), '{\"type\": \"ping\", \"late\": true}')" % (sub["id"], ev))
            ids.append(ev)
        check(rx.wait(1, 20), "the late event sent at once")
        g = rx.got[0]
        eq((g["path"], g["headers"]["webhook-id"]), ("/hook", ids[0]))
        eq(rx.events()[0], {"type": "ping", "late": True})
        wait_for(lambda: held(a, gone["id"]) == 0, what="the deleted subscription's late item dropped")
        eq(held(a, s["id"]), 0)
        time.sleep(1)
        eq(len(rx.got), 1, "nothing for the deleted subscription")
    finally:
        rx.close()
        a.close()
