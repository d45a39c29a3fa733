"""Bearer keys, roles and who may change what."""
import time

from harness import test, eq, check, problem
from common import create


@test
def missing_malformed_wrong_and_revoked_keys_get_401(env):
    d = env.shared()
    org, token = env.new_org("Auth Council")
    r = d.request("GET", "/v1/consultations")
    problem(r, 401)
    check(r.header("www-authenticate").startswith("Bearer"), r.header("www-authenticate"))
    problem(d.request("GET", "/v1/consultations", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    problem(d.request("GET", "/v1/consultations", token="not-a-token"), 401)
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    r = d.request("GET", "/v1/consultations", token=wrong)
    problem(r, 401)
    check("invalid_token" in r.header("www-authenticate"))
    eq(d.request("GET", "/v1/consultations", token=token).status, 200)
    key_id = env.psql("SELECT id FROM api_keys WHERE organisation_id = '%s'" % org)
    env.cli("key", "revoke", key_id)
    # a verified key is trusted for server.auth_cache_s (1 s here) without a lookup
    deadline = time.time() + 3
    while d.request("GET", "/v1/consultations", token=token).status == 200 and time.time() < deadline:
        time.sleep(0.1)
    problem(d.request("GET", "/v1/consultations", token=token), 401)
    check(time.time() < deadline, "revocation took effect within the cache time")


@test
def every_role_reads_everything_only_owners_and_admins_write(env):
    d = env.shared()
    _, owner = env.new_org("Owner Council")
    _, other = env.new_org("Other Council")
    coord_org, _ = env.new_org("Coordinating Body")
    coordinator = env.key(coord_org, "coordinator")
    admin_org = env.org("Register Admins", "other")
    admin = env.key(admin_org, "admin")
    c = create(d, owner)
    path = "/v1/consultations/" + c["id"]
    for tok in (owner, other, coordinator, admin):
        eq(d.request("GET", path, token=tok).status, 200, "every role reads")
    # not the owner: 403 on change, whatever the role short of admin
    for tok in (other, coordinator):
        problem(d.request("PATCH", path, {"title": "Hijacked"}, token=tok, headers={"If-Match": '"1"'}), 403)
        problem(d.request("DELETE", path, token=tok, headers={"If-Match": '"1"'}), 403)
    eq(d.request("GET", path, token=owner).json["title"], c["title"], "unchanged")
    r = d.request("PATCH", path, {"title": "Edited by admin"}, token=admin, headers={"If-Match": '"1"'})
    eq(r.status, 200)
    eq(r.json["organisation"]["id"], c["organisation"]["id"], "the owner stays the owner")
    r = d.request("DELETE", path, token=admin, headers={"If-Match": '"2"'})
    eq(r.status, 200)
    eq(r.json["status"], "cancelled")
