"""The HTTP edge: every framing ambiguity of RFC 9112 is refused with problem+json and a closed
connection, and nothing of a refused request is stored. Raw sockets, since http.client cannot send
these requests."""
import json
import socket
import time

from harness import test, eq, check
from common import body


def raw(d, data, timeout=5.0):
    """Sends data on a new connection; returns (status, headers, body, closed) for the first response,
    closed being whether the server closed the connection after it."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=timeout)
    s.sendall(data)
    buf = b""
    closed = False
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            buf += chunk
            if b"\r\n\r\n" in buf:
                head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
                if "content-length:" in head:
                    n = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
                    if len(buf.split(b"\r\n\r\n", 1)[1]) >= n and "connection: close" not in head:
                        break
    except socket.timeout:
        pass
    finally:
        s.close()
    check(b"\r\n\r\n" in buf, "no response to %r: %r" % (data[:80], buf[:200]))
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", len(rest)))
    return status, headers, rest[:n], closed


def refused(d, data, status, detail_word=None):
    st, h, b, closed = raw(d, data)
    eq(st, status, "status for %r" % data[:120])
    check(h.get("content-type", "").startswith("application/problem+json"),
          "problem+json, got %r" % h.get("content-type"))
    p = json.loads(b)
    eq(p["status"], status, "problem status")
    check(p.get("type", "").startswith("urn:consultd:problem:") and p.get("title"), "problem type and title")
    eq(h.get("connection"), "close", "Connection header")
    check(closed, "the connection is closed after a refused request")
    if detail_word:
        check(detail_word.lower() in p.get("detail", "").lower(), "detail %r names %r" % (p.get("detail"), detail_word))
    return p


class Poster:
    """A partner and a consultation body with a unique external_ref, to count what was stored."""

    def __init__(self, env, name):
        self.env = env
        self.org, self.token = env.new_org(name)
        self.n = 0

    def body(self):
        self.n += 1
        self.ref = "RAW-%d-%d" % (time.time_ns() % 10**9, self.n)
        return json.dumps(body(external_ref=self.ref)).encode()

    def head(self, extra, method=b"POST", path=b"/v1/consultations"):
        return (method + b" " + path + b" HTTP/1.1\r\nAuthorization: Bearer " + self.token.encode() +
                b"\r\nContent-Type: application/json\r\n" + extra)

    def stored(self, ref=None):
        return int(self.env.psql("SELECT count(*) FROM consultations WHERE organisation_id = '%s' AND "
                                 "external_ref = '%s'" % (self.org, ref or self.ref)))


def statuses(data):
    """The status of each response in data, read one after another by their Content-Length."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        out.append(int(lines[0].split(" ")[1]))
        n = 0
        for line in lines[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                n = int(v)
        data = rest[n:]
    return out


def read_all(s):
    parts = []
    try:
        while True:
            c = s.recv(1 << 20)
            if not c:
                return b"".join(parts)
            parts.append(c)
    except socket.timeout:
        raise AssertionError("the connection was not closed: %r" % b"".join(parts)[-300:])
    finally:
        s.close()


def chunked(b, size=None):
    return b"%x\r\n" % (size if size is not None else len(b)) + b + b"\r\n0\r\n\r\n"


@test
def valid_raw_requests_are_served(env):
    """The control: the same raw requests, well framed, are served (so the refusals below are real)."""
    d = env.shared()
    p = Poster(env, "Raw Framing Council")
    b = p.body()
    st, h, _, _ = raw(d, p.head(b"Host: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(b)) + b)
    eq(st, 201, "Content-Length POST")
    eq(p.stored(), 1)
    b = p.body()
    st, _, _, _ = raw(d, p.head(b"Host: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n") + chunked(b))
    eq(st, 201, "chunked POST")
    eq(p.stored(), 1)
    # chunked in several chunks, with a trailer field (dropped)
    b = p.body()
    enc = b"".join(b"%x\r\n" % len(b[i:i + 7]) + b[i:i + 7] + b"\r\n" for i in range(0, len(b), 7))
    st, _, _, _ = raw(d, p.head(b"Host: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n") + enc +
                      b"0\r\nX-Checksum: 1\r\n\r\n")
    eq(st, 201, "multi-chunk POST")
    eq(p.stored(), 1)
    # HTTP/1.0 without Host is fine (RFC 9112 section 3.2 binds Host to HTTP/1.1)
    st, _, _, _ = raw(d, b"GET /healthz HTTP/1.0\r\n\r\n")
    eq(st, 200, "HTTP/1.0 without Host")
    # empty lines before a request line are ignored (section 2.2)
    st, _, _, _ = raw(d, b"\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    eq(st, 200, "leading CRLF")


@test
def repeated_content_length_is_400(env):
    d = env.shared()
    p = Poster(env, "Two Lengths Council")
    b = p.body()
    refused(d, p.head(b"Host: x\r\nContent-Length: %d\r\nContent-Length: 5\r\n\r\n" % len(b)) + b, 400,
            "Content-Length")
    eq(p.stored(), 0, "nothing stored")
    # the same value twice is refused too
    b = p.body()
    refused(d, p.head(b"Host: x\r\nContent-Length: %d\r\nContent-Length: %d\r\n\r\n" % (len(b), len(b))) + b, 400)
    eq(p.stored(), 0, "nothing stored")


@test
def repeated_or_missing_host_is_400(env):
    d = env.shared()
    refused(d, b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host")
    refused(d, b"GET /healthz HTTP/1.1\r\n\r\n", 400, "Host")
    refused(d, b"GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host")
    refused(d, b"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "Host")
    p = Poster(env, "Two Hosts Council")
    b = p.body()
    refused(d, p.head(b"Host: a\r\nHost: b\r\nContent-Length: %d\r\n\r\n" % len(b)) + b, 400)
    eq(p.stored(), 0, "nothing stored")


@test
def whitespace_before_colon_is_400(env):
    d = env.shared()
    refused(d, b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400, "colon")
    p = Poster(env, "Colon Council")
    b = p.body()
    refused(d, p.head(b"Host: x\r\nContent-Length : %d\r\n\r\n" % len(b)) + b, 400, "colon")
    eq(p.stored(), 0, "nothing stored")
    b = p.body()
    refused(d, p.head(b"Host: x\r\nTransfer-Encoding\t: chunked\r\n\r\n") + chunked(b), 400)
    eq(p.stored(), 0, "nothing stored")


@test
def obs_fold_and_bare_line_ends_are_400(env):
    d = env.shared()
    p = Poster(env, "Fold Council")
    b = p.body()
    refused(d, p.head(b"Host: x\r\nX-A: 1\r\n chunked\r\nContent-Length: %d\r\n\r\n" % len(b)) + b, 400, "fold")
    eq(p.stored(), 0)
    b = p.body()
    refused(d, p.head(b"Host: x\nContent-Length: %d\r\n\r\n" % len(b)) + b, 400, "CRLF")
    eq(p.stored(), 0)


@test
def transfer_codings_other_than_chunked_are_501(env):
    d = env.shared()
    p = Poster(env, "Coding Council")
    b = p.body()
    refused(d, p.head(b"Host: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") + chunked(b), 501, "chunked")
    eq(p.stored(), 0, "nothing stored")
    # chunked not last, or twice: the length cannot be known (section 6.3)
    b = p.body()
    refused(d, p.head(b"Host: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") + chunked(b), 400)
    refused(d, p.head(b"Host: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n") + chunked(b), 400)
    refused(d, p.head(b"Host: x\r\nTransfer-Encoding: identity\r\n\r\n") + b, 400)
    # Transfer-Encoding in HTTP/1.0 (section 6.1)
    refused(d, b"POST /v1/consultations HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b), 400)
    eq(p.stored(), 0, "nothing stored")


@test
def content_length_with_transfer_encoding_is_400(env):
    d = env.shared()
    p = Poster(env, "Both Council")
    b = p.body()
    refused(d, p.head(b"Host: x\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(chunked(b))) +
            chunked(b), 400, "Transfer-Encoding")
    eq(p.stored(), 0, "nothing stored")


@test
def malformed_lengths_chunks_lines_and_versions_are_problems(env):
    d = env.shared()
    p = Poster(env, "Malformed Framing Council")
    b = p.body()
    refused(d, p.head(b"Host: x\r\nContent-Length: -1\r\n\r\n") + b, 400, "Content-Length")
    refused(d, p.head(b"Host: x\r\nContent-Length: +%d\r\n\r\n" % len(b)) + b, 400)
    refused(d, p.head(b"Host: x\r\nContent-Length: 1 2\r\n\r\n") + b, 400)
    refused(d, p.head(b"Host: x\r\nContent-Length: 99999999999999999999999\r\n\r\n") + b, 400)
    refused(d, p.head(b"Host: x\r\nContent-Length: 900000000\r\n\r\n") + b, 413)
    refused(d, p.head(b"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n") + b"zz\r\n" + b + b"\r\n0\r\n\r\n", 400,
            "chunk")
    refused(d, p.head(b"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n") + b"%x;ext=1\r\n" % len(b) + b +
            b"\r\n0\r\n\r\n", 400, "extension")
    refused(d, p.head(b"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n") + b"%x\r\n" % (len(b) - 3) + b +
            b"\r\n0\r\n\r\n", 400, "CRLF")
    eq(p.stored(), 0, "nothing stored")
    refused(d, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)
    refused(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431)
    refused(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X: 1\r\n" * 5000 + b"\r\n", 431)
    refused(d, b"GET /healthz\r\n", 400, "HTTP/0.9")
    refused(d, b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505)
    refused(d, b"GET /healthz  HTTP/1.1\r\nHost: x\r\n\r\n", 400)
    refused(d, b"GET healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400)
    refused(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400)
    refused(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n", 417)


@test
def unknown_method_is_501_problem(env):
    d = env.shared()
    st, h, b, closed = raw(d, b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    eq(st, 501)
    check(h.get("content-type", "").startswith("application/problem+json"), "problem+json")
    check("GET" in h.get("allow", ""), "Allow lists the methods served: %r" % h.get("allow"))
    refused(d, b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 501)
    refused(d, b"get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501)


@test
def a_body_on_get_is_not_a_second_request(env):
    """evhttp reads no body on GET: a Content-Length there would make the body a request of its own."""
    d = env.shared()
    p = Poster(env, "Smuggle Council")
    b = p.body()
    inner = p.head(b"Host: x\r\nContent-Length: %d\r\n\r\n" % len(b)) + b
    refused(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(inner) + inner, 400, "body")
    eq(p.stored(), 0, "the smuggled request was not stored")


@test
def pipelined_requests_are_each_checked(env):
    d = env.shared()
    p = Poster(env, "Pipeline Council")
    b1 = p.body()
    ref1 = p.ref
    b2 = p.body()
    ref2 = p.ref
    good = p.head(b"Host: x\r\nContent-Length: %d\r\n\r\n" % len(b1)) + b1
    bad = p.head(b"Host: x\r\nContent-Length: %d\r\nContent-Length: 1\r\n\r\n" % len(b2)) + b2
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    s.sendall(good + bad + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    eq(statuses(read_all(s)), [201, 400], "one answer each, in order, none after the refusal")
    eq(p.stored(ref1), 1, "the first request was stored once")
    eq(p.stored(ref2), 0, "the refused one was not")
    # keep-alive: a good chunked request, then a good Content-Length one, on one connection
    b3 = p.body()
    ref3 = p.ref
    b4 = p.body()
    ref4 = p.ref
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    s.sendall(p.head(b"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n") + chunked(b3) +
              p.head(b"Host: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(b4)) + b4)
    eq(statuses(read_all(s)), [201, 201], "both pipelined requests served")
    eq(p.stored(ref3) + p.stored(ref4), 2)


@test
def forged_refusal_header_is_ignored(env):
    """The stand-in for a refused request carries a per-process secret; a client's guess is just a header."""
    d = env.shared()
    st, _, _, _ = raw(d, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         b"X-Consultd-Refused: 00000000000000000000000000000000 6\r\n\r\n")
    eq(st, 200)


@test
def large_answers_reach_a_slow_reader_whole(env):
    """Answers pass the guard's output side whole and in order, also when the socket fills up and the
    last answer closes the connection."""
    d = env.shared()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(("127.0.0.1", d.port))
    get = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n"
    # 250 answers of 55 kB, unread for a second: more than the kernel buffers on both sides, so the
    # guard writes in part and waits for the socket
    s.sendall((get + b"\r\n") * 249 + get + b"Connection: close\r\n\r\n")
    time.sleep(1.0)  # let the server's socket buffer fill
    data = read_all(s)
    want = json.loads(d.request("GET", "/openapi.json").body)
    at = count = 0
    while at < len(data):
        end = data.index(b"\r\n\r\n", at)
        head = data[at:end]
        n = int([line.split(b":", 1)[1] for line in head.split(b"\r\n")
                 if line.lower().startswith(b"content-length:")][0])
        check(len(data) - end - 4 >= n, "a whole body: %d of %d bytes" % (len(data) - end - 4, n))
        eq(json.loads(data[end + 4:end + 4 + n]), want, "answer %d" % count)
        at = end + 4 + n
        count += 1
    eq(count, 250, "every answer")


@test
def head_answers_as_get_without_content(env):
    """RFC 9110 section 9.3.2: HEAD wherever GET, with GET's header fields and no content, so a
    request pipelined after it is read as its own."""
    d = env.shared()
    p = Poster(env, "Head Council")
    made = d.request("POST", "/v1/consultations", raw=p.body(), token=p.token)
    eq(made.status, 201)
    cid = made.json["id"]
    got = d.request("GET", "/v1/consultations/" + cid, token=p.token)
    eq(got.status, 200)
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    s.sendall(p.head(b"Host: x\r\n\r\n", method=b"HEAD", path=("/v1/consultations/" + cid).encode()) +
              b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = read_all(s)
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    eq(lines[0].split(" ")[1], "200", "HEAD status")
    h = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    eq(h.get("content-length"), str(len(got.body)), "Content-Length is the length GET sends")
    eq(h.get("etag"), got.header("etag"), "the same ETag as GET")
    eq(h.get("content-type"), got.header("content-type"))
    check(rest.startswith(b"HTTP/1.1 200"), "no content after HEAD's header: the next answer follows, %r" % rest[:60])
    eq(statuses(rest), [200], "the pipelined GET answered")

    cal = d.request("GET", "/public/consultations.ics")
    r = d.request("HEAD", "/public/consultations.ics", headers={"If-None-Match": cal.header("etag")})
    eq((r.status, r.body), (304, b""), "a conditional HEAD is answered as a conditional GET")
    r = d.request("HEAD", "/v1/consultations/01a20257-ad26-7a7f-bc6a-d4d48df44399", token=p.token)
    eq((r.status, r.body), (404, b""))
    check(int(r.header("content-length")) > 0, "a HEAD's 404 gives the problem's length")
    eq(d.request("HEAD", "/v1/consultations/" + cid).status, 401, "HEAD needs the key GET needs")
    eq(d.request("HEAD", "/healthz").status, 200)
    r = d.request("HEAD", "/public/consultations.ics")
    eq((r.status, r.header("content-type").split(";")[0], r.body), (200, "text/calendar", b""))
    eq(r.header("content-length"), str(len(cal.body)))
    r = d.request("HEAD", "/v1/consultations/" + cid + "/outreach", token=p.token)
    eq((r.status, r.header("allow")), (405, "POST"), "HEAD only where GET is served")
    r = d.request("DELETE", "/public/consultations.ics")
    eq((r.status, r.header("allow")), (405, "GET, HEAD"), "Allow names HEAD beside GET")
