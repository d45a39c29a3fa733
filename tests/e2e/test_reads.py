"""Single-statement reads several at a time on one pool connection (db_read):
reads under concurrency, a lost backend, statement_timeout; and GET
/v1/consultations/{id}, whose ids asked for together are read in one
statement (db_batch)."""
import re
import threading
import time
import uuid

from harness import test, eq, check, wait_until
from common import body


def metric(d, name):
    m = re.search(r"^%s (\d+)$" % re.escape(name), d.request("GET", "/metrics").body.decode(), re.M)
    return int(m.group(1)) if m else None


def batch(d):
    """The consultation reads' statements and keys sent, in flight and gathering (db_batch)."""
    return {k: metric(d, 'consultd_db_batch_%s{read="consultation"}' % k)
            for k in ("statements_total", "keys_total", "in_flight", "gathering")}


def post_titled(d, token, title, n):
    """Posts n consultations titled "<title> 0", "<title> 1"...: {id: title}, in order."""
    made = {}
    for i in range(n):
        r = d.request("POST", "/v1/consultations", body(title="%s %d" % (title, i)), token=token)
        eq(r.status, 201)
        made[r.json["id"]] = r.json["title"]
    return made


def post_one_and_read_it(d, token, title):
    """Posts one consultation and reads it once, so that the API key is cached and
    the reads a test makes afterwards are the only ones: its id."""
    r = d.request("POST", "/v1/consultations", body(title=title), token=token)
    eq(r.status, 201)
    eq(d.request("GET", "/v1/consultations/" + r.json["id"], token=token).status, 200)
    return r.json["id"]


def lock_consultations(env, seconds, url=None):
    """Holds consultations (of the database at url, or the tests' own) locked for `seconds` from a
    thread (returned, started, once the lock is granted): reads of it wait. The holder may be
    terminated early (pg_terminate_backend, release_consultations): that ends the lock too."""
    def terminated(e):
        if "terminating connection" not in str(e):
            raise e
    return env.hold_table_lock("consultations", seconds, url, on_error=terminated)


def release_consultations(env, locker, url=None):
    """Ends a lock_consultations hold at once (terminating its session) and waits for its thread."""
    env.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE query LIKE 'BEGIN; LOCK TABLE consultations%' AND pid <> pg_backend_pid()", url)
    locker.join()


# Tests that look at reads while consultations are locked hold the lock this long
# at most and end it when they have looked: on a slow machine (ASan, other work)
# the looking may take seconds, and a lock that ends first would end the test.
HOLD_S = 20


def get_all(d, token, paths):
    """GETs every path at once, one thread each; the responses in the order of paths."""
    out = [None] * len(paths)

    def one(i):
        out[i] = d.request("GET", paths[i], token=token, timeout=30)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(paths))]
    for t in threads:
        t.start()
    return threads, out


@test
def reads_share_connections_and_each_gets_its_own_answer(env):
    # two connections, sixteen readers: known ids, unknown ids and malformed ones interleaved
    d = env.daemon(extra_env={"CONSULTD_DATABASE_POOL_SIZE": "2"})
    _, token = env.new_org("Pipelined Council")
    made = post_titled(d, token, "Read test", 6)
    ids = list(made)
    unknown = [str(uuid.uuid4()) for _ in range(3)]
    paths = []
    for i in range(240):
        k = i % 8
        if k < 5:
            paths.append("/v1/consultations/" + ids[i % len(ids)])
        elif k == 5:
            paths.append("/v1/consultations/" + unknown[i % len(unknown)])
        elif k == 6:
            paths.append("/v1/consultations/not-a-uuid-%d" % i)
        else:
            paths.append("/v1/consultations/" + ids[i % len(ids)][:35] + "g")
    results = [None] * len(paths)

    def worker(w):
        for i in range(w, len(paths), 16):
            results[i] = d.request("GET", paths[i], token=token, timeout=30)
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for p, r in zip(paths, results):
        check(r is not None, "answered: " + p)
        tail = p.rsplit("/", 1)[1]
        if tail in made:
            eq(r.status, 200, p)
            eq(r.json["id"], tail, "each read gets its own row")
            eq(r.json["title"], made[tail])
            eq(r.header("etag"), '"1"')
        else:
            eq(r.status, 404, p)
            check(r.header("content-type").startswith("application/problem+json"), p)

    # and they are truly in flight together: with the table locked, eight reads wait on two connections
    # (a consultation's overlaps: one db_read each; GETs of consultations gather, see below)
    paths = ["/v1/consultations/%s/overlaps" % ids[i % len(ids)] for i in range(8)]
    want = [d.request("GET", p, token=token) for p in paths]
    eq([r.status for r in want], [200] * 8)
    locker = lock_consultations(env, HOLD_S)
    threads, out = get_all(d, token, paths)
    wait_until(lambda: metric(d, "consultd_db_reads_in_flight") == 8, "eight reads in flight on two connections",
               timeout=10)
    release_consultations(env, locker)
    for t in threads:
        t.join(30)
    eq([r.status for r in out], [200] * 8)
    eq([r.json for r in out], [r.json for r in want])
    eq(metric(d, "consultd_db_reads_in_flight"), 0)
    d.stop()
    check("connection lost" not in d.logs())


@test
def a_lost_backend_fails_its_queued_reads_with_503_then_service_returns(env):
    d = env.daemon(extra_env={"CONSULTD_DATABASE_POOL_SIZE": "2"})
    _, token = env.new_org("Terminated Council")
    r = d.request("POST", "/v1/consultations", body(title="Survives a lost backend"), token=token)
    eq(r.status, 201)
    cid = r.json["id"]
    errors = metric(d, "consultd_db_errors_total")
    locker = lock_consultations(env, HOLD_S)
    threads, out = get_all(d, token, ["/v1/consultations/%s/overlaps" % cid] * 10)
    wait_until(lambda: metric(d, "consultd_db_reads_in_flight") == 10, "ten reads queued on two connections")
    # the daemon's backends waiting on the lock: the pool's two carrying the reads (and any
    # background job's that happened to read the table meanwhile)
    killed = env.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE application_name = 'consultd' AND wait_event_type = 'Lock'")
    check(int(killed) >= 2, "the pool's two connections terminated (%s)" % killed)
    for t in threads:
        t.join(30)
    eq([r.status for r in out], [503] * 10, "every read queued on a lost connection is 503")
    check(all(r.header("retry-after") for r in out), "503 carries Retry-After")
    check(all(r.header("content-type").startswith("application/problem+json") for r in out))
    release_consultations(env, locker)
    start = time.time()
    wait_until(lambda: d.request("GET", "/v1/consultations/" + cid, token=token).status == 200,
               "reads served again", timeout=10)
    check(time.time() - start < 2, "service back within the reconnect back-off")
    eq(metric(d, "consultd_db_errors_total"), errors + 2, "two connections lost, counted")
    threads, out = get_all(d, token, ["/v1/consultations/" + cid] * 10)
    for t in threads:
        t.join(30)
    eq([r.status for r in out], [200] * 10)
    d.stop()


@test
def statement_timeout_ends_each_queued_read_alone(env):
    # one connection, reads queued on it behind a lock: each is cancelled by the
    # server after statement_timeout from when the one before it ends, and the
    # connection is kept
    d = env.daemon(extra_env={"CONSULTD_DATABASE_POOL_SIZE": "1", "CONSULTD_DATABASE_STATEMENT_TIMEOUT_MS": "400"})
    _, token = env.new_org("Patient Council")
    cid = post_one_and_read_it(d, token, "Slow to read")
    errors = metric(d, "consultd_db_errors_total")
    locker = lock_consultations(env, 4)
    t0 = time.time()
    took = [None] * 3
    out = [None] * 3

    def one(i):
        out[i] = d.request("GET", "/v1/consultations/" + cid, token=token, timeout=30)
        took[i] = time.time() - t0
    threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    eq([r.status for r in out], [503] * 3, "a read cancelled by statement_timeout is 503")
    check(max(took) < 3.0, "each read bounded by statement_timeout, not by the lock (%.2f s)" % max(took))
    check(min(took) >= 0.35, "the server waited statement_timeout (%.2f s)" % min(took))
    locker.join()
    eq(d.request("GET", "/v1/consultations/" + cid, token=token).status, 200)
    eq(metric(d, "consultd_db_errors_total"), errors, "no connection was dropped")
    d.stop()


@test
def overlap_and_me_reads_run_without_holding_a_connection(env):
    # one connection: an overlap, a consultation's overlaps and /v1/me all in flight on it at once
    d = env.daemon(extra_env={"CONSULTD_DATABASE_POOL_SIZE": "1"})
    a_org, a_tok = env.new_org("Reading Council A")
    _, b_tok = env.new_org("Reading Trust B", kind="nhs")
    fw = {"start": "2046-03-01", "end": "2046-04-15"}
    a = d.request("POST", "/v1/consultations", body(title="Care charging", topics=["adult-social-care"],
                                                    communities=["carers"], fieldwork=fw), token=a_tok)
    b = d.request("POST", "/v1/consultations", body(title="Carers support", topics=["adult-social-care"],
                                                    communities=["carers"], fieldwork=fw), token=b_tok)
    eq((a.status, b.status), (201, 201))
    eq(len(b.json["overlaps"]), 1)
    oid = b.json["overlaps"][0]["id"]
    want_overlap = d.request("GET", "/v1/overlaps/" + oid, token=a_tok)
    eq(want_overlap.status, 200)
    want_list = d.request("GET", "/v1/consultations/%s/overlaps" % b.json["id"], token=a_tok)
    eq(want_list.status, 200)
    # Eight reads of locked rows fill the one connection (DB_READ_DEPTH); the
    # malformed ids are answered at once, without a read. Only then come two
    # /v1/me, which read no locked row but must wait for room on the
    # connection: sent first, one could finish before the connection filled.
    paths = ["/v1/overlaps/" + oid, "/v1/consultations/%s/overlaps" % b.json["id"],
             "/v1/overlaps/" + str(uuid.uuid4()), "/v1/consultations/%s/overlaps" % uuid.uuid4(),
             "/v1/overlaps/nope"] * 2
    locker = lock_consultations(env, HOLD_S)
    threads, out = get_all(d, a_tok, paths)
    wait_until(lambda: metric(d, "consultd_db_reads_in_flight") == 8, "eight reads in flight on one connection",
               timeout=10)
    me_threads, me_out = get_all(d, a_tok, ["/v1/me"] * 2)
    waiting = 'consultd_db_pool_connections{state="waiting"} 2'
    wait_until(lambda: waiting in d.request("GET", "/metrics").body.decode(), "two reads waiting for room on it",
               timeout=10)
    release_consultations(env, locker)
    for t in threads + me_threads:
        t.join(30)
    eq([r.status for r in out], [200, 200, 404, 404, 404] * 2)
    eq([r.status for r in me_out], [200, 200])
    eq(out[0].json, want_overlap.json)
    eq(out[0].header("etag"), want_overlap.header("etag"))
    eq(out[1].json, want_list.json)
    eq(me_out[0].json["organisation"]["id"], a_org)
    d.stop()


@test
def gets_asked_together_are_read_in_one_statement_each_with_its_own_answer(env):
    # two connections, so two statements in flight at most: with the table
    # locked, the first GETs wait in them and the rest gather for the next one
    d = env.daemon(extra_env={"CONSULTD_DATABASE_POOL_SIZE": "2"})
    _, token = env.new_org("Gathering Council")
    made = post_titled(d, token, "Gathered", 5)
    ids = list(made)
    r = d.request("PATCH", "/v1/consultations/" + ids[0], {"title": "Gathered 0, changed"}, token=token,
                  headers={"If-Match": '"1"'})
    eq(r.status, 200)
    made[ids[0]] = "Gathered 0, changed"
    unknown = str(uuid.uuid4())
    # every id, one twice, one in capitals, one unknown, and one not a UUID (answered without a read)
    tails = ids + [ids[1], ids[2].upper(), unknown, "not-a-uuid"]
    before = batch(d)
    locker = lock_consultations(env, HOLD_S)
    threads, out = get_all(d, token, ["/v1/consultations/" + t for t in tails])
    asked = len(tails) - 1
    wait_until(lambda: (lambda b: b["keys_total"] - before["keys_total"] + b["gathering"] == asked
                        and b["in_flight"] == 2)(batch(d)),
               "every id asked for: two statements in flight, the rest gathering", timeout=10)
    check(batch(d)["gathering"] >= 1, "ids gather while both statements wait")
    release_consultations(env, locker)
    for t in threads:
        t.join(30)
    for tail, r in zip(tails, out):
        if tail.lower() in made:
            eq(r.status, 200, tail)
            eq(r.json["id"], tail.lower(), "each GET gets its own row")
            eq(r.json["title"], made[tail.lower()])
            eq(r.header("etag"), '"2"' if tail == ids[0] else '"1"')
        else:
            eq(r.status, 404, tail)
            check(r.header("content-type").startswith("application/problem+json"), tail)
    after = batch(d)
    eq(after["keys_total"] - before["keys_total"], asked, "every id sent once")
    check(after["statements_total"] - before["statements_total"] <= 3,
          "%d ids in at most three statements: %d" % (asked, after["statements_total"] - before["statements_total"]))
    eq((after["in_flight"], after["gathering"]), (0, 0))
    d.stop()


@test
def a_lost_backend_fails_the_gathered_gets_with_503_then_service_returns(env):
    # one connection: one statement in flight, waiting on the lock, the other GETs gathering behind it
    d = env.daemon(extra_env={"CONSULTD_DATABASE_POOL_SIZE": "1"})
    _, token = env.new_org("Lost Gathering Council")
    cid = post_one_and_read_it(d, token, "Gathered then lost")
    before = batch(d)
    locker = lock_consultations(env, HOLD_S)
    threads, out = get_all(d, token, ["/v1/consultations/" + cid] * 5)
    wait_until(lambda: (lambda b: b["keys_total"] - before["keys_total"] + b["gathering"] == 5
                        and b["in_flight"] == 1 and b["gathering"] >= 1)(batch(d)),
               "one statement in flight, the rest gathering")
    killed = env.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE application_name = 'consultd' AND wait_event_type = 'Lock'")
    check(int(killed) >= 1, "the pool's connection terminated (%s)" % killed)
    for t in threads:
        t.join(30)
    eq([r.status for r in out], [503] * 5, "the statement in flight and the gathered ids are 503")
    check(all(r.header("content-type").startswith("application/problem+json") for r in out))
    release_consultations(env, locker)
    wait_until(lambda: d.request("GET", "/v1/consultations/" + cid, token=token).status == 200,
               "reads served again", timeout=10)
    eq((batch(d)["in_flight"], batch(d)["gathering"]), (0, 0))
    d.stop()


@test
def a_get_reads_its_row_by_id_not_by_scanning_the_register(env):
    # PostgreSQL takes string_to_table for a thousand rows whatever $1 holds: joined to
    # consultations, a register of some thousands was read whole (a hash join over a scan of
    # the table, 12 ms a statement at 11,000 rows against 0.04 ms by key) until the table grew
    # past the point where a thousand key look-ups cost less. The daemon's own statement,
    # caught waiting on a lock, is planned here as its connection plans it: each id by key.
    url = env.create_database(env.dbname + "_by_key")
    env.cli("migrate", db_url=url)
    env.psql("INSERT INTO areas (code, name, level) VALUES ('E09000007', 'Camden', 'district');"
             " UPDATE area_register_state SET generation = generation + 1", url)
    org = env.cli("org", "add", "--name", "Large Register Council", db_url=url).stdout.strip()
    token = env.cli("key", "add", "--org", org, "--role", "partner", db_url=url).stdout.strip()
    d = env.daemon(db_url=url, extra_env={"CONSULTD_DATABASE_POOL_SIZE": "1"})
    r = d.request("POST", "/v1/consultations", body(title="One of five thousand"), token=token)
    eq(r.status, 201)
    cid = r.json["id"]
    env.psql("INSERT INTO consultations SELECT (jsonb_populate_record(c, jsonb_build_object("
             "'id', gen_random_uuid(), 'external_ref', NULL))).*"
             " FROM consultations c, generate_series(1, 5000) WHERE c.id = '%s'; ANALYZE consultations" % cid, url)
    eq(d.request("GET", "/v1/consultations/" + cid, token=token).status, 200)
    locker = lock_consultations(env, HOLD_S, url)
    threads, out = get_all(d, token, ["/v1/consultations/" + cid])
    # the background jobs' statements wait on the lock too: the GET's is the one building a document
    waiting = "SELECT DISTINCT query FROM pg_stat_activity WHERE datname = current_database()" \
              " AND application_name = 'consultd' AND wait_event_type = 'Lock'" \
              " AND query LIKE '%consultation_doc(%'"
    sql = wait_until(lambda: env.psql(waiting, url), "the GET's statement waiting on the lock", timeout=10)
    release_consultations(env, locker, url)
    for t in threads:
        t.join(30)
    eq(out[0].status, 200)
    eq(out[0].json["id"], cid)
    check("\n" not in sql and "$1" in sql, "one statement, taking the ids as $1: %r" % sql)
    # seven plans: five made for the value, then the generic one a connection keeps
    plans = env.psql("PREPARE get(text) AS %s;" % sql + " EXPLAIN EXECUTE get('%s');" % cid * 7, url)
    check("Seq Scan on consultations" not in plans and "consultations_pkey" in plans,
          "each id read by key, freshly planned and generic; the last plan:\n"
          + "\n".join(plans.splitlines()[-(len(plans.splitlines()) // 7):]))
    d.stop()


@test
def gathered_gets_are_bounded_by_max_waiting(env):
    # one connection and room for three waiting ids: with the table locked, one
    # GET's statement waits in flight, two ids gather, the rest are 503 at once
    d = env.daemon(extra_env={"CONSULTD_DATABASE_POOL_SIZE": "1", "CONSULTD_DATABASE_MAX_WAITING": "3"})
    _, token = env.new_org("Bounded Council")
    cid = post_one_and_read_it(d, token, "Asked for too often")
    locker = lock_consultations(env, 3)
    t0 = time.time()
    threads, out = get_all(d, token, ["/v1/consultations/" + cid] * 6)
    for t in threads:
        t.join(30)
    locker.join()
    eq(sorted(r.status for r in out), [200] * 3 + [503] * 3, "three ids wait, three are refused")
    refused = [r for r in out if r.status == 503]
    check(all(r.header("retry-after") for r in refused), "503 carries Retry-After")
    check(all(r.header("content-type").startswith("application/problem+json") for r in refused))
    check(time.time() - t0 >= 2.5, "the three that waited were answered after the lock")
    eq((batch(d)["in_flight"], batch(d)["gathering"]), (0, 0))
    eq(d.request("GET", "/v1/consultations/" + cid, token=token).status, 200)
    d.stop()
