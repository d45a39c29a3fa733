"""The largest calendars (API.md section 9): more events than a calendar
shows (CALENDAR_MAX_EVENTS, X-Consultd-Truncated), and events whose bytes in
all are more than the daemon keeps (its event cache, body_cache.h), asked for
by several subscribers at once; and a large calendar first read while its
rows are being edited, one after another, as an import does."""
import re
import socket
import threading

from harness import test, eq, check

PUBLIC_URL = "https://consult.example.org"
MAX_EVENTS = 10000


def vevent_count(raw):
    return raw.count(b"BEGIN:VEVENT\r\n")


@test(timeout=300)
def largest_calendar_is_cut_and_answered_to_every_subscriber(env):
    d = env.daemon({"CONSULTD_SERVER_PUBLIC_URL": PUBLIC_URL})
    org, token = env.new_org("Largest Calendar Council")
    # MAX_EVENTS + 1 consultations in the calendar's window, written straight into the table
    env.psql("INSERT INTO consultations (id, organisation_id, title, summary, areas, area_scope, fieldwork_start,"
             " fieldwork_end)"
             " SELECT gen_random_uuid(), '%s', 'Large calendar event ' || i, 'Summary ' || i, '{E09000007}',"
             " '{E09000007}', current_date + (i %% 300), current_date + (i %% 300) + 7"
             " FROM generate_series(1, %d) i" % (org, MAX_EVENTS + 1))
    f = d.request("POST", "/v1/feeds", {"label": "Everything", "filters": {"organisation": org}}, token=token)
    eq(f.status, 201)
    path = f.json["url"][len(PUBLIC_URL):]
    rendered = lambda: int(re.search(r"^consultd_calendar_events_rendered_total (\d+)$",
                                     d.request("GET", "/metrics").body.decode(), re.M).group(1))

    first = d.request("GET", path, timeout=120)
    eq(first.status, 200, "%r" % first)
    eq(first.header("x-consultd-truncated"), "true", "more rows than a calendar shows")
    eq(vevent_count(first.body), MAX_EVENTS)
    check(first.body.endswith(b"END:VCALENDAR\r\n"), "one whole calendar")
    # the whole calendar kept: the same bytes, still marked cut, nothing rendered
    before = rendered()
    kept = d.request("GET", path, timeout=120)
    eq(kept.status, 200)
    eq(kept.body, first.body)
    eq(kept.header("etag"), first.header("etag"))
    eq(kept.header("x-consultd-truncated"), "true", "the kept calendar is marked cut too")
    eq(rendered(), before, "answered from the kept calendar")
    eq(d.request("GET", path, headers={"If-None-Match": first.header("etag")}).status, 304)

    # every event edited to a long summary (about 2 kB as a VEVENT: some 20 MB
    # of events, more than the event cache's 16 MiB and the calendar cache's)
    env.psql("UPDATE consultations SET summary = repeat('Long summary ' || title || '. ', 55),"
             " version = version + 1, updated_at = now() WHERE organisation_id = '%s'" % org)
    first = d.request("GET", path, timeout=120)
    eq(first.status, 200, "%r" % first)
    eq(first.header("x-consultd-truncated"), "true")
    eq(vevent_count(first.body), MAX_EVENTS)
    check(len(first.body) > 17 << 20, "more bytes of events than the event cache holds: %d" % len(first.body))

    # several subscribers at once: each put together from what is kept and
    # what is read again; every one answered, with the same bytes
    results, lock = [], threading.Lock()

    def subscriber(k):
        for _ in range(2):
            r = d.request("GET", path, timeout=120)
            with lock:
                results.append((r.status, r.header("etag"), len(r.body), r.header("x-consultd-truncated"),
                                r.body if r.status != 200 else None))

    threads = [threading.Thread(target=subscriber, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    eq(len(results), 6)
    for status, etag, n, truncated, body in results:
        eq(status, 200, "every subscriber answered: %r" % (body[:300] if body else None))
        eq(etag, first.header("etag"))
        eq(n, len(first.body))
        eq(truncated, "true")
    # subscribers that go away before their answer: nothing leaks (the
    # sanitizer build checks at stop), the next one is answered
    for k in range(6):
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
        if k % 2:
            s.recv(1024)  # gone in the middle of the body
        s.close()
    again = d.request("GET", path, timeout=120)
    eq(again.status, 200)
    eq(again.body, first.body)
    unavailable = [l for l in d.logs().splitlines() if re.search(r"calendar: .*503", l)]
    eq(unavailable, [], "no calendar answered 503")
    d.stop()
    env.psql("DELETE FROM consultations WHERE organisation_id = '%s'" % org)  # the tests after list fewer


def cold_calendar_under_edits(env, summary_sql, label):
    """A daemon with nothing kept reads every row of a large calendar; rows
    edited meanwhile (an import's steady stream of updates) must not keep it
    from answering."""
    rows = 6000
    d = env.daemon({"CONSULTD_SERVER_PUBLIC_URL": PUBLIC_URL})
    org, token = env.new_org("Cold Calendar Council " + label)
    env.psql("INSERT INTO consultations (id, organisation_id, external_ref, title, summary, areas, area_scope,"
             " fieldwork_start, fieldwork_end)"
             " SELECT gen_random_uuid(), '%s', i::text, 'Cold calendar event ' || i, %s, '{E09000007}',"
             " '{E09000007}', current_date + (i %% 300), current_date + (i %% 300) + 7"
             " FROM generate_series(1, %d) i" % (org, summary_sql, rows))
    f = d.request("POST", "/v1/feeds", {"label": "Cold", "filters": {"organisation": org}}, token=token)
    eq(f.status, 201)
    path = f.json["url"][len(PUBLIC_URL):]
    d.stop()

    # an import's stream of updates: one row at a time, each committed
    stop = threading.Event()

    def edits():
        while not stop.is_set():
            env.psql("DO $$ BEGIN FOR k IN 1..400 LOOP"
                     " UPDATE consultations SET title = 'Cold calendar event edited ' || k, version = version + 1,"
                     " updated_at = now() WHERE organisation_id = '%s'"
                     " AND external_ref = (1 + floor(random() * %d))::text; COMMIT; PERFORM pg_sleep(0.004);"
                     " END LOOP; END $$" % (org, rows))

    t = threading.Thread(target=edits)
    t.start()
    try:
        for trial in range(4):
            cold = env.daemon({"CONSULTD_SERVER_PUBLIC_URL": PUBLIC_URL})
            r = cold.request("GET", path, timeout=120)
            logs = cold.logs()
            cold.stop()
            eq(r.status, 200, "a cold calendar under edits, try %d: %r %s" % (trial, r, [
                l for l in logs.splitlines() if "calendar:" in l][:2]))
            eq(vevent_count(r.body), rows)
            check(label != "long" or len(r.body) > 16 << 20, "more bytes than the event cache: %d" % len(r.body))
    finally:
        stop.set()
        t.join(60)
        env.psql("DELETE FROM consultations WHERE organisation_id = '%s'" % org)  # the tests after list fewer


@test(timeout=300)
def cold_calendar_is_answered_while_its_rows_are_edited(env):
    cold_calendar_under_edits(env, "'Summary ' || i", "short")


@test(timeout=300)
def cold_calendar_larger_than_the_event_cache_is_answered_while_its_rows_are_edited(env):
    # about 3 kB a VEVENT: some 18 MB of events, more than the event cache keeps
    cold_calendar_under_edits(env, "repeat('Long summary ' || i || '. ', 160)", "long")
