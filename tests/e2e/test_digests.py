"""Alert digests: one message per daily or weekly window, windows that follow
each other across restarts, crashes and several instances, and high overlaps
of the subscriber's own organisation sent at once.

Days do not pass in a test: a digest subscription's time is set twelve hours
ahead (so no real scheduled time falls in the test), and "a day passes" moves
everything stored about that subscription one day into the past at once (the
open window's start, its due time, the events held for it and the windows
already closed). The daemon then finds a scheduled time behind it, as it
would the next morning."""
import datetime
import signal
import time
import zoneinfo

from harness import test, eq, check, problem
from alerting import Alerts, Receiver, SmtpReceiver, verify, pair
from common import body

LONDON = zoneinfo.ZoneInfo("Europe/London")


def later_today(hours=12):
    """A digest_time that is hours ahead of London's clock now."""
    t = datetime.datetime.now(LONDON) + datetime.timedelta(hours=hours)
    return t.strftime("%H:%M")


def days_pass(a, sub_id, days=1):
    a.psql("BEGIN;"
           " UPDATE subscriptions SET digest_last_end = digest_last_end - interval '%(d)d days',"
           "  digest_next_at = digest_next_at - interval '%(d)d days' WHERE id = '%(s)s';"
           " UPDATE digest_items SET created_at = created_at - interval '%(d)d days' WHERE subscription_id = '%(s)s';"
           " UPDATE digest_windows SET window_start = window_start - interval '%(d)d days',"
           "  window_end = window_end - interval '%(d)d days' WHERE subscription_id = '%(s)s';"
           " COMMIT" % {"d": days, "s": sub_id})


def held(a, sub_id):
    return int(a.psql("SELECT count(*) FROM digest_items WHERE subscription_id = '%s'" % sub_id))


def windows(a, sub_id):
    rows = a.psql("SELECT rfc3339(window_start) || ' ' || rfc3339(window_end) || ' ' || events"
                  " FROM digest_windows WHERE subscription_id = '%s' ORDER BY window_start" % sub_id)
    return [r.split() for r in rows.splitlines() if r]


def wait_for(cond, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def metric(d, name):
    for line in d.request("GET", "/metrics").body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("no metric " + name)


def other_org_pairs(a, d, wards, name):
    """Overlaps between two consultations of another organisation, one pair per ward."""
    _, partner = a.org(name)
    return [pair(d, partner, w) for w in wards]


@test
def daily_digest_is_one_message_with_the_window_grouped(env):
    a = Alerts(env)
    rx = Receiver()
    slack = Receiver()
    smtp = SmtpReceiver()
    try:
        d = a.daemon(CONSULTD_SMTP_URL="smtp://127.0.0.1:%d" % smtp.port, CONSULTD_SMTP_FROM="alerts@example.org")
        _, coord = a.org("Digest Coordinators", "coordinator")
        wards = a.wards(3, 600)
        at = later_today()
        hook = a.subscribe(d, coord, url=rx.url(), delivery="daily", digest_time=at, filters={"areas": wards})
        eq((hook["delivery"], hook["digest_time"], hook["digest_day"]), ("daily", at, None))
        check(hook["next_digest_at"], hook)
        mail = a.subscribe(d, coord, email="coordinator@example.org", delivery="daily", filters={"areas": wards})
        eq((mail["delivery"], mail["digest_time"]), ("daily", "08:00"))
        sl = a.subscribe(d, coord, url=slack.url(), format="slack", delivery="daily", digest_time=at,
                         filters={"areas": wards})
        overlaps = other_org_pairs(a, d, wards[:2], "Digest Partner")
        # and a weaker one: only the community in common, three weeks apart
        for n, (topic, start, end) in enumerate([("housing", "2031-03-01", "2031-03-10"),
                                                 ("parks", "2031-03-28", "2031-04-05")]):
            r = d.request("POST", "/v1/consultations", body(
                title=["Repairs survey", "Library opening hours"][n], summary="", areas=[wards[2]], topics=[topic],
                communities=["carers"], fieldwork={"start": start, "end": end}, external_ref=None), token=coord)
            eq(r.status, 201, r.body)
        eq(len(r.json["overlaps"]), 1, r.json)
        weak = r.json["overlaps"][0]
        check(weak["level"] != "high", "the test needs an overlap that is not high: %s" % weak["level"])
        overlaps.append(weak)
        # a second kind of event in the window: an update of the first overlap
        r = d.request("PATCH", "/v1/overlaps/" + overlaps[0]["id"], {"status": "acknowledged"}, token=coord,
                      headers={"If-Match": '"1"'})
        eq(r.status, 200, r.body)
        wait_for(lambda: held(a, hook["id"]) == 4 and held(a, mail["id"]) == 4, what="events held for the digests")
        time.sleep(1.5)
        eq(rx.got, [], "nothing is sent before the window closes")
        eq(smtp.messages, [])
        before = windows(a, hook["id"])
        eq(before, [])
        days_pass(a, hook["id"])
        days_pass(a, mail["id"])
        days_pass(a, sl["id"])
        check(rx.wait(1, 15), "the digest arrived")
        check(smtp.wait(1, 15), "the digest e-mail arrived")
        time.sleep(2.5)
        eq(len(rx.got), 1, "one message for the window")
        eq(len(smtp.messages), 1, "one e-mail for the window")
        check(slack.wait(1, 5), "the Slack digest")
        eq(len(slack.got), 1, "one Slack post for the window")
        post = slack.events()[0]
        check(post["text"].startswith("*consultd daily digest: 4 alerts"), post["text"][:200])
        eq(post["blocks"][0]["text"]["text"], post["text"].split("\n")[0].strip("*"))
        check(verify(sl["secret"], slack.got[0]["headers"], slack.got[0]["body"]), "the Slack post is signed")
        g = rx.got[0]
        check(verify(hook["secret"], g["headers"], g["body"]), "signed like any webhook")
        dg = rx.events()[0]
        eq(dg["type"], "digest")
        data = dg["data"]
        eq(data["delivery"], "daily")
        eq(data["count"], 4)
        eq(data["omitted"], 0)
        eq([e["type"] for e in data["events"]], ["overlap.detected"] * 3 + ["overlap.updated"])
        eq(sorted(e["data"]["overlap"]["id"] for e in data["events"][:3]), sorted(o["id"] for o in overlaps))
        for e in data["events"]:
            eq(e["data"]["console_url"], "https://consultd.example.org/console/#/overlaps/"
               + e["data"]["overlap"]["id"])
        levels = [e["data"]["overlap"]["level"] for e in data["events"]]
        eq(data["levels"], {lv: levels.count(lv) for lv in ("high", "medium", "low")})
        w = windows(a, hook["id"])
        eq(len(w), 1)
        eq([data["window"]["start"], data["window"]["end"]], w[0][:2])
        eq(w[0][2], "4")
        # the webhook-id is the digest's event, listed among the deliveries
        items = d.request("GET", "/v1/subscriptions/%s/deliveries" % hook["id"], token=coord).json["items"]
        eq([(x["event_type"], x["event_id"]) for x in items], [("digest", g["headers"]["webhook-id"])])
        # the e-mail: plain text grouped by level, each overlap explained and linked
        m = smtp.messages[0]["data"]
        check("Subject: consultd daily digest: 4 alerts" in m, m[:400])
        text = m.split("\r\n\r\n", 1)[1]
        for lv in ("high", "medium", "low"):
            heading = "%s-level overlaps (%d)" % (lv.capitalize(), levels.count(lv))
            check((heading in text) == (levels.count(lv) > 0), (heading, text))
        for o in overlaps:
            check(o["explanation"] in text.replace("\r\n", "\n"), (o["explanation"], text))
            check("https://consultd.example.org/console/#/overlaps/" + o["id"] in text, text)
        order = [text.find(h) for h in ("High-level", "Medium-level", "Low-level") if h in text]
        eq(order, sorted(order), "high before medium before low")
        # the next window starts where this one ended
        eq(d.request("GET", "/v1/subscriptions/" + hook["id"], token=coord).json["next_digest_at"] > w[0][1], True)
    finally:
        rx.close()
        slack.close()
        smtp.close()
        a.close()


@test
def empty_window_sends_nothing_and_still_moves_on(env):
    a = Alerts(env)
    rx = Receiver()
    try:
        d = a.daemon()
        _, coord = a.org("Quiet Coordinators", "coordinator")
        wards = a.wards(2, 620)
        s = a.subscribe(d, coord, url=rx.url(), delivery="weekly", digest_day="friday",
                        digest_time=later_today(), filters={"areas": wards})
        eq((s["delivery"], s["digest_day"]), ("weekly", "friday"))
        days_pass(a, s["id"], 7)
        wait_for(lambda: len(windows(a, s["id"])) == 1, what="the empty window closed")
        time.sleep(2)
        eq(rx.got, [], "an empty window sends nothing")
        first = windows(a, s["id"])[0]
        eq(first[2], "0")
        # the next window starts where the empty one ended, and carries the new events
        other_org_pairs(a, d, wards[:1], "Quiet Partner")
        wait_for(lambda: held(a, s["id"]) == 1, what="the event held")
        # as if its transaction had committed just after the first window was
        # closed, with a timestamp inside it: it goes in the next, not in none
        a.psql("UPDATE digest_items SET created_at = '%s'::timestamptz - interval '1 hour'"
               " WHERE subscription_id = '%s'" % (first[1], s["id"]))
        days_pass(a, s["id"], 7)
        check(rx.wait(1, 15), "the second window's digest")
        w = windows(a, s["id"])
        eq(len(w), 2)
        eq(w[1][0], w[0][1], "no gap, no overlap")
        dg = rx.events()[0]["data"]
        eq((dg["window"]["start"], dg["window"]["end"], dg["count"]), (w[1][0], w[1][1], 1))
        eq((metric(d, "consultd_digests_sent_total"), metric(d, "consultd_digest_windows_empty_total")), (1, 1))
        # the gauges are read once a second: nothing due, nothing held
        wait_for(lambda: (metric(d, "consultd_digest_windows_due"), metric(d, "consultd_digest_events_held")) == (0, 0),
                 timeout=5, what="the gauges at zero")
    finally:
        rx.close()
        a.close()


@test
def a_digest_missed_while_down_is_sent_on_return(env):
    a = Alerts(env)
    rx = Receiver()
    try:
        d = a.daemon()
        _, coord = a.org("Restart Coordinators", "coordinator")
        wards = a.wards(2, 640)
        s = a.subscribe(d, coord, url=rx.url(), delivery="daily", digest_time=later_today(),
                        filters={"areas": wards})
        other_org_pairs(a, d, wards, "Restart Partner")
        wait_for(lambda: held(a, s["id"]) == 2, what="events held")
        d.stop()
        # down for three scheduled times: one digest covers the whole span when it returns
        days_pass(a, s["id"], 3)
        opened = a.psql("SELECT rfc3339(digest_last_end) FROM subscriptions WHERE id = '%s'" % s["id"])
        time.sleep(1)
        eq(rx.got, [])
        d2 = a.daemon()
        check(rx.wait(1, 15), "the missed digest sent on return")
        time.sleep(2)
        eq(len(rx.got), 1, "one digest for the missed span")
        dg = rx.events()[0]["data"]
        eq(dg["count"], 2)
        eq(dg["window"]["start"], opened, "the window runs from the end of the last one, not from the clock")
        check(dg["window"]["end"] < d2.request("GET", "/v1/subscriptions/" + s["id"], token=coord)
              .json["next_digest_at"])
        eq(len(windows(a, s["id"])), 1)
    finally:
        rx.close()
        a.close()


@test
def two_instances_send_one_digest(env):
    a = Alerts(env)
    rx = Receiver()
    try:
        d1, d2 = a.daemon(), a.daemon()
        _, coord = a.org("Twin Digest Coordinators", "coordinator")
        wards = a.wards(10, 660)
        subs = [a.subscribe(d1 if i % 2 else d2, coord, url=rx.url("/s%d" % i), delivery="daily",
                            digest_time=later_today(), filters={"areas": wards}) for i in range(6)]
        other_org_pairs(a, d1, wards[:5], "Twin Digest Partner")
        other_org_pairs(a, d2, wards[5:], "Twin Digest Partner 2")
        wait_for(lambda: all(held(a, s["id"]) == 10 for s in subs), what="events held")
        for s in subs:
            days_pass(a, s["id"])
        check(rx.wait(6, 20), "six digests: %d" % len(rx.got))
        time.sleep(3)
        paths = sorted(g["path"] for g in rx.got)
        eq(paths, sorted("/s%d" % i for i in range(6)), "one digest per subscription")
        for e in rx.events():
            eq(e["data"]["count"], 10)
        for s in subs:
            eq(len(windows(a, s["id"])), 1)
    finally:
        rx.close()
        a.close()


@test
def kill_9_mid_send_does_not_duplicate(env):
    a = Alerts(env)
    rx = Receiver(script=[("hang", 6)])
    try:
        d = a.daemon()
        _, coord = a.org("Crash Digest Coordinators", "coordinator")
        wards = a.wards(2, 680)
        s = a.subscribe(d, coord, url=rx.url(), delivery="daily", digest_time=later_today(),
                        filters={"areas": wards})
        other_org_pairs(a, d, wards, "Crash Digest Partner")
        wait_for(lambda: held(a, s["id"]) == 2, what="events held")
        days_pass(a, s["id"])
        check(rx.wait(1, 15), "the digest is being sent")
        d.proc.send_signal(signal.SIGKILL)  # mid-send: the receiver has not answered
        d.proc.wait()
        d.stop(expect_status=None, signalled=True)
        a.daemon()
        # its lease runs out and the same delivery is sent again: the same
        # message (webhook-id and body), not a second digest
        check(rx.wait(2, 30), "the interrupted digest resent")
        wait_for(lambda: a.psql("SELECT status FROM deliveries WHERE subscription_id = '%s'" % s["id"])
                 == "delivered", what="the digest recorded as delivered")
        time.sleep(2)
        ids = {g["headers"]["webhook-id"] for g in rx.got}
        eq(len(ids), 1, "one digest, resent under its webhook-id")
        eq(len({g["body"] for g in rx.got}), 1)
        eq(rx.events()[0]["data"]["count"], 2)
        eq(len(windows(a, s["id"])), 1)
        eq(a.psql("SELECT count(*) FROM alert_events WHERE type = 'digest' AND subscription_id = '%s'" % s["id"]),
           "1")
    finally:
        rx.close()
        a.close()


@test
def own_high_overlap_goes_at_once(env):
    a = Alerts(env)
    rx = Receiver()
    try:
        d = a.daemon()
        org, coord = a.org("Own Digest Coordinators", "coordinator")
        mine, theirs = a.wards(2, 700)
        s = a.subscribe(d, coord, url=rx.url(), delivery="daily", digest_time=later_today(),
                        filters={"areas": [mine, theirs]})
        own = pair(d, coord, mine)
        eq(own["level"], "high", "the test needs a high overlap")
        check(rx.wait(1, 10), "the own organisation's high overlap sent at once")
        e = rx.events()[0]
        eq((e["type"], e["data"]["overlap"]["id"]), ("overlap.detected", own["id"]))
        # a test ping is not held either
        eq(d.request("POST", "/v1/subscriptions/%s/test" % s["id"], token=coord).status, 202)
        check(rx.wait(2, 10), "the ping sent at once")
        eq(rx.events()[1]["type"], "ping")
        with rx.cond:
            rx.got.clear()
        other = other_org_pairs(a, d, [theirs], "Own Digest Partner")[0]
        eq(other["level"], "high")
        wait_for(lambda: held(a, s["id"]) == 1, what="the other organisation's overlap held")
        time.sleep(1.5)
        eq(len(rx.got), 0, "another organisation's overlap waits for the digest, high or not")
        days_pass(a, s["id"])
        check(rx.wait(1, 15))
        dg = rx.events()[0]
        eq(dg["type"], "digest")
        eq([x["data"]["overlap"]["id"] for x in dg["data"]["events"]], [other["id"]],
           "what went at once is not repeated in the digest")
    finally:
        rx.close()
        a.close()


def next_london(hhmm, weekday=None):
    """The next hh:mm in London (on weekday, 0 Monday), by Python's TZ database, as RFC 3339 UTC."""
    now = datetime.datetime.now(datetime.timezone.utc)
    day = now.astimezone(LONDON).date() - datetime.timedelta(days=1)
    h, m = map(int, hhmm.split(":"))
    while True:
        t = datetime.datetime(day.year, day.month, day.day, h, m, tzinfo=LONDON)
        if t > now and (weekday is None or day.weekday() == weekday):
            return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        day += datetime.timedelta(days=1)


@test
def the_first_window_closes_at_the_next_scheduled_time(env):
    a = Alerts(env)
    try:
        d = a.daemon()
        _, coord = a.org("Schedule Coordinators", "coordinator")
        url = "https://hooks.example.org/x"
        soon = later_today(1)
        for spec, want in [({"delivery": "daily"}, next_london("08:00")),
                           ({"delivery": "daily", "digest_time": "23:59"}, next_london("23:59")),
                           ({"delivery": "daily", "digest_time": soon}, next_london(soon)),
                           ({"delivery": "weekly"}, next_london("08:00", 0)),
                           ({"delivery": "weekly", "digest_day": "friday", "digest_time": "07:30"},
                            next_london("07:30", 4))]:
            s = a.subscribe(d, coord, url=url, **spec)
            eq(s["next_digest_at"], want, spec)
    finally:
        a.close()


@test
def bad_digest_settings_are_422(env):
    a = Alerts(env)
    try:
        d = a.daemon()
        _, coord = a.org("Bad Digest Coordinators", "coordinator")
        url = "https://hooks.example.org/x"
        for spec, fields in [
            ({"delivery": "hourly"}, ["delivery"]),
            ({"delivery": "daily", "digest_time": "24:00"}, ["digest_time"]),
            ({"delivery": "daily", "digest_time": "8:00"}, ["digest_time"]),
            ({"delivery": "daily", "digest_time": 800}, ["digest_time"]),
            ({"delivery": "weekly", "digest_day": "funday"}, ["digest_day"]),
            ({"delivery": "daily", "digest_day": "monday"}, ["digest_day"]),
            ({"digest_time": "08:00"}, ["digest_time"]),
            ({"delivery": "immediate", "digest_day": "monday"}, ["digest_day"]),
            ({"delivery": "weekly", "digest_time": "07:60", "digest_day": "Someday"}, ["digest_time", "digest_day"]),
        ]:
            problem(d.request("POST", "/v1/subscriptions", dict(spec, url=url), token=coord), 422, *fields)
        s = a.subscribe(d, coord, url=url, delivery="weekly", digest_day="Sunday", digest_time="23:59")
        eq((s["delivery"], s["digest_time"], s["digest_day"]), ("weekly", "23:59", "sunday"))
        s = a.subscribe(d, coord, url=url)
        eq((s["delivery"], s["digest_time"], s["digest_day"], s["next_digest_at"]), ("immediate", None, None, None))
    finally:
        a.close()
