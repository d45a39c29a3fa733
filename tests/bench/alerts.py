#!/usr/bin/env python3
"""Alert delivery benchmark: how soon a coordinator hears of an overlap, and
how many deliveries a second one daemon sends.

    tests/bench/alerts.sh [PAIRS] [SUBSCRIPTIONS]       default: 1000 10

Latency: PAIRS overlapping pairs are posted one after another at about 50
pairs a second, each in a ward of its own; for each overlap the time from the
POST that recorded it being answered (the transaction has committed) to the
signed webhook arriving at a loopback receiver. Throughput: SUBSCRIPTIONS
subscriptions all match, PAIRS/2 pairs are posted by four threads at once, and
the deliveries are counted from the first POST to the last arrival (this is
bound by the posting); then all the deliveries made so far are made due again
at one instant and the time the dispatcher takes to send them all is taken.
BENCH_ENV="CONSULTD_ALERTS_MAX_IN_FLIGHT=256" passes settings to the daemon.

The receiver is Python's threading HTTP server, in a process of its own, on
the same two cores: it is part of what is measured."""
import json
import multiprocessing
import os
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "e2e"))
import harness  # noqa: E402
from alerting import Alerts, Receiver  # noqa: E402
from common import body  # noqa: E402


def serve(conn):
    """The receiver, in a process of its own so that the posting threads do
    not hold it up (one interpreter lock). Answers ("url", path), ("wait", n,
    timeout) and ("got", since): arrivals as (time, path, webhook-id, overlap id)."""
    rx = Receiver()
    while True:
        msg = conn.recv()
        if msg[0] == "url":
            conn.send(rx.url(msg[1]))
        elif msg[0] == "wait":
            conn.send(rx.wait(msg[1], msg[2]))
        elif msg[0] == "got":
            out = []
            for g in rx.got[msg[1]:]:
                data = json.loads(g["body"])["data"]
                out.append((g["at"], g["path"], g["headers"]["webhook-id"], data.get("overlap", {}).get("id")))
            conn.send(out)
        else:
            rx.close()
            conn.send(None)
            return


class RemoteReceiver:
    def __init__(self):
        self.conn, child = multiprocessing.Pipe()
        self.proc = multiprocessing.Process(target=serve, args=(child,))
        self.proc.start()

    def ask(self, *msg):
        self.conn.send(msg)
        return self.conn.recv()

    def url(self, path):
        return self.ask("url", path)

    def wait(self, n, timeout):
        return self.ask("wait", n, timeout)

    def got(self, since=0):
        return self.ask("got", since)

    def close(self):
        try:
            self.ask("close")
        except (OSError, EOFError):
            pass  # it is gone already
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.terminate()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def post_pair(d, token, ward, n):
    first = body(areas=[ward], topics=["housing"], communities=["carers"], external_ref=None,
                 fieldwork={"start": "2031-03-01", "end": "2031-03-31"}, title="Housing repairs survey %d" % n)
    r = d.request("POST", "/v1/consultations", first, token=token)
    assert r.status == 201, r
    second = dict(first, title="Repairs and damp: tell us (%d)" % n)
    r2 = d.request("POST", "/v1/consultations", second, token=token)
    acked = time.time()
    assert r2.status == 201, r2
    assert len(r2.json["overlaps"]) == 1, r2.json
    return r2.json["overlaps"][0]["id"], acked


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    pg_url, pg_dir, data = sys.argv[1], sys.argv[2], sys.argv[3]
    pairs = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    nsubs = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    # BENCH_ENV="CONSULTD_ALERTS_MAX_IN_FLIGHT=256 ...": daemon settings to try
    extra = dict(kv.split("=", 1) for kv in os.environ.get("BENCH_ENV", "").split())
    env = harness.Env(os.path.join(here, "..", "..", "daemon", "consultd"), pg_url, pg_dir, data)
    env.create_database()
    a = Alerts(env)
    rx = RemoteReceiver()
    try:
        d = a.daemon(CONSULTD_LOG_LEVEL="warn", CONSULTD_ALERTS_RETRY_SCHEDULE="30,60,300", **extra)
        _, coord = a.org("Bench coordinators", "coordinator")
        _, partner = a.org("Bench council", "partner")
        wards = a.wards(pairs + pairs // 2, 0)
        assert len(wards) == pairs + pairs // 2, "the area register has too few wards"

        a.subscribe(d, coord, url=rx.url("/latency"), events=["overlap.detected"])
        acked = {}
        for i in range(pairs):
            t0 = time.time()
            oid, at = post_pair(d, partner, wards[i], i)
            acked[oid] = at
            time.sleep(max(0.0, 0.02 - (time.time() - t0)))
        if not rx.wait(pairs, 60):
            raise SystemExit("bench: only %d of %d alerts arrived" % (len(rx.got()), pairs))
        lat = [(at - acked[oid]) * 1000.0 for at, _, _, oid in rx.got()]
        print("latency, overlap committed -> webhook received, %d events at ~50/s:" % len(lat))
        print("   p50 %.1f ms   p99 %.1f ms   max %.1f ms" % (pct(lat, 50), pct(lat, 99), max(lat)))
        print("   of which event written -> fanned out by the dispatcher: %s" % a.psql(
            "SELECT format('p50 %s ms, p99 %s ms', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1),"
            " round(percentile_cont(0.99) WITHIN GROUP (ORDER BY x)::numeric, 1)) FROM (SELECT extract(epoch FROM"
            " y.created_at - e.created_at) * 1000 AS x FROM deliveries y JOIN alert_events e ON e.id = y.event_id) t"))
        print("   and the HTTP request itself (connect to response, as curl times it): %s" % a.psql(
            "SELECT format('p50 %s ms, p99 %s ms', percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms),"
            " percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ms)) FROM delivery_attempts"))

        for s in range(nsubs - 1):
            a.subscribe(d, coord, url=rx.url("/throughput/%d" % s), events=["overlap.detected"])
        before = len(rx.got())
        burst = pairs // 2
        want = before + burst * nsubs
        rest = wards[pairs:pairs + burst]
        cpu0, t0 = cpu_seconds(d.proc.pid), time.time()
        own0 = cpu_seconds(rx.proc.pid)
        threads = [threading.Thread(target=lambda k=k: [post_pair(d, partner, w, pairs + k * 10000 + j)
                                                        for j, w in enumerate(rest[k::4])]) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        posted = time.time()
        if not rx.wait(want, 300):
            raise SystemExit("bench: only %d of %d deliveries arrived" % (len(rx.got(before)), want - before))
        arrivals = [g[0] for g in rx.got(before)]
        span = max(arrivals) - t0
        cpu = cpu_seconds(d.proc.pid) - cpu0
        own = cpu_seconds(rx.proc.pid) - own0
        print("throughput: %d pairs posted by 4 threads in %.2f s, %d subscriptions each: %d deliveries"
              % (burst, posted - t0, nsubs, len(arrivals)))
        print("   all delivered %.2f s after the first POST: %.0f deliveries/s" % (span, len(arrivals) / span))
        print("   CPU, %% of one core: daemon %.0f%%, receiver %.0f%%"
              % (100.0 * cpu / span, 100.0 * own / span))
        got = rx.got()
        dup = len(got) - len({g[2] + g[1] for g in got})
        print("   duplicates: %d" % dup)

        # A backlog: every delivery made due again at one instant, as when
        # receivers that were down come back; the dispatcher alone is measured.
        before = len(got)
        total = int(a.psql("SELECT count(*) FROM deliveries"))
        a.psql("UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now() + interval '2 s'")
        cpu0, own0 = cpu_seconds(d.proc.pid), cpu_seconds(rx.proc.pid)
        if not rx.wait(before + total, 300):
            raise SystemExit("bench: only %d of %d deliveries arrived" % (len(rx.got(before)), total))
        arrivals = [g[0] for g in rx.got(before)]
        span = max(arrivals) - min(arrivals)
        cpu, own = cpu_seconds(d.proc.pid) - cpu0, cpu_seconds(rx.proc.pid) - own0
        print("dispatcher alone: a backlog of %d due deliveries sent in %.2f s: %.0f deliveries/s"
              % (total, span, total / span))
        print("   HTTP time per attempt (delivery_attempts.duration_ms): %s" % a.psql(
            "SELECT format('p50 %s ms, p99 %s ms', percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms),"
            " percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ms)) FROM delivery_attempts WHERE attempt = 1"
            " AND attempted_at > now() - interval '1 minute'"))
        print("   CPU, %% of one core, over the backlog and the 2 s before it: daemon %.0f%%, receiver %.0f%%"
              % (100.0 * cpu / (span + 2), 100.0 * own / (span + 2)))
    finally:
        for d in env.daemons:  # first: nothing else may keep a daemon alive
            if d.proc and d.proc.poll() is None:
                d.proc.kill()
        try:
            rx.close()
        finally:
            env.psql("DROP DATABASE IF EXISTS %s" % env.dbname, env.admin_url)


if __name__ == "__main__":
    main()
