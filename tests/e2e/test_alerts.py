"""Alerts: subscriptions, signed webhooks, retries, faults, crashes, several
instances, filters, Slack and e-mail, and the address guard."""
import json
import signal
import socket
import threading
import subprocess
import re
import time

from harness import test, eq, check, problem, free_port, wait_until
from alerting import Alerts, Receiver, SmtpReceiver, verify, pair
from common import body


def attempts(d, token, sub_id):
    r = d.request("GET", "/v1/subscriptions/%s/deliveries?limit=200" % sub_id, token=token)
    eq(r.status, 200)
    return r.json["items"]


def wait_for(cond, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


@test
def subscriptions_are_for_coordinators_and_show_the_secret_once(env):
    a = Alerts(env)
    try:
        d = a.daemon()
        org, coord = a.org("Alert Coordinators", "coordinator")
        _, partner = a.org("Alert Partner")
        _, other = a.org("Other Coordinators", "coordinator")
        spec = {"url": "https://hooks.example.org/consultd", "format": "slack",
                "events": ["overlap.detected"], "filters": {"areas": ["E09000007"], "topics": ["Housing"],
                                                            "min_level": "medium"}}
        eq(d.request("POST", "/v1/subscriptions", spec, token=partner).status, 403)
        s = a.subscribe(d, coord, **spec)
        check(s["secret"].startswith("whsec_") and len(s["secret"]) >= 6 + 32, s["secret"])
        eq(s["filters"], {"areas": ["E09000007"], "topics": ["housing"], "communities": [], "min_level": "medium"})
        eq(s["organisation"], org)
        g = d.request("GET", "/v1/subscriptions/" + s["id"], token=coord)
        eq(g.status, 200)
        check("secret" not in g.json, "the secret is shown once")
        eq(d.request("GET", "/v1/subscriptions/" + s["id"], token=other).status, 404)
        eq([x["id"] for x in d.request("GET", "/v1/subscriptions", token=coord).json["items"]], [s["id"]])
        eq(d.request("GET", "/v1/subscriptions", token=other).json["items"], [])
        problem(d.request("POST", "/v1/subscriptions", {"url": "ftp://x", "events": ["nope"], "filters":
                          {"areas": ["E99999999"]}}, token=coord), 422, "url", "events[0]", "filters.areas[0]")
        eq(d.request("DELETE", "/v1/subscriptions/" + s["id"], token=other).status, 404)
        eq(d.request("DELETE", "/v1/subscriptions/" + s["id"], token=coord).status, 204)
        eq(d.request("GET", "/v1/subscriptions/" + s["id"], token=coord).status, 404)
    finally:
        a.close()


@test
def fatigue_exceeded_is_raised_once_per_bucket(env):
    a = Alerts(env)
    rx = Receiver()
    other = Receiver()
    try:
        d = a.daemon(CONSULTD_FATIGUE_MAX_ASKS="2")
        _, coord = a.org("Fatigue Coordinators", "coordinator")
        ward, elsewhere = a.wards(2, 300)
        a.subscribe(d, coord, url=rx.url(), events=["fatigue.exceeded"], filters={"areas": [ward]})
        a.subscribe(d, coord, url=other.url(), events=["fatigue.exceeded"],
                    filters={"areas": [ward], "communities": ["young-people"]})
        post = lambda n, area=ward: d.request("POST", "/v1/consultations", body(
            title="Survey %d" % n, areas=[area], topics=["parks"], communities=["carers"], external_ref=None,
            fieldwork={"start": "2036-05-01", "end": "2036-05-20"}), token=coord)
        for n in (1, 2):
            eq(post(n).status, 201)
        far = post(9, elsewhere)
        eq(far.status, 201)
        time.sleep(2.5)
        eq(rx.got, [], "two asks are within the limit of 2")
        eq(post(3).status, 201)
        check(rx.wait(1, 10), "the third ask raised fatigue.exceeded")
        time.sleep(2.5)
        evs = rx.events()
        for e in evs:
            eq((e["type"], e["data"]["area"], e["data"]["community"]), ("fatigue.exceeded", ward, "carers"))
            eq(e["data"]["console_url"], "https://consultd.example.org/console/#/fatigue?area=%s&community=carers" % ward)
            eq((e["data"]["count"], e["data"]["max_asks"]), (3, 2))
        months = [e["data"]["month"] for e in evs]
        check("2036-05" in months, months)
        eq(len(months), len(set(months)), "one event per bucket")
        r = d.request("GET", "/v1/fatigue?area=%s&community=carers&from=2036-05-01&to=2036-05-31" % ward,
                      token=coord)
        eq([(b["month"], b["count"], b["exceeded"]) for b in r.json["items"]], [("2036-05", 3, True)],
           "the alert agrees with GET /v1/fatigue")
        eq(post(4).status, 201)
        time.sleep(2.5)
        eq(len(rx.got), len(evs), "a bucket already alerted is not alerted again")
        # An edit counts too: two asks in the ward in 2036-09, then the far
        # consultation moves into the ward and that month.
        for n in (5, 6):
            eq(d.request("POST", "/v1/consultations", body(
                title="Autumn %d" % n, areas=[ward], topics=["parks"], communities=["carers"], external_ref=None,
                fieldwork={"start": "2036-09-02", "end": "2036-09-10"}), token=coord).status, 201)
        time.sleep(2.5)
        eq(len(rx.got), len(evs), "two asks in September are within the limit")
        r = d.request("PATCH", "/v1/consultations/" + far.json["id"],
                      {"areas": [ward], "fieldwork": {"start": "2036-09-03", "end": "2036-09-12"}}, token=coord,
                      headers={"If-Match": '"%d"' % far.json["version"]})
        eq(r.status, 200, r.body)
        check(rx.wait(len(evs) + 1, 10), "moving a consultation into a full month raised fatigue.exceeded")
        time.sleep(2.5)
        late = rx.events()[len(evs):]
        check("2036-09" in [e["data"]["month"] for e in late], late)
        eq({e["data"]["consultation"] for e in late}, {far.json["id"]}, "the edited consultation is named")
        eq(other.got, [], "the community filter keeps carers' fatigue from a young-people subscription")
        # the watch in /metrics: every write checked (seven posts, one edit),
        # the events it raised, and a queue now empty
        value = lambda name: float(re.search(r"^%s (\S+)$" % name, d.request("GET", "/metrics").body.decode(),
                                             re.M).group(1))
        eq(value("consultd_fatigue_checks_total"), 8.0)
        eq(value("consultd_fatigue_exceeded_total"), float(len(rx.got)))
        wait_until(lambda: value("consultd_fatigue_queue_depth") == 0.0, "the queue's gauge to read empty")
        eq(value("consultd_fatigue_queue_oldest_age_seconds"), 0.0)
    finally:
        rx.close()
        other.close()
        a.close()


@test
def fatigue_watch_counts_containment_and_long_queues(env):
    """The watch counts what contains an area and what lies inside it, and a
    queue longer than one claim raises each exceeded bucket exactly once."""
    a = Alerts(env)
    rx = Receiver()
    try:
        d = a.daemon(CONSULTD_FATIGUE_MAX_ASKS="2")
        _, coord = a.org("Fatigue Watch Coordinators", "coordinator")
        district = a.psql("SELECT parent FROM area_parents p JOIN areas a ON a.code = p.code"
                          " WHERE a.level = 'ward' GROUP BY parent HAVING count(*) >= 3 ORDER BY parent OFFSET 90 LIMIT 1")
        w1, w2 = a.psql("SELECT code FROM area_parents WHERE parent = '%s' ORDER BY code LIMIT 2" % district).split()
        a.subscribe(d, coord, url=rx.url(), events=["fatigue.exceeded"])
        post = lambda area, start, end, n: d.request("POST", "/v1/consultations", body(
            title="Watch %d" % n, areas=[area], topics=["parks"], communities=["carers"], external_ref=None,
            fieldwork={"start": start, "end": end}), token=coord)
        # A district-wide ask counts in its wards' buckets: with one ward ask, two.
        eq(post(district, "2038-03-05", "2038-03-20", 1).status, 201)
        eq(post(w1, "2038-03-06", "2038-03-21", 2).status, 201)
        time.sleep(2.5)
        eq(rx.got, [], "two asks of the ward are within the limit")
        third = post(w1, "2038-03-07", "2038-03-22", 3)
        eq(third.status, 201)
        check(rx.wait(1, 10), "the district ask and two ward asks exceed the ward's limit")
        # Ward asks count in their district's buckets.
        for n in (4, 5):
            eq(post(w2, "2038-11-03", "2038-11-20", n).status, 201)
        wait_for(lambda: a.psql("SELECT count(*) FROM fatigue_pending") == "0", 10, "the ward asks checked")
        eq(post(district, "2038-11-04", "2038-11-21", 6).status, 201)  # checked on its own
        deadline = time.time() + 10
        while time.time() < deadline and not any(e["data"]["area"] == district for e in rx.events()):
            time.sleep(0.2)
        time.sleep(2.5)
        seen = {(e["data"]["area"], e["data"]["month"], e["data"]["count"]) for e in rx.events()}
        check((w1, "2038-03", 3) in seen, seen)
        check((district, "2038-11", 3) in seen, seen)
        check(not any(area == w2 for area, _, _ in seen), "two asks of the other ward are within its limit")
        # 150 asks in 50 wards, three each: more than one claim of the queue.
        wards = a.wards(50, 2400)
        before = len(rx.got)
        n = 100
        for ward in wards:
            for k in range(3):
                n += 1
                eq(post(ward, "2039-06-0%d" % (k + 1), "2039-06-2%d" % (k + 1), n).status, 201)
        # each ward's June asks fill the 90-day windows that end in June, July and August
        check(rx.wait(before + 150, 30), "every ward was alerted (%d events of 150)" % (len(rx.got) - before))
        time.sleep(2.5)
        late = [e["data"] for e in rx.events()[before:]]
        got = sorted((e["area"], e["month"]) for e in late)
        eq(got, sorted((w, m) for w in wards for m in ("2039-06", "2039-07", "2039-08")), "each bucket once")
        eq({e["count"] for e in late}, {3})
        r = d.request("GET", "/v1/fatigue?area=%s&community=carers&from=2039-06-01&to=2039-06-30" % wards[7],
                      token=coord)
        eq([(b["count"], b["exceeded"]) for b in r.json["items"]], [(3, True)], "the alert agrees with GET /v1/fatigue")
        eq(a.psql("SELECT count(*) FROM fatigue_pending"), "0", "the queue is drained")
    finally:
        rx.close()
        a.close()


@test
def webhook_is_signed_and_retried_until_delivered(env):
    a = Alerts(env)
    rx = Receiver(script=[500, 503], default=200)
    try:
        d = a.daemon()
        _, coord = a.org("Retry Coordinators", "coordinator")
        ward = a.wards(1, 0)[0]
        s = a.subscribe(d, coord, url=rx.url(), filters={"areas": [ward]})
        o = pair(d, coord, ward)
        check(rx.wait(3), "three attempts: %d arrived" % len(rx.got))
        ids = {g["headers"]["webhook-id"] for g in rx.got}
        eq(len(ids), 1, "the same webhook-id on every attempt")
        for g in rx.got:
            check(verify(s["secret"], g["headers"], g["body"]), "signature verifies")
            check(abs(int(g["headers"]["webhook-timestamp"]) - time.time()) < 60, "timestamp is now")
        ev = json.loads(rx.got[-1]["body"])
        eq(ev["type"], "overlap.detected")
        eq(ev["data"]["overlap"]["id"], o["id"])
        eq(ev["data"]["console_url"], "https://consultd.example.org/console/#/overlaps/" + o["id"],
           "the overlap's page in the console, under server.public_url")
        eq(sorted(c["id"] for c in ev["data"]["consultations"]), sorted(o["consultations"]))
        wait_for(lambda: len(attempts(d, coord, s["id"])) == 3, what="three recorded attempts")
        got = attempts(d, coord, s["id"])
        eq([x["status_code"] for x in got], [200, 503, 500], "newest first")
        eq([x["outcome"] for x in got], ["delivered", "retry", "retry"])
        check(got[2]["next_attempt_at"] is not None and got[0]["next_attempt_at"] is None)
        eq(got[0]["delivery_status"], "delivered")
        time.sleep(1.5)
        eq(len(rx.got), 3, "nothing more once delivered")
        # a tampered body does not verify
        bad = dict(rx.got[-1])
        check(not verify(s["secret"], bad["headers"], bad["body"] + b" "), "tampering is detected")
    finally:
        rx.close()
        a.close()


@test
def faults_are_handled_and_delay_no_one_else(env):
    a = Alerts(env)
    hang = Receiver(default=("hang", 5))
    target = Receiver()
    redirect = Receiver(default=("redirect", target.url("/elsewhere")))
    gone = Receiver(default=410)
    healthy = Receiver()
    closed = free_port()  # nothing listens here
    try:
        d = a.daemon()
        _, coord = a.org("Fault Coordinators", "coordinator")
        ward = a.wards(1, 10)[0]
        f = {"areas": [ward]}
        subs = {name: a.subscribe(d, coord, url=url, filters=f) for name, url in [
            ("hang", hang.url()), ("redirect", redirect.url()), ("gone", gone.url()),
            ("refused", "http://127.0.0.1:%d/hook" % closed), ("healthy", healthy.url())]}
        t0 = time.time()
        pair(d, coord, ward)
        check(healthy.wait(1, 10), "the healthy receiver got its alert")
        took = healthy.got[0]["at"] - t0
        check(took < 1.5, "the healthy delivery waited for no one (%.2f s; the hang lasts 5 s)" % took)
        # 410: disabled at once, one attempt, nothing more
        wait_for(lambda: d.request("GET", "/v1/subscriptions/" + subs["gone"]["id"], token=coord).json["status"]
                 == "disabled", what="the 410 subscription disabled")
        time.sleep(2.5)
        eq(len(gone.got), 1, "no retry after 410")
        g = attempts(d, coord, subs["gone"]["id"])
        eq([(x["status_code"], x["outcome"]) for x in g], [(410, "disabled")])
        # redirect: not followed, recorded, retried
        wait_for(lambda: len(attempts(d, coord, subs["redirect"]["id"])) >= 2, what="redirect retried")
        r = attempts(d, coord, subs["redirect"]["id"])[-1]
        eq(r["status_code"], 302)
        check("not followed" in r["error"], r)
        eq(target.got, [], "the redirect target was never called")
        # refused connections: an error, retried
        wait_for(lambda: len(attempts(d, coord, subs["refused"]["id"])) >= 2, what="refused retried")
        r = attempts(d, coord, subs["refused"]["id"])[-1]
        check(r["status_code"] is None and r["error"], r)
        # the hanging receiver: cut off at alerts.timeout_s (2 s), retried with the same id
        wait_for(lambda: len(attempts(d, coord, subs["hang"]["id"])) >= 1, timeout=10, what="hang timed out")
        h = attempts(d, coord, subs["hang"]["id"])[-1]
        check(h["error"] and "timed out" in h["error"], h)
        check(1900 <= h["duration_ms"] < 4000, h)
        wait_for(lambda: len(hang.got) >= 2, timeout=10, what="hang retried")
        eq(len({g["headers"]["webhook-id"] for g in hang.got}), 1)
    finally:
        for rx in (hang, target, redirect, gone, healthy):
            rx.close()
        a.close()


@test
def private_targets_are_refused_where_connected(env):
    a = Alerts(env)
    rx = Receiver()
    try:
        d = a.daemon(CONSULTD_ALERTS_ALLOW_PRIVATE_TARGETS="false")
        org, coord = a.org("Guarded Coordinators", "coordinator")
        problem(d.request("POST", "/v1/subscriptions", {"url": rx.url()}, token=coord), 422, "url")
        problem(d.request("POST", "/v1/subscriptions", {"url": "http://[::1]:%d/" % rx.port}, token=coord), 422, "url")
        ward = a.wards(1, 20)[0]
        # A name that resolves to a loopback address passes the literal check; the
        # check on the address actually connected must stop it.
        names = []
        try:
            host = socket.gethostname()
            if socket.gethostbyname(host).startswith("127."):
                names.append(host)
        except OSError:
            pass
        subs = []
        for name in names:
            subs.append(a.subscribe(d, coord, url="http://%s:%d/hook" % (name, rx.port), filters={"areas": [ward]}))
        # and one written straight into the database, as if the check at creation had been missed
        sid = a.psql("INSERT INTO subscriptions (id, organisation_id, url, events, areas, secret) VALUES"
                     " (gen_random_uuid(), '%s', '%s', '{overlap.detected}', '{%s}', 'whsec_%s') RETURNING id"
                     % (org, rx.url(), ward, "A" * 44)).splitlines()[0]
        subs.append({"id": sid})
        pair(d, coord, ward)
        for s in subs:
            wait_for(lambda s=s: len(attempts(d, coord, s["id"])) >= 1, what="an attempt recorded")
            e = attempts(d, coord, s["id"])[0]["error"]
            check("refused to connect to 127." in e and "not a public address" in e, e)
        time.sleep(0.5)
        eq(rx.got, [], "the loopback receiver was never reached")
    finally:
        rx.close()
        a.close()


@test
def filters_decide_who_hears(env):
    a = Alerts(env)
    rxs = {k: Receiver() for k in ("district", "ward", "other_ward", "topic", "other_topic", "community", "high",
                                   "all_events")}
    try:
        d = a.daemon()
        _, coord = a.org("Filter Coordinators", "coordinator")
        district = a.psql("SELECT parent FROM area_parents p JOIN areas a ON a.code = p.code"
                          " WHERE a.level = 'ward' ORDER BY p.code OFFSET 40 LIMIT 1")
        w1, w2 = a.psql("SELECT code FROM area_parents WHERE parent = '%s' ORDER BY code LIMIT 2" % district).split()
        sub = lambda k, **f: a.subscribe(d, coord, url=rxs[k].url(), filters=f)
        sub("district", areas=[district])                       # contains the ward
        sub("ward", areas=[w1])
        sub("other_ward", areas=[w2])                           # a sibling: never
        sub("topic", areas=[district], topics=["housing"])
        sub("other_topic", areas=[district], topics=["transport"])
        sub("community", areas=[district], communities=["carers"])
        sub("high", areas=[district], min_level="high")
        a.subscribe(d, coord, url=rxs["all_events"].url(), events=["overlap.updated"], filters={"areas": [w1]})
        o = pair(d, coord, w1, topic="housing-repairs", community="carers")
        for k in ("district", "ward", "topic", "community"):
            check(rxs[k].wait(1, 10), "%s hears of it" % k)
        # a district-wide consultation reaches a subscriber to one of its wards
        dw = pair(d, coord, district, topic="transport", community="young-people", start="2033-05-01",
                  end="2033-05-20")
        check(rxs["other_ward"].wait(1, 10), "a ward subscriber hears of its district")
        check(rxs["other_topic"].wait(1, 10), "transport subscriber hears of transport")
        time.sleep(1.5)
        eq(len(rxs["other_topic"].got), 1, "only the transport overlap reached the transport subscriber")
        eq([e["data"]["overlap"]["id"] for e in rxs["other_ward"].events()], [dw["id"]])
        eq(len(rxs["topic"].got), 1, "a parent topic matches its children; transport does not")
        levels = [e["data"]["overlap"]["level"] for e in rxs["high"].events()]
        check(all(lv == "high" for lv in levels), levels)
        eq(rxs["all_events"].got, [], "overlap.detected is not overlap.updated")
        # a status change is an overlap.updated event
        r = d.request("PATCH", "/v1/overlaps/" + o["id"], {"status": "acknowledged", "note": "talking"}, token=coord,
                      headers={"If-Match": '"%d"' % o["version"]})
        eq(r.status, 200)
        check(rxs["all_events"].wait(1, 10), "overlap.updated delivered")
        ev = rxs["all_events"].events()[0]
        eq((ev["type"], ev["data"]["overlap"]["status"]), ("overlap.updated", "acknowledged"))
    finally:
        for rx in rxs.values():
            rx.close()
        a.close()


@test
def slack_email_and_ping(env):
    a = Alerts(env)
    slack = Receiver()
    smtp = SmtpReceiver()
    try:
        d = a.daemon(CONSULTD_SMTP_URL="smtp://127.0.0.1:%d" % smtp.port, CONSULTD_SMTP_FROM="alerts@example.org")
        _, coord = a.org("Format Coordinators", "coordinator")
        ward = a.wards(1, 30)[0]
        name = a.psql("SELECT name FROM areas WHERE code = '%s'" % ward)
        s = a.subscribe(d, coord, url=slack.url(), format="slack", filters={"areas": [ward]})
        e = a.subscribe(d, coord, email="coordinator@example.org", filters={"areas": [ward]})
        eq(e["warnings"], [], "a mail server is set: nothing to warn of")
        o = pair(d, coord, ward, title="Damp homes survey")
        check(slack.wait(1, 10), "the Slack message arrived: %s" % d.logs()[-1500:])
        check(smtp.wait(1, 10), "the e-mail arrived: %s" % d.logs()[-1500:])
        msg = json.loads(slack.got[0]["body"])
        for want in ("Damp homes survey", "Repairs and damp: tell us", "Format Coordinators", name,
                     "2031-03-01", "https://consultd.example.org/v1/overlaps/" + o["id"],
                     "In the console: https://consultd.example.org/console/#/overlaps/" + o["id"]):
            check(want in msg["text"], "slack text names %r" % want)
        check(isinstance(msg.get("blocks"), list) and msg["blocks"], "blocks")
        check(verify(s["secret"], slack.got[0]["headers"], slack.got[0]["body"]), "slack bodies are signed too")
        mail = smtp.messages[0]
        eq(mail["rcpt"], ["<coordinator@example.org>"])
        check("Subject: Overlap: Damp homes survey / Repairs and damp: tell us in %s\r\n" % name in mail["data"],
              mail["data"][:600])
        check("From: alerts@example.org\r\n" in mail["data"])
        check("/v1/consultations/" in mail["data"] and "housing" in mail["data"])
        check("https://consultd.example.org/console/#/overlaps/" + o["id"] in mail["data"], "the e-mail links the console")
        # ping
        r = d.request("POST", "/v1/subscriptions/%s/test" % s["id"], token=coord)
        eq(r.status, 202)
        check(slack.wait(2, 10), "the ping arrived")
        eq(slack.got[1]["headers"]["webhook-id"], r.json["event_id"])
        check("test alert" in json.loads(slack.got[1]["body"])["text"])
    finally:
        slack.close()
        smtp.close()
        a.close()


@test
def email_without_a_mail_server_is_kept_with_a_warning(env):
    """With smtp.url unset an e-mail subscription is made (the operator may set
    it later and reload) but the reply warns of it; a ping's attempt then says
    why it was not sent, in the fields API.md's deliveries list."""
    a = Alerts(env)
    try:
        d = a.daemon()
        _, coord = a.org("Mailless Coordinators", "coordinator")
        s = a.subscribe(d, coord, email="nobody-yet@example.org")
        eq(len(s["warnings"]), 1, s)
        check("smtp.url is not set" in s["warnings"][0] and "E-mail is not set up" in s["warnings"][0], s["warnings"])
        hook = a.subscribe(d, coord, url="https://hooks.example.org/mailless")
        eq(hook["warnings"], [], "a webhook has nothing to warn of")
        r = d.request("POST", "/v1/subscriptions/%s/test" % s["id"], token=coord)
        eq(r.status, 202, r)
        wait_for(lambda: attempts(d, coord, s["id"]), what="the ping's attempt")
        x = attempts(d, coord, s["id"])[0]
        eq((str(x["event_id"]), x["event_type"], x["outcome"], x["status_code"]), (r.json["event_id"], "ping", "retry", None))
        check("smtp.url is not set" in x["error"] and x["next_attempt_at"], x)
        check(x["attempted_at"], x)
    finally:
        a.close()


@test
def kill_9_loses_no_event(env):
    a = Alerts(env)
    rx = Receiver(delay=0.05)
    try:
        d = a.daemon()
        _, coord = a.org("Crash Coordinators", "coordinator")
        wards = a.wards(40, 100)
        s = a.subscribe(d, coord, url=rx.url(), filters={"areas": wards})
        posted = threading.Event()

        def post_all():
            for w in wards:
                try:
                    pair(current[0], coord, w)
                except Exception:  # the daemon was killed mid-request: that pair is retried
                    try:
                        time.sleep(0.3)
                        pair(current[0], coord, w)
                    except Exception:
                        pass
            posted.set()

        current = [d]
        t = threading.Thread(target=post_all)
        t.start()
        for _ in range(6):
            time.sleep(0.4)
            current[0].proc.send_signal(signal.SIGKILL)
            current[0].proc.wait()
            current[0].stop(expect_status=None, signalled=True)
            current[0] = a.daemon()
        t.join(60)
        check(posted.is_set(), "all posts made")
        want = set(a.psql("SELECT e.id FROM alert_events e JOIN overlap_pairs o ON o.id = e.overlap_id"
                          " JOIN consultations c ON c.id = o.consultation_a"
                          " WHERE e.type = 'overlap.detected' AND c.areas && ARRAY['%s']" % "','".join(wards))
                   .split())
        check(len(want) >= 30, "enough events: %d" % len(want))
        wait_for(lambda: want <= {g["headers"]["webhook-id"] for g in rx.got}, timeout=40,
                 what="every event delivered")
        # A delivery received but not yet recorded when its sender was killed is
        # sent again once its lease runs out: the outbox settles at all delivered.
        wait_for(lambda: a.psql("SELECT count(*) FROM deliveries WHERE subscription_id = '%s'"
                                " AND status <> 'delivered'" % s["id"]) == "0", timeout=30,
                 what="every delivery recorded as delivered")
        got = [g["headers"]["webhook-id"] for g in rx.got]
        print("     kill -9 x6: %d events, %d deliveries received (%d duplicates), none lost"
              % (len(want), len(got), len(got) - len(set(got))))
    finally:
        rx.close()
        a.close()


@test
def two_instances_deliver_each_event_once(env):
    a = Alerts(env)
    rx = Receiver()
    try:
        d1, d2 = a.daemon(), a.daemon()
        _, coord = a.org("Twin Coordinators", "coordinator")
        wards = a.wards(100, 200)
        a.subscribe(d1, coord, url=rx.url(), filters={"areas": wards})
        threads = [threading.Thread(target=lambda ws, d: [pair(d, coord, w) for w in ws], args=(ws, d))
                   for ws, d in ((wards[:50], d1), (wards[50:], d2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        check(rx.wait(100, 30), "100 events delivered: %d" % len(rx.got))
        time.sleep(1.5)
        ids = [g["headers"]["webhook-id"] for g in rx.got]
        eq(len(ids), 100, "each event delivered once")
        eq(len(set(ids)), 100)
    finally:
        rx.close()
        a.close()


@test
def notify_wakes_the_dispatchers(env):
    a = Alerts(env)
    rx = Receiver()
    try:
        d = a.daemon()
        _, coord = a.org("Notify Coordinators", "coordinator")
        ward = a.wards(1, 40)[0]
        s = a.subscribe(d, coord, url=rx.url(), filters={"areas": [ward]})
        # The writing instance tells the others: NOTIFY after the commit.
        listener = subprocess.Popen(["psql", "-X", "-q", a.url, "-c", "LISTEN consultd_alerts", "-c",
                                     "SELECT pg_sleep(2.5)"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
        # listening once its second command runs
        wait_for(lambda: a.psql("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(2.5)'"
                                " AND state = 'active'") != "0", 10, "the listener listening")
        pair(d, coord, ward)
        out = listener.communicate(timeout=20)[0]
        check('notification "consultd_alerts"' in out, "NOTIFY sent for the new overlap: %r" % out)
        check(rx.wait(1, 10))
        # A listening dispatcher wakes on NOTIFY, not only on its one-second poll:
        # events written by someone else arrive well within the poll period.
        late = []
        for i in range(5):
            time.sleep(0.13 * (i + 1))  # anywhere in the poll cycle
            t0 = time.time()
            a.psql("BEGIN; INSERT INTO alert_events (type, subscription_id, data) VALUES ('ping', '%s',"
                   " '{\"n\": %d}'); NOTIFY consultd_alerts; COMMIT;" % (s["id"], i))
            check(rx.wait(2 + i, 5), "ping %d delivered" % i)
            late.append(time.time() - t0)
        check(max(late) < 0.4, "woken by NOTIFY, not the poll: %r" % late)
    finally:
        rx.close()
        a.close()
