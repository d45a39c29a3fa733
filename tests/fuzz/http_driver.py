#!/usr/bin/env python3
"""Raw-HTTP fuzzer: mutated requests, byte by byte, thrown at a live daemon (run by scripts/fuzz-http.sh
against the ASan+UBSan build and a throwaway PostgreSQL).

Seeds are well-framed requests (Content-Length and chunked posts, pipelined gets) and every framing
ambiguity RFC 9112 tells a server to reject. Each input is a seed (or two, pipelined) with one to four
mutations (bytes flipped, inserted, deleted; lines duplicated, swapped, folded; numbers changed; spaces
before colons), sent on a new connection in random pieces. A finding is:
  - the daemon gone, or not answering /healthz within 3 s (a crash or a hang);
  - an answer of 500, 502, 503 or 504 (501 and 505 are the right answers to some inputs);
  - an error answer that is not application/problem+json (an HTML page);
  - a number of consultations stored on the connection other than the number of 201 answers it got
    (a request stored twice, or stored from a framing that was refused).
Each finding's input is written to --out. Exit status 1 when there was any.

  python3 tests/fuzz/http_driver.py --port P --token T --psql URL --org ORG --seconds 300 --out DIR
"""
import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time


class Psql:
    """One psql process kept open: a count costs a round trip, not a process."""

    def __init__(self, url):
        self.p = subprocess.Popen(["psql", "-X", "-q", "-tA", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)

    def scalar(self, sql):
        self.p.stdin.write(sql.rstrip(";") + ";\n\\echo __end__\n")
        self.p.stdin.flush()
        out = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("psql exited: %s" % "".join(out))
            if line.strip() == "__end__":
                break
            out.append(line.strip())
        return "".join(out)

    def close(self):
        self.p.stdin.close()
        self.p.wait(10)


def consultation(ref):
    return json.dumps({"title": "Fuzz %s" % ref, "areas": ["E09000007"], "topics": ["adult-social-care"],
                       "fieldwork": {"start": "2027-03-01", "end": "2027-03-20"}, "external_ref": ref}).encode()


def chunk(b, pieces):
    out = b""
    step = max(1, len(b) // pieces)
    for i in range(0, len(b), step):
        out += b"%x\r\n" % len(b[i:i + step]) + b[i:i + step] + b"\r\n"
    return out + b"0\r\n\r\n"


def seeds(token, rng, tag):
    """Fresh seeds (each post with its own external_ref)."""
    auth = b"Authorization: Bearer " + token.encode() + b"\r\nContent-Type: application/json\r\n"
    ref = lambda: "FZ-%s-%d" % (tag, rng.randrange(10**12))
    post = b"POST /v1/consultations HTTP/1.1\r\nHost: x\r\n" + auth
    b1, b2, b3 = consultation(ref()), consultation(ref()), consultation(ref())
    return [
        post + b"Content-Length: %d\r\n\r\n" % len(b1) + b1,
        post + b"Transfer-Encoding: chunked\r\n\r\n" + chunk(b2, 3),
        post + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(b3) + b3,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/consultations?limit=1 HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n",
        b"GET /healthz HTTP/1.0\r\n\r\n",
        post + b"Content-Length: %d\r\nContent-Length: 5\r\n\r\n" % len(b1) + b1,
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n",
        post + b"Transfer-Encoding: gzip, chunked\r\n\r\n" + chunk(b2, 1),
        post + b"Content-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(b2, 2),
        post + b"Content-Length: -1\r\n\r\n" + b1,
        post + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + b1 + b"\r\n0\r\n\r\n",
        b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X: 1\r\n" * 300 + b"\r\n",
        b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (len(post) + 20 + len(b1)) + post +
        b"Content-Length: %d\r\n\r\n" % len(b1) + b1,
        post + b"X-A: 1\r\n folded\r\nContent-Length: %d\r\n\r\n" % len(b1) + b1,
    ]


INSERTS = [b" ", b"\t", b"\r", b"\n", b"\r\n", b":", b",", b";", b"\x00", b"\xff", b"0", b"-", b"chunked",
           b"Content-Length: 3\r\n", b"Transfer-Encoding: chunked\r\n", b"Host: y\r\n", b"\r\n\r\n"]


def mutate(data, rng, other):
    kind = rng.randrange(10)
    if not data:
        return other
    i = rng.randrange(len(data))
    if kind == 0:
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    if kind == 1:
        return data[:i] + rng.choice(INSERTS) + data[i:]
    if kind == 2:
        return data[:i] + data[i + rng.randrange(1, 16):]
    lines = data.split(b"\r\n")
    if kind == 3 and len(lines) > 2:
        j = rng.randrange(1, len(lines))
        lines.insert(j, lines[j])
        return b"\r\n".join(lines)
    if kind == 4 and len(lines) > 3:
        a, b = rng.randrange(1, len(lines)), rng.randrange(1, len(lines))
        lines[a], lines[b] = lines[b], lines[a]
        return b"\r\n".join(lines)
    if kind == 5:  # change a number
        digits = [k for k, c in enumerate(data) if 48 <= c <= 57]
        if digits:
            k = rng.choice(digits)
            return data[:k] + str(rng.choice([0, 1, 9, 99, 4096, 10**19, rng.randrange(10**6)])).encode() + data[k + 1:]
    if kind == 6:  # a space or tab before a colon
        k = data.find(b":", i)
        if k > 0:
            return data[:k] + rng.choice([b" ", b"\t"]) + data[k:]
    if kind == 7:
        return data + other  # pipelined
    if kind == 8:
        return data[:i]  # truncated
    return data.upper() if rng.random() < 0.1 else data.replace(b"\r\n", b"\r\n ", 1)


def responses(buf):
    """(status, content-type) of each complete response in buf."""
    out = []
    while buf.startswith(b"HTTP/"):
        head, sep, rest = buf.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ")[1])
        except (IndexError, ValueError):
            out.append((-1, "unparseable status line %r" % lines[0]))
            break
        h = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            h[k.strip().lower()] = v.strip()
        n = int(h.get("content-length", "0") or 0)
        out.append((status, h.get("content-type", "")))
        buf = rest[n:]
    return out


def exchange(port, data, rng):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(0.6)
    try:
        at = 0
        while at < len(data):  # random pieces, sometimes a byte at a time
            n = rng.choice([1, 3, 17, 200, len(data)]) if rng.random() < 0.3 else len(data)
            s.sendall(data[at:at + n])
            at += n
            if at < len(data) and rng.random() < 0.2:
                time.sleep(0.002)
    except OSError:
        pass  # the server may close mid-send after refusing
    buf = b""
    closed = False
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            closed = True
            break
        if not c:
            closed = True
            break
        buf += c
    s.close()
    return buf, closed


def healthy(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=3)
        s.settimeout(3)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = s.recv(4096)
        s.close()
        return data.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--psql", required=True)
    ap.add_argument("--org", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--out", default="build/fuzz/http-findings")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    db = Psql(a.psql)
    count = lambda: int(db.scalar("SELECT count(*) FROM consultations WHERE organisation_id = '%s'" % a.org))
    os.makedirs(a.out, exist_ok=True)
    tried = findings = refused = created = 0
    stats = {}
    end = time.time() + a.seconds
    stored = count()

    def finding(why, data, buf):
        nonlocal findings
        findings += 1
        path = os.path.join(a.out, "finding-%d-%d" % (a.seed, tried))
        with open(path, "wb") as f:
            f.write(data)
        print("FINDING %s: %s (input %s, answer %r)" % (tried, why, path, buf[:300]), flush=True)

    while time.time() < end and findings < 10:
        pool = seeds(a.token, rng, "%d-%d" % (a.seed, tried))
        data = rng.choice(pool)
        for _ in range(rng.randrange(0, 5)):
            data = mutate(data, rng, rng.choice(pool))
        tried += 1
        try:
            buf, closed = exchange(a.port, data, rng)
        except OSError as e:
            finding("cannot connect: %s" % e, data, b"")
            break
        got = responses(buf)
        for st, ctype in got:
            stats[st] = stats.get(st, 0) + 1
            if st in (500, 502, 503, 504) or st < 100:
                finding("answer %d %s" % (st, ctype), data, buf)
            elif st >= 400 and not ctype.startswith("application/problem+json"):
                finding("error %d answered as %r" % (st, ctype), data, buf)
        if buf and not got:
            finding("bytes that are not an HTTP response", data, buf)
        ok201 = sum(1 for st, _ in got if st == 201)
        created += ok201
        refused += sum(1 for st, _ in got if st in (400, 413, 414, 417, 431, 501, 505))
        now = count()
        if now - stored != ok201:
            time.sleep(0.5)  # a write still committing when the connection ended
            now = count()
            if now - stored != ok201:
                finding("%d stored on a connection that got %d answers of 201" % (now - stored, ok201), data, buf)
        stored = now
        if tried % 25 == 0 and not healthy(a.port):
            finding("no answer to /healthz within 3 s", data, buf)
            break
    db.close()
    print("http fuzz: %d inputs tried, %d findings; answers by status %s; %d stored, %d refused (seed %d)" %
          (tried, findings, dict(sorted(stats.items())), created, refused, a.seed), flush=True)
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
