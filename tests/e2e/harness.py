"""End-to-end harness: a real consultd binary against a real PostgreSQL.

Nothing is mocked. Each run creates its own database on the PostgreSQL server
it is given, migrates it with the binary under test, and starts daemons on
free loopback ports. Tests are plain functions registered with @test; the
runner prints one line per test and a closing 'e2e: N passed, N failed'.

Every test has a deadline (DEFAULT_TIMEOUT_S, or @test(timeout=S) for a slow
one), scaled by CONSULTD_TEST_TIMEOUT_SCALE; see watchdog.py for what happens
when one passes. Daemons run in their own session (so a process group can be
killed whole) and die with the runner (a parent-death signal).
"""
import ctypes
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import watchdog

TESTS = []
DEFAULT_TIMEOUT_S = 90  # release build, unloaded machine: the slowest test takes about a third of this
GRACE_S = 30  # after a deadline, how long a test may take to unwind before the run stops


def test(fn=None, *, timeout=None):
    """Registers a test: @test, or @test(timeout=S) to give it S seconds (before scaling)."""
    def register(f):
        f.timeout_s = timeout or DEFAULT_TIMEOUT_S
        TESTS.append(f)
        return f
    return register(fn) if fn is not None else register


_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_runner(then=None):
    """A preexec_fn: SIGKILL this child when the runner's thread that forked it ends
    (PR_SET_PDEATHSIG), then run the caller's own preexec_fn."""
    def fn():
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if then:
            then()
    return fn


class Env:
    """What every test needs: the binary, the database, helpers."""

    def __init__(self, binary, pg_url, pg_dir, data_dir):
        self.binary = os.path.abspath(binary)
        self.pg_dir = pg_dir
        self.data_dir = data_dir
        self.server_url = pg_url.rsplit("/", 1)[0]
        self.dbname = "e2e_%d" % os.getpid()
        self.admin_url = self.server_url + "/postgres"
        self.db_url = "%s/%s" % (self.server_url, self.dbname)
        self.daemons = []
        self.sanitizer_reports = []

    # --- database -----------------------------------------------------------
    def psql(self, sql, url=None):
        out = subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", url or self.db_url, "-c", sql],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError("psql failed: %s" % out.stderr)
        return out.stdout.strip()

    def hold_table_lock(self, table, seconds, url=None, on_error=None):
        """Holds table (of the database at url, or the tests' own) locked ACCESS EXCLUSIVE for
        `seconds` from a thread, and returns the thread, started, once the lock is granted: queries
        of the table sent after that wait. on_error(e) sees a failure of the holding session (for
        one that is terminated on purpose); by default it is raised in the thread."""
        sql = "BEGIN; LOCK TABLE %s IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(%s); COMMIT;" % (table, seconds)

        def hold():
            try:
                self.psql(sql, url)
            except AssertionError as e:
                if on_error is None:
                    raise
                on_error(e)
        t = threading.Thread(target=hold)
        t.start()
        granted = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                   " JOIN pg_stat_activity a ON a.pid = l.pid WHERE c.relname = '%s'"
                   " AND l.mode = 'AccessExclusiveLock' AND l.granted AND a.query LIKE 'BEGIN; LOCK TABLE %s %%'"
                   % (table, table))
        wait_until(lambda: self.psql(granted, url) != "0" or not t.is_alive(), "the lock on %s" % table, timeout=30)
        return t

    def lock_api_keys(self, seconds):
        """Holds the key table locked for `seconds` from a thread (returned, started), so that
        authenticated requests sent meanwhile stay in flight in the daemon."""
        return self.hold_table_lock("api_keys", seconds)

    def create_database(self, name=None):
        name = name or self.dbname
        self.psql("DROP DATABASE IF EXISTS %s" % name, self.admin_url)
        self.psql("CREATE DATABASE %s" % name, self.admin_url)
        return "%s/%s" % (self.server_url, name)

    # --- the binary -----------------------------------------------------------
    def env(self, extra=None, db_url=None):
        e = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTD_")}
        e["CONSULTD_DATABASE_URL"] = db_url or self.db_url
        e["CONSULTD_LOG_FORMAT"] = "json"
        e["CONSULTD_SERVER_AUTH_CACHE_S"] = "1"  # revocation tests wait for at most this
        e["CONSULTD_LIMITS_KEY_BURST"] = "0"  # tests post in bulk with one key; the rate-limit test sets its own
        e.update(extra or {})
        return {k: v for k, v in e.items() if v is not None}  # None: leave the variable out

    def cli(self, *args, extra_env=None, db_url=None, env=None, check=True):
        p = subprocess.run([self.binary] + list(args), capture_output=True, text=True, timeout=120,
                           env=env if env is not None else self.env(extra_env, db_url))
        self.check_sanitizer(p.stderr, "cli " + " ".join(args[:2]))
        if check and p.returncode != 0:
            raise AssertionError("consultd %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def check_sanitizer(self, text, what):
        if re.search(r"(AddressSanitizer|LeakSanitizer|runtime error:)", text or ""):
            self.sanitizer_reports.append("%s:\n%s" % (what, text[-4000:]))

    def org(self, name, kind="council"):
        return self.cli("org", "add", "--name", name, "--kind", kind).stdout.strip()

    def key(self, org, role="partner"):
        return self.cli("key", "add", "--org", org, "--role", role).stdout.strip()

    def new_org(self, name, role="partner", kind="council"):
        org = self.org(name, kind)
        return org, self.key(org, role)

    def shared(self):
        """One daemon on the e2e database that most tests share."""
        d = getattr(self, "_shared", None)
        if d is None or d.proc.poll() is not None:
            d = self._shared = self.daemon()
        return d

    def daemon(self, extra_env=None, db_url=None, wait_ready=True, args=None, preexec_fn=None, port=None):
        """A daemon of its own, listening on port (a free one when None) unless extra_env sets CONSULTD_LISTEN."""
        d = Daemon(self, extra_env, db_url, args, preexec_fn, port)
        self.daemons.append(d)
        d.start(wait_ready)
        return d


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        return self.headers.get(name.lower())

    def fields(self):
        """The field names of a problem's errors list."""
        return [e["field"] for e in (self.json or {}).get("errors", [])]

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:400])


class Daemon:
    def __init__(self, env, extra_env, db_url, args=None, preexec_fn=None, port=None):
        self.env = env
        self.args = list(args or [])  # before "serve", e.g. ["-c", path]
        self.preexec_fn = preexec_fn
        self.port = port or free_port()
        self.extra = dict(extra_env or {})
        self.extra.setdefault("CONSULTD_LISTEN", "127.0.0.1:%d" % self.port)
        self.db_url = db_url
        self.log = tempfile.NamedTemporaryFile(prefix="consultd-", suffix=".log", delete=False)
        self.proc = None

    def start(self, wait_ready=True):
        # The parent-death signal follows the forking thread, so only daemons started by
        # the main thread (which lives as long as the runner) get one.
        main = threading.current_thread() is threading.main_thread()
        self.proc = subprocess.Popen([self.env.binary] + self.args + ["serve"], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env.env(self.extra, self.db_url),
                                     start_new_session=True,
                                     preexec_fn=_die_with_runner(self.preexec_fn) if main else self.preexec_fn)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("daemon exited %d: %s" % (self.proc.returncode, self.logs()))
            try:
                r = self.request("GET", "/readyz" if wait_ready else "/healthz")
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("daemon not ready in 20 s: %s" % self.logs())

    def wait_for_pool(self, busy, waiting=0, timeout=10.0):
        """Waits until /metrics shows this many pool connections busy and requests waiting."""
        want = ['state="busy"} %d' % busy, 'state="waiting"} %d' % waiting]
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.request("GET", "/metrics").body.decode()
            if all(w in m for w in want):
                return
            time.sleep(0.02)
        raise AssertionError("requests never reached the pool (%s)" % ", ".join(want))

    def logs(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self, expect_status=0, signalled=False):
        """SIGTERM (unless the test sent it already), wait, check the exit status and sanitizer output."""
        if self.proc and self.proc.poll() is None and not signalled:
            self.proc.send_signal(signal.SIGTERM)
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("daemon did not stop within 15 s of SIGTERM; its log ends:\n" +
                                     self.logs()[-3000:])
        self.env.check_sanitizer(self.logs(), "daemon")
        if self in self.env.daemons:
            self.env.daemons.remove(self)
        if expect_status is not None and self.proc.returncode != expect_status:
            raise AssertionError("daemon exited %s, expected %d: %s" % (self.proc.returncode, expect_status,
                                                                        self.logs()[-2000:]))

    def request(self, method, path, body=None, token=None, headers=None, raw=None, ctype="application/json",
                timeout=15):
        return http_request(self.port, method, path, body, token, headers, raw, ctype, timeout)


def http_request(port, method, path, body=None, token=None, headers=None, raw=None, ctype="application/json",
                 timeout=15):
    """One request on a connection of its own to 127.0.0.1:port: a JSON body (or raw bytes), a
    bearer token, extra headers. Returns the Response."""
    h = {}
    if token:
        h["Authorization"] = "Bearer " + token
    if raw is None and body is not None:
        raw = json.dumps(body).encode()
    if raw is not None and ctype:
        h["Content-Type"] = ctype
    h.update(headers or {})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=raw, headers=h)
        r = c.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        c.close()


def wait_until(fn, what, timeout=30.0, every=0.05):
    """Calls fn until it returns something true (returned), for at most timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(every)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what or "value", got, want))


def problem(r, status, *fields):
    """Asserts an RFC 9457 problem with this status naming these fields."""
    eq(r.status, status, "status of %r" % r)
    check((r.header("content-type") or "").startswith("application/problem+json"),
          "problem content type, got %r" % r.header("content-type"))
    eq(r.json.get("status"), status, "problem status member")
    check(r.json.get("type") and r.json.get("title"), "problem has type and title")
    for f in fields:
        check(f in r.fields(), "problem names field %r (got %r)" % (f, r.fields()))


def _after_timeout(env):
    """A test passed its deadline: kill every process the runner started (the test's
    daemons, the shared ones, helpers) and forget the daemons, so that the next test
    starts from fresh ones. The database is shared by design, so it stays."""
    killed = watchdog.kill_descendants()
    for d in list(env.daemons):
        if d.proc and d.proc.poll() is not None:
            env.daemons.remove(d)
    return killed


def run(env, tests, setup=None):
    """Runs setup(env) then each test under its deadline; prints one line per test
    and the summary. Returns True if all passed. A test that does not unwind
    within GRACE_S of its deadline stops the run (watchdog.Hard): the process
    exits 1 after the summary."""
    scale = watchdog.scale()
    state = {"passed": 0, "failed": 0, "left": len(tests)}

    def stop_run(name):
        print("TIMEOUT %s did not unwind within %.0f s of its deadline; stopping the run" %
              (name, GRACE_S * scale), flush=True)
        for k in watchdog.kill_descendants():
            print("     killed %s" % k, flush=True)
        print("e2e: stopped with %d test(s) not run" % (state["left"] - 1), flush=True)
        print("e2e: %d passed, %d failed" % (state["passed"], state["failed"] + 1), flush=True)
        os._exit(1)

    hard = watchdog.Hard(stop_run)
    if setup:
        limit = 600 * scale
        hard.arm("setup", limit + GRACE_S * scale)
        watchdog.arm(limit, "setup")
        try:
            setup(env)
        finally:
            watchdog.disarm()
            hard.disarm()
    for fn in tests:
        name = "%s.%s" % (fn.__module__, fn.__name__)
        limit = getattr(fn, "timeout_s", DEFAULT_TIMEOUT_S) * scale
        t0 = time.time()
        hard.arm(name, limit + GRACE_S * scale)
        try:
            watchdog.arm(limit, name)
            try:
                fn(env)
            finally:
                watchdog.disarm()
            state["passed"] += 1
            print("ok   %s (%.2fs)" % (name, time.time() - t0), flush=True)
        except watchdog.Deadline as e:
            state["failed"] += 1
            print("FAIL %s\nTIMEOUT %s\n%s" % (name, e, traceback.format_exc(limit=-3)), flush=True)
            for k in _after_timeout(env):
                print("     killed %s" % k, flush=True)
        except Exception:  # a test's failure, whatever its kind, is reported and the run goes on
            state["failed"] += 1
            print("FAIL %s\n%s" % (name, traceback.format_exc()), flush=True)
        hard.disarm()
        state["left"] -= 1
    hard.arm("the final daemon shutdown", 60 * scale)
    for d in list(env.daemons):
        if d.proc is None:  # it never started (the test failed there already)
            env.daemons.remove(d)
            continue
        try:
            d.stop()
        except AssertionError as e:
            state["failed"] += 1
            print("FAIL daemon shutdown: %s" % e)
    hard.disarm()
    if env.sanitizer_reports:
        state["failed"] += 1
        print("FAIL sanitizer reports:\n" + "\n".join(env.sanitizer_reports))
    print("e2e: %d passed, %d failed" % (state["passed"], state["failed"]), flush=True)
    return state["failed"] == 0
