"""PostgreSQL stopped and started under the daemon: 503s, never 500s, and recovery."""
import os
import subprocess
import threading
import time

from harness import test, eq, check
from common import body

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def pg(env, *args):
    subprocess.run([os.path.join(ROOT, "scripts", "pg.sh")] + list(args), check=True, capture_output=True,
                   timeout=120)


@test
def database_restart_gives_503_then_recovers(env):
    d = env.daemon()
    org, token = env.new_org("Outage Council")
    port = env.server_url.rsplit(":", 1)[1]
    statuses, acked, stop = [], [], threading.Event()

    def load(n):
        i = 0
        while not stop.is_set():
            i += 1
            try:
                r = d.request("POST", "/v1/consultations", body(external_ref="OUT-%d-%d" % (n, i)), token=token,
                              timeout=10)
            except OSError:
                continue
            statuses.append(r.status)
            if r.status == 201:
                acked.append(r.json["id"])
            elif r.status == 503:
                check(r.header("retry-after"), "503 carries Retry-After")

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    pg(env, "stop", env.pg_dir)
    time.sleep(1.0)
    r = d.request("GET", "/readyz")
    eq(r.status, 503, "not ready while the database is down")
    check(r.header("retry-after"))
    pg(env, "start", env.pg_dir, port, "fast")
    back = time.time()
    recovered = None
    while time.time() - back < 10:
        if d.request("GET", "/readyz").status == 200 and \
                d.request("GET", "/v1/vocabularies/methods", token=token).status == 200:
            recovered = time.time() - back
            break
        time.sleep(0.02)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(15)
    check(recovered is not None, "service came back")
    print("     recovery after PostgreSQL accepted connections: %.3f s" % recovered)
    check(recovered < 1.0, "full service within a second (took %.3f s)" % recovered)
    check(503 in statuses, "the outage was seen as 503")
    eq(sorted(set(statuses) - {201, 503}), [], "only 201 and 503 during the outage")
    stored = set(env.psql("SELECT id FROM consultations WHERE organisation_id = '%s'" % org).split())
    missing = [i for i in acked if i not in stored]
    eq(missing, [], "every acknowledged write is stored")
    d.stop()
