"""Every malformed or hostile request gets a precise 4xx problem and changes nothing."""
import json
import socket

from harness import test, eq, check, problem
from common import body


def count(env, org):
    return env.psql("SELECT count(*) FROM consultations WHERE organisation_id = '%s'" % org)


@test
def malformed_bodies_are_400(env):
    d = env.shared()
    org, token = env.new_org("Malformed Council")
    post = lambda raw, **kw: d.request("POST", "/v1/consultations", raw=raw, token=token, **kw)
    problem(post(b"{\"title\": "), 400)
    problem(post(b"not json"), 400)
    problem(post(b"[1, 2, 3]"), 400)
    problem(post(b"\"a string\""), 400)
    problem(post(b""), 400)
    r = post(b'{"title": "a", "title": "b"}')
    problem(r, 400)
    check("duplicate" in r.json["detail"], r.json["detail"])
    problem(post(b'{"title": "caf\xe9"}'), 400)          # Latin-1, not UTF-8
    problem(post(b'{"title": "\xed\xa0\x80"}'), 400)     # a UTF-16 surrogate in UTF-8
    problem(post(b'{"title": "a\\u0000b"}'), 400)        # NUL inside a string
    problem(post(b"[" * 100000 + b"]" * 100000), 400)    # deeply nested
    problem(post(b'{"a":' * 5000 + b"1" + b"}" * 5000), 400)
    problem(post(b'{"expected_participants": 1e999}'), 400)
    eq(count(env, org), "0")


@test
def invalid_fields_are_422_naming_each(env):
    d = env.shared()
    org, token = env.new_org("Invalid Council")
    cases = [
        ({"title": 42}, ["title"]),
        ({"title": "   "}, ["title"]),
        ({"title": "x" * 301}, ["title"]),
        ({"summary": "y" * 5001}, ["summary"]),
        ({"topics": "housing"}, ["topics"]),
        ({"topics": [1, "housing"]}, ["topics[0]"]),
        ({"communities": [{"code": "carers"}]}, ["communities[0]"]),
        ({"areas": ["Narnia and Hogsmeade"]}, ["areas[0]"]),
        ({"areas": ["E0900000"]}, ["areas[0]"]),
        ({"areas": []}, ["areas"]),
        ({"areas": ["E09000007"] * 501}, ["areas"]),
        ({"areas": None}, ["areas"]),
        ({"fieldwork": {"start": "2027-02-30", "end": "2027-03-01"}}, ["fieldwork.start"]),
        ({"fieldwork": {"start": "2027-03-02", "end": "2027-03-01"}}, ["fieldwork.end"]),
        ({"fieldwork": {"start": "2027-01-01", "end": "2029-06-01"}}, ["fieldwork.end"]),
        ({"fieldwork": {"start": "01/03/2027", "end": "2027-03-01"}}, ["fieldwork.start"]),
        ({"fieldwork": {"start": 20270301, "end": "2027-03-01"}}, ["fieldwork.start"]),
        ({"fieldwork": "2027"}, ["fieldwork"]),
        ({"methods": ["telepathy"]}, ["methods[0]"]),
        ({"engagement_level": "shout"}, ["engagement_level"]),
        ({"expected_participants": -5}, ["expected_participants"]),
        ({"expected_participants": 2.5}, ["expected_participants"]),
        ({"expected_participants": "400"}, ["expected_participants"]),
        ({"contact": {"email": "not-an-email"}}, ["contact.email"]),
        ({"contact": {"email": "a@b"}}, ["contact.email"]),
        ({"contact": {"phone": "0207"}}, ["contact.phone"]),
        ({"contact": "me"}, ["contact"]),
        ({"external_ref": ""}, ["external_ref"]),
        ({"titel": "typo"}, ["titel"]),
        ({"id": "01a20257-ad26-7a7f-bc6a-d4d48df44399"}, ["id"]),
        ({"status": "in_field"}, ["status"]),
        ({"version": 3}, ["version"]),
        ({"organisation": "me"}, ["organisation"]),
        ({"created_at": "2027-01-01T00:00:00Z"}, ["created_at"]),
        ({"overlaps": []}, ["overlaps"]),
        ({"title": [[[[[[[[[[["deep"]]]]]]]]]]]}, ["title"]),
    ]
    for over, fields in cases:
        r = d.request("POST", "/v1/consultations", body(**over), token=token)
        problem(r, 422, *fields)
    # all at once: every invalid field is listed, not just the first
    r = d.request("POST", "/v1/consultations",
                  {"title": "", "areas": ["x"], "fieldwork": {"start": "2027-01-02", "end": "2027-01-01"},
                   "engagement_level": "loud", "colour": "red"}, token=token)
    problem(r, 422, "title", "areas[0]", "fieldwork.end", "engagement_level", "colour")
    eq(count(env, org), "0", "nothing was written")


@test
def size_type_method_and_id_errors(env):
    d = env.shared()
    org, token = env.new_org("Protocol Council")
    big = json.dumps(body(summary="z" * (1024 * 1024))).encode()
    problem(d.request("POST", "/v1/consultations", raw=big, token=token), 413)
    problem(d.request("POST", "/v1/consultations", raw=json.dumps(body()).encode(), token=token,
                      ctype="text/plain"), 415)
    problem(d.request("POST", "/v1/consultations", raw=json.dumps(body()).encode(), token=token, ctype=None), 415)
    problem(d.request("POST", "/v1/consultations", raw=json.dumps(body()).encode(), token=token,
                      ctype="application/json; charset=latin1"), 415)
    eq(d.request("POST", "/v1/consultations", raw=json.dumps(body()).encode(), token=token,
                 ctype="Application/JSON; charset=UTF-8").status, 201)
    r = d.request("PUT", "/v1/consultations", body(), token=token)
    problem(r, 405)
    eq(r.header("allow"), "POST, GET, HEAD")
    r = d.request("POST", "/v1/consultations/01a20257-ad26-7a7f-bc6a-d4d48df44399", body(), token=token)
    problem(r, 405)
    eq(r.header("allow"), "GET, HEAD, PATCH, DELETE")
    problem(d.request("GET", "/v1/consultations/not-a-uuid", token=token), 404)
    problem(d.request("GET", "/v1/consultations/01a20257-ad26-7a7f-bc6a-d4d48df44399", token=token), 404)
    problem(d.request("GET", "/v1/nothing-here", token=token), 404)
    problem(d.request("GET", "/nowhere", token=token), 404)
    r = d.request("GET", "/")
    eq((r.status, r.header("location")), (302, "/console/"), "the root leads to the console")
    eq(count(env, org), "1")


@test
def http_layer_errors_are_not_html(env):
    d = env.shared()
    # an oversize header block: evhttp closes or answers, but never with an HTML page from us
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    check(b"200 OK" not in data, "an oversize header block is refused")
    # every routed error is JSON
    for path in ("/nope", "/v1/consultations/x"):
        r = d.request("GET", path)
        check(not r.body.lstrip().startswith(b"<"), "no HTML: %r" % r.body[:60])
