"""Unauthenticated service endpoints, vocabularies, areas, graceful stop."""
import json
import re
import threading
import time

from harness import test, eq, check, problem, free_port, http_request, wait_until


@test
def health_ready_metrics(env):
    d = env.shared()
    r = d.request("GET", "/healthz")
    eq(r.status, 200)
    eq(r.json["status"], "ok")
    r = d.request("GET", "/readyz")
    eq(r.status, 200)
    eq(r.json["database"], "up")
    check(r.header("x-request-id"), "every response has a request id")
    r = d.request("GET", "/metrics")
    eq(r.status, 200)
    check(r.header("content-type").startswith("text/plain"), r.header("content-type"))
    text = r.body.decode()
    for name in ("consultd_http_requests_total", "consultd_http_request_duration_seconds_bucket",
                 "consultd_db_pool_connections", "process_resident_memory_bytes", "process_open_fds",
                 "process_max_fds", "consultd_db_errors_total", "consultd_overlaps_detected_total",
                 "consultd_outbox_depth", "consultd_outbox_oldest_age_seconds", "consultd_deliveries_total",
                 "consultd_rate_limited_requests_total", "consultd_accept_errors_total"):
        check(name in text, "metric " + name)
    # every sample line parses as Prometheus text format
    for line in text.splitlines():
        if line and not line.startswith("#"):
            # labels: name="value" pairs, where a value may hold braces (a route's {id})
            check(re.match(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
                           r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? -?[0-9.e+Inf-]+$', line),
                  "bad line: " + line)
    check(re.search(r'consultd_http_requests_total\{method="GET",route="/healthz",status="200"\} [1-9]', text),
          "healthz counted")


@test
def openapi_document_covers_every_route(env):
    d = env.shared()
    r = d.request("GET", "/openapi.json")
    eq(r.status, 200)
    doc = r.json
    check(doc["openapi"].startswith("3.1"), doc.get("openapi"))
    paths = doc["paths"]
    want = {"/healthz": ["get"], "/readyz": ["get"], "/metrics": ["get"], "/openapi.json": ["get"],
            "/v1/consultations": ["get", "post"], "/v1/consultations/{id}": ["get", "patch", "delete"],
            "/v1/vocabularies/{name}": ["get"], "/v1/areas/{code}": ["get"],
            "/v1/consultations/{id}/overlaps": ["get"], "/v1/consultations/{id}/preflight": ["get"],
            "/v1/consultations/{id}/outreach": ["post"], "/v1/overlaps": ["get"],
            "/v1/overlaps/{id}": ["get", "patch"], "/v1/fatigue": ["get"],
            "/v1/subscriptions": ["get", "post"], "/v1/subscriptions/{id}": ["get", "delete"],
            "/v1/subscriptions/{id}/deliveries": ["get"], "/v1/subscriptions/{id}/test": ["post"]}
    for path, methods in want.items():
        check(path in paths, "OpenAPI has " + path)
        for m in methods:
            check(m in paths[path], "OpenAPI has %s %s" % (m, path))


@test
def vocabularies(env):
    d = env.shared()
    _, token = env.new_org("Vocab Reader")
    topics = d.request("GET", "/v1/vocabularies/topics", token=token).json["items"]
    communities = d.request("GET", "/v1/vocabularies/communities", token=token).json["items"]
    methods = d.request("GET", "/v1/vocabularies/methods", token=token).json["items"]
    check(len(topics) >= 60, "topics: %d" % len(topics))
    check(len(communities) >= 35, "communities: %d" % len(communities))
    check(len(methods) >= 10, "methods: %d" % len(methods))
    codes = {t["code"] for t in topics}
    for t in topics:
        check(set(t) == {"code", "label", "parent", "synonyms"}, t)
        check(t["parent"] is None or t["parent"] in codes, "parent exists: %r" % t)
    parents = [t for t in topics if t["parent"] is None]
    check(10 <= len(parents) < len(topics), "two levels")
    for code in ("adult-social-care", "housing", "planning", "transport", "parks-green-spaces", "libraries",
                 "waste-recycling", "community-safety", "public-health", "mental-health", "gp-services",
                 "hospital-services", "education", "send", "youth-services", "council-finance"):
        check(code in codes, "topic " + code)
    ccodes = {c["code"] for c in communities}
    for code in ("general-public", "carers", "young-carers", "care-leavers", "homeless-people",
                 "refugees-asylum-seekers", "gypsy-roma-traveller", "social-housing-tenants", "businesses",
                 "older-people", "disabled-people", "trans-people", "pregnancy-maternity", "ethnic-minorities",
                 "faith-communities", "women-girls", "lgb-people", "married-civil-partners"):
        check(code in ccodes, "community " + code)
    problem(d.request("GET", "/v1/vocabularies/colours", token=token), 404)


@test
def areas_endpoint(env):
    d = env.shared()
    _, token = env.new_org("Area Reader")
    r = d.request("GET", "/v1/areas/E05000128", token=token)
    eq(r.status, 200)
    eq(r.json["name"], "Belsize")
    eq(r.json["level"], "ward")
    eq([p["code"] for p in r.json["parents"]], ["E09000007"])
    r = d.request("GET", "/v1/areas/E10000016", token=token)
    eq(r.json["name"], "Kent")
    eq(r.json["level"], "county")
    eq(r.json["children_count"], 12)
    eq(r.json["parents"], [], "the lookups name no parent for a county")
    eq(r.json["ancestors"], ["E12000008"], "but all its districts are in the South East")
    r = d.request("GET", "/v1/areas/E05000128", token=token)
    eq(r.json["ancestors"], ["E09000007", "E12000007", "E13000001"], "Camden, London, Inner London")
    problem(d.request("GET", "/v1/areas/E99999999", token=token), 404)
    problem(d.request("GET", "/v1/areas/camden", token=token), 404)


@test
def sigterm_lets_in_flight_requests_finish(env):
    d = env.daemon()
    _, token = env.new_org("Drain Council")
    locker = env.lock_api_keys(1)  # so the requests are truly in flight
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        d.request("GET", "/v1/vocabularies/topics", token=token))) for _ in range(5)]
    for t in threads:
        t.start()
    d.wait_for_pool(busy=4, waiting=1)  # all five in the daemon: four hold the connections, one waits
    t0 = time.time()
    d.proc.send_signal(15)
    for t in threads:
        t.join(10)
    locker.join()
    d.stop(expect_status=0, signalled=True)
    check(time.time() - t0 > 0.3, "the daemon waited for the requests")
    check("no longer accepting" in d.logs(), "stop is logged")
    eq(sorted(r.status for r in results), [200] * 5, "requests accepted before SIGTERM are answered")


@test
def prepared_statements_are_prepared_again_after_their_runs(env):
    # plans follow the tables: after plan_refresh_runs runs a connection forgets its
    # prepared statements when released and prepares them again on their next use
    d = env.daemon(extra_env={"CONSULTD_DATABASE_PLAN_REFRESH_RUNS": "5"})
    _, token = env.new_org("Replanning Council")
    body = {"title": "Library hours", "topics": ["libraries"], "communities": ["carers"],
            "areas": ["E05000128"], "fieldwork": {"start": "2051-03-01", "end": "2051-03-31"}}
    made = d.request("POST", "/v1/consultations", body, token=token)
    eq(made.status, 201)
    for _ in range(40):
        eq(d.request("GET", "/v1/consultations/" + made.json["id"], token=token).status, 200)
    metric = re.search(r"^consultd_db_plan_refreshes_total (\d+)$", d.request("GET", "/metrics").body.decode(), re.M)
    check(metric and int(metric.group(1)) >= 1, "connections prepared their statements again")
    # and every statement still runs after it: a write, a read, an update
    again = d.request("POST", "/v1/consultations", dict(body, title="Library opening"), token=token)
    eq(again.status, 201)
    eq(d.request("GET", "/v1/consultations/" + again.json["id"], token=token).json["title"], "Library opening")
    eq(d.request("PATCH", "/v1/consultations/" + again.json["id"], {"title": "Library times"}, token=token,
                 headers={"If-Match": '"1"'}).status, 200)
    d.stop()
    check("connection lost" not in d.logs(), "no connection was lost on the way")


@test
def access_log_is_json_without_secrets(env):
    d = env.daemon()
    _, token = env.new_org("Log Council")
    d.request("GET", "/v1/vocabularies/methods", token=token, headers={"X-Request-Id": "trace-abc-123"})
    d.request("GET", "/v1/vocabularies/methods", token=token + "x")
    d.stop()
    lines = [l for l in d.logs().splitlines() if l.strip()]
    for l in lines:
        json.loads(l)
    check(token not in d.logs() and token[37:] not in d.logs(), "token never logged")
    access = [json.loads(l) for l in lines if '"msg":"request"' in l]
    hit = [a for a in access if a["request_id"] == "trace-abc-123"]
    eq(len(hit), 1, "the client's request id is logged")
    eq(hit[0]["route"], "/v1/vocabularies/{name}")
    eq(hit[0]["status"], 200)
    check(hit[0]["organisation"], "organisation id logged")


def _get(port, path, method="GET"):
    r = http_request(port, method, path, timeout=10)
    return r.status, r.body.decode(errors="replace")


def _healthz_answered(admin_port):
    status, text = _get(admin_port, "/metrics")
    eq(status, 200)
    m = re.search(r'^consultd_http_requests_total\{method="GET",route="/healthz",status="200"\} (\d+)$', text, re.M)
    return int(m.group(1)) if m else 0


def _ready(port):
    try:
        return _get(port, "/readyz")[0] == 200
    except ConnectionRefusedError:
        return False


@test
def instances_share_a_port_with_reuse_port(env):
    # server.reuse_port: several daemons on one host and port, each its own event loop and
    # pool, the kernel spreading connections; server.admin_listen: each one's own metrics
    port, admin = free_port(), [free_port(), free_port()]
    ds = [env.daemon(port=port, extra_env={"CONSULTD_LISTEN": "127.0.0.1:%d" % port,
                                           "CONSULTD_SERVER_REUSE_PORT": "true",
                                           "CONSULTD_SERVER_ADMIN_LISTEN": "127.0.0.1:%d" % a}) for a in admin]
    for a in admin:  # each one's own readiness: the shared port may have answered for the other
        wait_until(lambda: _ready(a), "the daemon on admin port %d ready" % a, timeout=20)
    before = [_healthz_answered(a) for a in admin]
    for _ in range(40):  # a connection each
        eq(ds[0].request("GET", "/healthz").status, 200)
    after = [_healthz_answered(a) for a in admin]
    served = [b - a for a, b in zip(before, after)]
    eq(sum(served), 40, "each request counted once, by the daemon that answered it: %s" % served)
    check(min(served) > 0, "both daemons accepted connections: %s" % served)

    # the operations address answers the operations routes only
    eq(_get(admin[0], "/readyz")[0], 200)
    eq(_get(admin[0], "/healthz")[0], 200)
    status, text = _get(admin[0], "/v1/vocabularies/topics")
    eq(status, 404, text)
    check("problem:not-found" in text, text)
    eq(_get(admin[0], "/openapi.json")[0], 404)
    eq(_get(admin[0], "/metrics", method="POST")[0], 405)

    # a daemon without reuse_port cannot take the port, and says what would let it
    p = env.cli("serve", extra_env={"CONSULTD_LISTEN": "127.0.0.1:%d" % port}, check=False)
    eq(p.returncode, 1, p.stderr)
    check("Address already in use" in p.stderr and "server.reuse_port = true" in p.stderr, p.stderr)
    p = env.cli("serve", extra_env={"CONSULTD_LISTEN": "127.0.0.1:%d" % free_port(),
                                    "CONSULTD_SERVER_ADMIN_LISTEN": "127.0.0.1:%d" % admin[1]}, check=False)
    eq(p.returncode, 1, p.stderr)
    check("server.admin_listen: cannot listen on 127.0.0.1:%d" % admin[1] in p.stderr, p.stderr)
    # ... and is not told to share it: an operations address is never bound with SO_REUSEPORT
    check("reuse_port" not in p.stderr and "operations address of its own" in p.stderr, p.stderr)
    # the operations address on the main one's socket is a configuration error, found before binding
    for listen, admin_on in [("127.0.0.1:%d" % port, "127.0.0.1:%d" % port),
                             ("0.0.0.0:%d" % port, "127.0.0.1:%d" % port)]:
        for command in ["check-config", "serve"]:
            p = env.cli(command, extra_env={"CONSULTD_LISTEN": listen, "CONSULTD_SERVER_REUSE_PORT": "true",
                                            "CONSULTD_SERVER_ADMIN_LISTEN": admin_on}, check=False)
            eq(p.returncode, 2, p.stderr)
            check("server.admin_listen: %s takes the port of server.listen" % admin_on in p.stderr, p.stderr)

    # one stops: the other takes every new connection; the stopped one's addresses are closed
    ds[0].stop()
    for _ in range(10):
        eq(ds[1].request("GET", "/healthz").status, 200)
    eq(_healthz_answered(admin[1]) - after[1], 10)
    try:
        _get(admin[0], "/healthz")
        raise AssertionError("the stopped daemon's admin address still answers")
    except ConnectionRefusedError:
        pass
    ds[1].stop()


@test
def the_log_names_the_ports_bound(env):
    # port 0 asks the kernel for a free port: the log says which, or the address cannot be found
    d = env.daemon(extra_env={"CONSULTD_SERVER_ADMIN_LISTEN": "127.0.0.1:0"})
    m = re.search(r"listening on 127\.0\.0\.1:(\d+), operations routes on 127\.0\.0\.1:(\d+)", d.logs())
    check(m, d.logs()[-2000:])
    eq(int(m.group(1)), d.port)
    admin = int(m.group(2))
    check(admin not in (0, d.port), admin)
    status, text = _get(admin, "/healthz")
    eq((status, text), (200, '{"status":"ok"}\n'))
    eq(_get(admin, "/v1/vocabularies/topics")[0], 404)
    d.stop()
