"""What the alert tests share: loopback webhook and SMTP receivers, signature
checking, and a database of their own (the other tests' daemons must not
deliver these tests' events)."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import socketserver
import threading
import time

from common import body

# Fast retries and a short timeout, and loopback receivers allowed.
ALERT_ENV = {
    "CONSULTD_ALERTS_ALLOW_PRIVATE_TARGETS": "true",
    "CONSULTD_ALERTS_RETRY_SCHEDULE": "1,1,1,1,1",
    "CONSULTD_ALERTS_TIMEOUT_S": "2",
    "CONSULTD_SERVER_PUBLIC_URL": "https://consultd.example.org",
}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the default (5) drops connections when many deliveries arrive at once


class Receiver:
    """A webhook receiver on a free loopback port. Each request takes the next
    behaviour from script (then default): a status code, ("status", code,
    headers), ("hang", seconds) or ("redirect", url)."""

    def __init__(self, script=None, default=200, delay=0.0):
        self.script = list(script or [])
        self.default = default
        self.delay = delay
        self.got = []
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def do_POST(self):
                n = int(self.headers.get("content-length", 0))
                data = self.rfile.read(n)
                with outer.cond:
                    step = outer.script.pop(0) if outer.script else outer.default
                    outer.got.append({"at": time.time(), "path": self.path, "body": data,
                                      "headers": {k.lower(): v for k, v in self.headers.items()}})
                    outer.cond.notify_all()
                if outer.delay:
                    time.sleep(outer.delay)
                headers = {}
                if isinstance(step, tuple) and step[0] == "hang":
                    time.sleep(step[1])
                    step = 200
                elif isinstance(step, tuple) and step[0] == "redirect":
                    headers, step = {"Location": step[1]}, 302
                elif isinstance(step, tuple):
                    headers, step = step[2], step[1]
                try:
                    self.send_response(step)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting (a timeout under test)

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def wait(self, n, timeout=20.0):
        """Waits until at least n requests arrived; returns whether they did."""
        deadline = time.time() + timeout
        with self.cond:
            while len(self.got) < n:
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def events(self):
        return [json.loads(g["body"]) for g in self.got]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """Just enough SMTP to take mail on a loopback port; keeps each message."""

    def __init__(self):
        self.messages = []
        self.cond = threading.Condition()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                w = self.wfile
                w.write(b"220 test ESMTP\r\n")
                rcpt = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode(errors="replace").strip().upper()
                    if cmd.startswith("EHLO") or cmd.startswith("HELO"):
                        w.write(b"250-test\r\n250 8BITMIME\r\n")
                    elif cmd.startswith("RCPT"):
                        rcpt.append(line.decode().strip()[8:])
                        w.write(b"250 OK\r\n")
                    elif cmd == "DATA":
                        w.write(b"354 go ahead\r\n")
                        data = b""
                        while True:
                            l2 = self.rfile.readline()
                            if not l2 or l2 == b".\r\n":
                                break
                            data += l2
                        with outer.cond:
                            outer.messages.append({"rcpt": rcpt, "data": data.decode("utf-8", "replace")})
                            outer.cond.notify_all()
                        w.write(b"250 queued\r\n")
                    elif cmd == "QUIT":
                        w.write(b"221 bye\r\n")
                        return
                    else:
                        w.write(b"250 OK\r\n")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n, timeout=20.0):
        deadline = time.time() + timeout
        with self.cond:
            while len(self.messages) < n:
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def verify(secret, headers, raw):
    """Standard Webhooks verification, as a receiver would write it."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = ("%s.%s." % (headers["webhook-id"], headers["webhook-timestamp"])).encode() + raw
    want = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(want, s) for s in headers["webhook-signature"].split(" "))


class Alerts:
    """The alert tests' database, organisations and daemons."""

    def __init__(self, env):
        self.env = env
        url = getattr(env, "_alerts_db", None)
        if url is None:
            url = env.create_database(env.dbname + "_alerts")
            env.cli("migrate", db_url=url)
            ons = os.path.join(env.data_dir, "ons")
            env.cli("areas", "import", *[os.path.join(ons, f) for f in sorted(os.listdir(ons)) if f.endswith(".csv")],
                    db_url=url)
            env._alerts_db = url
        self.url = url
        # A clean slate: nothing left over from another test may be delivered now.
        env.psql("UPDATE deliveries SET status = 'cancelled' WHERE status = 'pending';"
                 " UPDATE subscriptions SET status = 'deleted' WHERE status <> 'deleted'", url)
        self.daemons = []

    def psql(self, sql):
        return self.env.psql(sql, self.url)

    def org(self, name, role="partner"):
        org = self.env.cli("org", "add", "--name", name, db_url=self.url).stdout.strip()
        return org, self.env.cli("key", "add", "--org", org, "--role", role, db_url=self.url).stdout.strip()

    def daemon(self, **extra):
        e = dict(ALERT_ENV)
        e.update(extra)
        d = self.env.daemon(extra_env=e, db_url=self.url)
        self.daemons.append(d)
        return d

    def wards(self, n, offset):
        """n wards of one district, each asked about only in the test that picked them."""
        return self.psql("SELECT code FROM areas WHERE level = 'ward' ORDER BY code OFFSET %d LIMIT %d"
                         % (offset, n)).split()

    def subscribe(self, d, token, **spec):
        r = d.request("POST", "/v1/subscriptions", spec, token=token)
        assert r.status == 201, r
        return r.json

    def close(self):
        for d in self.daemons:
            if d.proc.poll() is None:
                d.stop()


def pair(d, token, ward, topic="housing", community="carers", start="2031-03-01", end="2031-03-31", title=None):
    """Two consultations that overlap in ward; returns the overlap the second found."""
    first = body(areas=[ward], topics=[topic], communities=[community], fieldwork={"start": start, "end": end},
                 title=title or "Housing repairs survey", external_ref=None)
    r = d.request("POST", "/v1/consultations", first, token=token)
    assert r.status == 201, r
    second = dict(first, title="Repairs and damp: tell us", summary="A different survey on the same subject.")
    r2 = d.request("POST", "/v1/consultations", second, token=token)
    assert r2.status == 201, r2
    found = [o for o in r2.json["overlaps"] if o["other"]["id"] == r.json["id"]]
    assert len(found) == 1, r2.json["overlaps"]
    return found[0]
