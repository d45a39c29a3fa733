#!/usr/bin/env python3
"""CSV import benchmark, on this machine, with PostgreSQL on the same machine.

    python3 tests/bench/import.py [ROWS]          default 10000
    BENCH_STORED=100000 python3 tests/bench/import.py 10000   the second import at 100,000 stored

A throwaway PostgreSQL (scripts/pg.sh), the ONS area register, one daemon
(database.pool_size 4, the default). Then:

  1. import ROWS generated rows (real ward codes, vocabulary terms, fieldwork
     over 2027-2029) into an empty register: the register then holds ROWS;
  2. import another ROWS-row file at ROWS stored (or at BENCH_STORED: the
     rows beyond ROWS are imported first, in files of 10,000), while a client reads
     GET /v1/consultations/{id} at 200 requests/s: import time, rows/s, and
     the reads' p50/p99/max latency during the import (and before it, idle);
  3. import file 2 again: every row unchanged;
  4. a 16 MiB file (rows with 4,900-character summaries): import time and the
     daemon's peak resident memory (VmHWM) before and after.

Prints one line per figure, with the CPU seconds the daemon and PostgreSQL
spent on each import (on a shared machine the wall time follows the other
users' load; the CPU time much less). Run it alone: it is timing-sensitive."""
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "..", "shared", "data")
BIN = os.path.join(ROOT, "daemon", "consultd")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def psql(url, sql):
    return subprocess.run(["psql", "-X", "-q", "-tA", url, "-c", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def request(port, method, path, token, body=None, ctype=None, timeout=600):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Authorization": "Bearer " + token}
    if ctype:
        h["Content-Type"] = ctype
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def csv_cell(s):
    return '"%s"' % s.replace('"', '""') if any(ch in s for ch in ',"\r\n') else s


def make_file(prefix, n, wards, topics, communities, rng, summary_len=0):
    head = "external_ref,title,summary,topics,communities,areas,fieldwork_start,fieldwork_end,methods," \
           "engagement_level,expected_participants,contact_name,contact_email\r\n"
    words = ["housing", "parking", "library", "parks", "budget", "transport", "youth", "carers", "health",
             "schools", "waste", "licensing", "planning", "safety", "leisure", "climate", "roads", "markets"]
    out = [head]
    for i in range(n):
        start = 365 * 3 * rng.random()
        y, d = 2027 + int(start // 365), int(start % 365)
        m, dd = 1 + min(d // 31, 11), 1 + d % 28
        title = "%s %s consultation %s-%d" % (rng.choice(words).capitalize(), rng.choice(words), prefix, i)
        summary = ""
        if summary_len:
            summary = ("We would like to hear your views on %s, %s and %s. " % tuple(rng.sample(words, 3))) * 200
            summary = summary[:summary_len]
        out.append(",".join([
            "%s-%06d" % (prefix, i), csv_cell(title), csv_cell(summary),
            ";".join(rng.sample(topics, 2)), rng.choice(communities), rng.choice(wards),
            "%02d/%02d/%04d" % (dd, m, y), "%04d-%02d-%02d" % (y, m, min(dd + 20, 28)),
            "survey", "consult", str(rng.randint(10, 2000)), "Engagement team", "engage@example.org"]) + "\r\n")
    return "".join(out).encode()


def rss_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_s(pid, children=False):
    """CPU seconds (user + system) of a process, or of its children (PostgreSQL's backends)."""
    pids = [pid]
    if children:
        try:
            pids = [int(x) for x in open("/proc/%d/task/%d/children" % (pid, pid)).read().split()] + [pid]
        except OSError:
            pass
    total = 0
    for p in pids:
        try:
            f = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


PIDS = {}


def timed_import(port, token, body):
    c0 = {k: cpu_s(p, k == "postgres") for k, p in PIDS.items()}
    t0 = time.monotonic()
    status, data = request(port, "POST", "/v1/consultations/import", token, body, "text/csv")
    secs = time.monotonic() - t0
    if status != 200:
        raise SystemExit("import answered %d: %s" % (status, data[:300]))
    doc = json.loads(data)
    summary = doc["summary"]
    summary["overlaps_reported"] = sum(len(r["overlaps"]) for r in doc["rows"])
    summary["answer_bytes"] = len(data)
    for k, p in PIDS.items():
        summary["cpu_s_" + k] = round(cpu_s(p, k == "postgres") - c0[k], 2)
    return secs, summary


READ_RATE = 200  # requests/s: other users of the API, paced, not a load test


def readers(port, token, ids, stop, lat):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    due = time.monotonic()
    while not stop.is_set():
        due += 1.0 / READ_RATE
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        t0 = time.monotonic()
        c.request("GET", "/v1/consultations/" + ids[i % len(ids)], headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        r.read()
        lat.append(time.monotonic() - t0)
        i += 1
    c.close()


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] * 1000 if v else float("nan")


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    subprocess.run(["make", "-s", "-C", ROOT, "all"], check=True)
    tmp = tempfile.mkdtemp(prefix="consultd-bench-import.")
    os.chmod(tmp, 0o755)
    pgport = free_port()
    url = subprocess.run([os.path.join(ROOT, "scripts", "pg.sh"), "start", tmp + "/pg", str(pgport)], check=True,
                         capture_output=True, text=True).stdout.strip()
    daemon = None
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTD_")}
        env["CONSULTD_DATABASE_URL"] = url
        subprocess.run([BIN, "migrate"], env=env, check=True, capture_output=True)
        ons = os.path.join(DATA, "ons")
        subprocess.run([BIN, "areas", "import"] + [os.path.join(ons, f) for f in sorted(os.listdir(ons))
                                                   if f.endswith(".csv")], env=env, check=True, capture_output=True)
        org = subprocess.run([BIN, "org", "add", "--name", "Bench importer"], env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
        token = subprocess.run([BIN, "key", "add", "--org", org, "--role", "partner"], env=env, check=True,
                               capture_output=True, text=True).stdout.strip()
        reader = subprocess.run([BIN, "key", "add", "--org", org, "--role", "partner"], env=env, check=True,
                                capture_output=True, text=True).stdout.strip()
        wards = psql(url, "SELECT code FROM areas WHERE level = 'ward'").split()
        topics = psql(url, "SELECT code FROM vocab_terms WHERE vocabulary = 'topics'").split()
        communities = psql(url, "SELECT code FROM vocab_terms WHERE vocabulary = 'communities'").split()
        rng = random.Random(42)
        port = free_port()
        denv = dict(env, CONSULTD_LISTEN="127.0.0.1:%d" % port, CONSULTD_LOG_LEVEL="warn",
                    CONSULTD_LIMITS_KEY_BURST="0")
        daemon = subprocess.Popen([BIN, "serve"], env=denv)
        PIDS["daemon"] = daemon.pid
        with open(tmp + "/pg/data/postmaster.pid") as fh:
            PIDS["postgres"] = int(fh.readline())
        for _ in range(300):
            try:
                if request(port, "GET", "/readyz", token)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        f1 = make_file("A", rows, wards, topics, communities, rng)
        secs, summary = timed_import(port, token, f1)
        print("import %d rows into an empty register: %.2f s (%.0f rows/s) %s" % (rows, secs, rows / secs, summary))
        ids = psql(url, "SELECT id FROM consultations ORDER BY random() LIMIT 500").split()
        stop, idle = threading.Event(), []
        t = threading.Thread(target=readers, args=(port, reader, ids, stop, idle))
        t.start()
        time.sleep(3)
        stop.set()
        t.join()
        print("GET /v1/consultations/{id}, idle: %d requests, p50 %.2f ms, p99 %.2f ms, max %.2f ms"
              % (len(idle), pct(idle, .5), pct(idle, .99), max(idle) * 1000))
        stored = rows
        extra = int(os.environ.get("BENCH_STORED", rows)) - rows
        for k in range(0, max(0, extra), 10000):  # more stored first, in files of at most 10,000 rows
            n = min(10000, extra - k)
            timed_import(port, token, make_file("P%d" % k, n, wards, topics, communities, rng))
            stored += n
        if stored > rows:
            print("stored before the next import: %d" % stored)
        f2 = make_file("B", rows, wards, topics, communities, rng)
        stop, busy = threading.Event(), []
        t = threading.Thread(target=readers, args=(port, reader, ids, stop, busy))
        t.start()
        secs, summary = timed_import(port, token, f2)
        stop.set()
        t.join()
        print("import %d rows at %d stored: %.2f s (%.0f rows/s) %s" % (rows, stored, secs, rows / secs, summary))
        print("GET /v1/consultations/{id} during that import: %d requests, p50 %.2f ms, p99 %.2f ms, max %.2f ms"
              % (len(busy), pct(busy, .5), pct(busy, .99), max(busy) * 1000))
        secs, summary = timed_import(port, token, f2)
        print("the same file again (all unchanged): %.2f s %s" % (secs, summary))
        before = rss_kb(daemon.pid, "VmHWM")
        big = make_file("C", 1, wards, topics, communities, rng, 4900)
        n = max(1, (16 * 1024 * 1024 - 400) // (len(big) - 200))
        big = make_file("C", n, wards, topics, communities, rng, 4900)
        while len(big) > 16 * 1024 * 1024:
            n -= 5
            big = make_file("C", n, wards, topics, communities, rng, 4900)
        secs, summary = timed_import(port, token, big)
        print("16 MiB file (%d bytes, %d rows of 4,900-character summaries): %.2f s %s" % (len(big), n, secs, summary))
        print("daemon peak RSS: %.1f MiB before the 16 MiB import, %.1f MiB after (VmRSS now %.1f MiB)"
              % (before / 1024, rss_kb(daemon.pid, "VmHWM") / 1024, rss_kb(daemon.pid, "VmRSS") / 1024))
    finally:
        if daemon:
            daemon.terminate()
            daemon.wait(30)
        subprocess.run([os.path.join(ROOT, "scripts", "pg.sh"), "stop", tmp + "/pg"], capture_output=True)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
