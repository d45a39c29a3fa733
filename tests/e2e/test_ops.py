"""Operations: the systemd notify protocol, reload, per-key rate limits,
descriptor exhaustion and slow clients."""
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from harness import test, eq, check, problem


class NotifySocket:
    """A datagram socket bound where NOTIFY_SOCKET points, as systemd's."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="consultd-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []  # (time, text)

    def read(self, until=None, timeout=10.0, since=0):
        """Reads messages until one from index `since` on contains `until` (or
        the timeout); returns all so far."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if until and any(until in m for _, m in self.messages[since:]):
                break
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                self.messages.append((time.time(), self.sock.recv(4096).decode()))
            except socket.timeout:
                break
        return self.messages

    def texts(self):
        return [m for _, m in self.messages]

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir)


def write_config(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@test
def notify_reload_and_rate_limits(env):
    n = NotifySocket()
    cfg = os.path.join(n.dir, "consultd.conf")
    write_config(cfg, "[limits]\nkey_rate = 1\nkey_burst = 0\n")
    try:
        d = env.daemon(args=["-c", cfg], extra_env={
            "NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": "400000",
            "CONSULTD_LIMITS_KEY_BURST": None, "CONSULTD_LIMITS_KEY_RATE": None})
        _, token = env.new_org("Notify Council")
        n.read(until="READY=1")
        check("READY=1" in n.texts()[0], "READY=1 comes first: %r" % n.texts())
        n.read(until="STATUS=serving")
        check(any(t.startswith("STATUS=serving on 127.0.0.1:") for t in n.texts()), n.texts())
        t0 = time.time()
        while time.time() - t0 < 1.2:
            n.read(timeout=0.2)
        pings = [at for at, m in n.messages if "WATCHDOG=1" in m]
        check(len(pings) >= 4, "WATCHDOG=1 every 200 ms (half of WATCHDOG_USEC): %d pings" % len(pings))

        # Limits off: no headers, no refusals.
        for _ in range(5):
            r = d.request("GET", "/v1/vocabularies/methods", token=token)
            eq(r.status, 200)
            eq(r.header("ratelimit"), None, "no RateLimit header while limits are off")

        # Reload: a burst of 3 at 1 a second.
        write_config(cfg, "[limits]\nkey_rate = 1\nkey_burst = 3\n[database]\npool_size = 3\n")
        before = len(n.messages)
        d.proc.send_signal(1)
        n.read(until="READY=1", timeout=5, since=before)
        after = [t for t in n.texts()[before:] if t != "WATCHDOG=1\n"]
        check(after and after[0].startswith("RELOADING=1\nMONOTONIC_USEC="), "RELOADING first: %r" % after)
        usec = int(after[0].split("MONOTONIC_USEC=")[1].split()[0])
        check(abs(usec / 1e6 - time.clock_gettime(time.CLOCK_MONOTONIC)) < 5, "MONOTONIC_USEC is CLOCK_MONOTONIC")
        check(any("READY=1" in t for t in after[1:]), "READY=1 after the reload: %r" % after)
        check("configuration applied" in d.logs())
        check("database.pool_size" in d.logs() and "restart" in d.logs(), "a restart-only key is named in the log")

        other = env.new_org("Quiet Council")[1]
        results = [d.request("GET", "/v1/vocabularies/methods", token=token) for _ in range(5)]
        eq([r.status for r in results], [200, 200, 200, 429, 429], "a burst of 3, then 429")
        eq(results[0].header("ratelimit-policy"), '"per-key";q=3;w=3')
        eq(results[0].header("ratelimit"), '"per-key";r=2;t=1')
        problem(results[3], 429)
        p = results[3].json
        eq(results[3].header("retry-after"), "1")
        check(results[3].header("ratelimit").startswith('"per-key";r=0;'), results[3].headers)
        check("key_rate" in p["detail"], p)
        eq(d.request("GET", "/v1/vocabularies/methods", token=other).status, 200, "another key is not slowed")
        eq(d.request("GET", "/healthz").status, 200, "unauthenticated probes are not limited")
        time.sleep(1.1)
        eq(d.request("GET", "/v1/vocabularies/methods", token=token).status, 200, "a token a second comes back")
        m = d.request("GET", "/metrics").body.decode()
        check("consultd_rate_limited_requests_total 2" in m, "the refusals are counted")

        # A bad file is refused and the running configuration kept.
        write_config(cfg, "[limits]\nkey_rate = lots\n")
        before = len(n.messages)
        d.proc.send_signal(1)
        n.read(until="READY=1", timeout=5, since=before)
        check(any("READY=1" in t for t in n.texts()[before:]), "READY=1 again after a refused reload")
        check("reload refused" in d.logs() and "key_rate" in d.logs(), "the refusal names the key")
        time.sleep(1.1)
        statuses = [d.request("GET", "/v1/vocabularies/methods", token=token).status for _ in range(5)]
        check(429 in statuses, "the old limits still apply: %r" % statuses)

        before = len(n.messages)
        d.proc.send_signal(15)
        n.read(until="STOPPING=1", timeout=5, since=before)
        check(any(t.startswith("STOPPING=1") for t in n.texts()[before:]), n.texts()[before:])
        d.stop(expect_status=0, signalled=True)
    finally:
        n.close()


@test
def descriptor_exhaustion_does_not_spin(env):
    limit = 64

    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    d = env.daemon(preexec_fn=low_fd_limit)
    _, token = env.new_org("Fd Council")
    held = []
    try:
        for _ in range(limit + 20):  # more than the daemon can accept
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            held.append(s)
        time.sleep(0.5)
        cpu0, t0 = cpu_seconds(d.proc.pid), time.time()
        time.sleep(2.0)
        cpu = (cpu_seconds(d.proc.pid) - cpu0) / (time.time() - t0)
        print("     CPU while out of descriptors: %.1f%% of one core" % (100 * cpu))
        check(cpu < 0.2, "no busy loop on EMFILE: %.0f%% CPU" % (100 * cpu))
        check("accept:" in d.logs() and "not accepting" in d.logs(), "EMFILE is logged")
    finally:
        for s in held:
            s.close()
    # Descriptors free again: service comes back by itself.
    deadline = time.time() + 5
    ok = False
    while time.time() < deadline and not ok:
        try:
            ok = d.request("GET", "/v1/vocabularies/methods", token=token, timeout=2).status == 200
        except OSError:
            time.sleep(0.1)
    check(ok, "serves again once descriptors are free")
    m = d.request("GET", "/metrics").body.decode()
    errors = [l for l in m.splitlines() if l.startswith("consultd_accept_errors_total ")]
    check(errors and int(errors[0].split()[1]) > 0, errors)


@test
def slow_clients_are_cut_off_and_starve_no_one(env):
    d = env.daemon({"CONSULTD_SERVER_TIMEOUT_S": "2"})
    _, token = env.new_org("Slow Council")
    slow = []
    for i in range(100):
        s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        s.sendall(b"GET /v1/vocabularies/methods HTTP/1.1\r\nHost: x\r\nX-Slow-%d: " % i)  # never finished
        slow.append(s)
    t0 = time.time()
    for _ in range(20):
        eq(d.request("GET", "/v1/vocabularies/methods", token=token, timeout=2).status, 200)
    took = time.time() - t0
    check(took < 2.0, "20 requests beside 100 stalled clients took %.2f s" % took)
    time.sleep(3.0)
    closed = 0
    for s in slow:
        s.settimeout(1)
        try:
            while s.recv(1024):  # an error answer may come first; then the end
                pass
            closed += 1
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            pass  # still open
        s.close()
    eq(closed, 100, "every stalled client is cut off after server.timeout_s")


@test
def install_lays_out_a_verified_unit_and_man_pages(env):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    dest = tempfile.mkdtemp(prefix="consultd-install-")
    try:
        p = subprocess.run(["make", "-s", "-C", root, "install", "DESTDIR=" + dest, "PREFIX=/usr/local"],
                           capture_output=True, text=True, timeout=300)
        eq(p.returncode, 0, p.stderr)
        for f in ["usr/local/bin/consultd", "etc/consultd/consultd.conf",
                  "usr/local/lib/systemd/system/consultd.service", "usr/local/lib/systemd/system/consultd@.service",
                  "usr/local/lib/sysusers.d/consultd.conf",
                  "usr/local/lib/tmpfiles.d/consultd.conf", "usr/local/share/man/man8/consultd.8",
                  "usr/local/share/man/man5/consultd.conf.5", "usr/local/share/consultd/schema/001_core.sql"]:
            check(os.path.isfile(os.path.join(dest, f)), "installed: " + f)
        eq(oct(os.stat(os.path.join(dest, "etc/consultd/consultd.conf")).st_mode & 0o777), "0o640")
        unit = open(os.path.join(dest, "usr/local/lib/systemd/system/consultd.service")).read()
        check("ExecStart=/usr/local/bin/consultd -c /etc/consultd/consultd.conf serve" in unit, unit)
        for option in ["Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                       "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                       "PrivateDevices=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                       "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "RuntimeDirectory="]:
            check(option in unit, "the unit has " + option.strip())
        # systemd-analyze verify needs the binary where ExecStart says: point it into DESTDIR.
        # The template of one of several processes sharing the port: the same unit, and the two settings.
        template = open(os.path.join(dest, "usr/local/lib/systemd/system/consultd@.service")).read()
        check("Environment=CONSULTD_SERVER_REUSE_PORT=true CONSULTD_SERVER_ADMIN_LISTEN=127.0.0.1:%i\n" in template,
              template)
        eq([line for line in template.splitlines() if not line.startswith(("#", "Environment=", "Description="))],
           [line.replace("RuntimeDirectory=consultd", "RuntimeDirectory=consultd/%i")
            for line in unit.splitlines() if not line.startswith(("#", "Description="))],
           "the same unit; a runtime directory each (systemd removes it when any unit naming it stops)")
        for name, text in [("consultd.service", unit), ("consultd@9101.service", template)]:
            check_unit = os.path.join(dest, name)
            with open(check_unit, "w") as f:
                f.write(text.replace("/usr/local/bin/", dest + "/usr/local/bin/"))
            v = subprocess.run(["systemd-analyze", "verify", check_unit], capture_output=True, text=True,
                               timeout=60, env=dict(os.environ, MANPATH=os.path.join(dest, "usr/local/share/man")))
            eq((v.returncode, v.stderr.strip()), (0, ""), "systemd-analyze verify " + name)
        for page, heading in [("man8/consultd.8", "SIGNALS"), ("man5/consultd.conf.5", "[limits]")]:
            m = subprocess.run(["man", "--warnings", "-l", os.path.join(dest, "usr/local/share/man", page)],
                               capture_output=True, text=True, timeout=60, env=dict(os.environ, MANWIDTH="80"))
            eq((m.returncode, m.stderr.strip()), (0, ""), "man -l %s renders without warnings" % page)
            check(heading in m.stdout, "%s has %s" % (page, heading))
    finally:
        shutil.rmtree(dest)


@test
def a_second_stop_signal_exits_at_once(env):
    d = env.daemon()
    _, token = env.new_org("Impatient Council")
    locker = env.lock_api_keys(3)  # a request held in flight, so the first signal has to wait for it
    results = []

    def held():
        try:
            results.append(d.request("GET", "/v1/vocabularies/topics", token=token, timeout=10).status)
        except OSError as e:
            results.append(type(e).__name__)

    t = threading.Thread(target=held)
    t.start()
    d.wait_for_pool(busy=1)
    d.proc.send_signal(2)  # SIGINT: a graceful stop, like SIGTERM
    time.sleep(0.5)
    check(d.proc.poll() is None, "the first signal waits for the request in flight")
    t0 = time.time()
    d.proc.send_signal(15)
    try:
        d.proc.wait(3)
    except subprocess.TimeoutExpired:
        raise AssertionError("a second signal did not stop the daemon at once")
    took = time.time() - t0
    d.stop(expect_status=0, signalled=True)
    check(took < 1.0, "stopped %.2f s after the second signal" % took)
    check("SIGINT: no longer accepting" in d.logs() and "second SIGTERM: exiting now" in d.logs(), d.logs()[-800:])
    t.join(10)
    locker.join(10)
    eq(len(results), 1)
    check(results[0] != 200, "the request in flight was abandoned: %r" % results)
