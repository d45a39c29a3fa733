"""Text similarity weighs words by how rare they are in the stored register: the
daemon counts them from PostgreSQL and every check uses the counts."""
import time

from harness import test, eq, check, wait_until
from common import body

REGISTER, ZONE = "E09000001", "E09000002"
WHEN = {"start": "2051-03-01", "end": "2051-03-31"}
TREES = ["alder", "birch", "cedar", "damson", "elder", "fir", "gorse", "hazel", "juniper", "larch", "maple",
         "nettle", "oak", "pine", "quince", "rowan", "spruce", "teak", "walnut", "yew"]


def wait(what, fn, timeout=30):
    return wait_until(fn, what, timeout, every=0.1)


def post(d, token, title, area, tag):
    # a free tag of its own, so only the text can make two of them overlap
    r = d.request("POST", "/v1/consultations", body(title=title, summary=None, topics=[tag], communities=[],
                                                    areas=[area], fieldwork=WHEN, external_ref=None), token=token)
    eq(r.status, 201, r)
    return r.json


def others(c):
    return [o["other"]["id"] for o in c["overlaps"]]


@test
def text_weights_come_from_the_stored_register(env):
    url = env.create_database(env.dbname + "_weights")
    env.cli("migrate", db_url=url)
    org = env.cli("org", "add", "--name", "Weights Council", db_url=url).stdout.strip()
    token = env.cli("key", "add", "--org", org, "--role", "partner", db_url=url).stdout.strip()

    def psql(sql):
        return env.psql(sql, url)

    # Weights are computed at start-up over the empty register: every word weighs 1.
    d1 = env.daemon(db_url=url)
    wait("the first weights", lambda: psql("SELECT documents FROM text_weights") == "0")
    wait("them loaded", lambda: "generation 1 computed (0 documents" in d1.logs())
    for i, tree in enumerate(TREES):
        post(d1, token, "%s review" % tree.capitalize(), REGISTER, "register-%d" % i)
    a = post(d1, token, "Orchard review", ZONE, "tag-a")
    b = post(d1, token, "Kiosk review", ZONE, "tag-b")
    eq(others(b), [a["id"]], "uniform weights: one shared word of two each is similar (0.5)")
    eq(b["overlaps"][0]["reasons"]["text_similarity"], 0.5)
    eq(b["overlaps"][0]["reasons"]["topics"], [])
    d1.stop()

    # A daemon that refreshes every second recounts the register: "review" is in 22 of 22.
    time.sleep(1.1)
    d2 = env.daemon(db_url=url, extra_env={"CONSULTD_OVERLAP_TEXT_WEIGHTS_REFRESH_S": "1"})
    wait("weights over the register", lambda: psql("SELECT documents FROM text_weights") == "22")
    eq(psql("SELECT df FROM text_word_df WHERE word = 'review'"), "22")
    eq(psql("SELECT df FROM text_word_df WHERE word = 'orchard'"), "1")
    wait("them loaded", lambda: "(22 documents" in d2.logs())
    # Re-checked by an edit, the same pair no longer overlaps: its only shared word is common.
    r = d2.request("PATCH", "/v1/consultations/" + b["id"], {"fieldwork": {"end": "2051-03-30"}}, token=token,
                   headers={"If-Match": '"1"'})
    eq(r.status, 200, r)
    eq(r.json["overlaps"], [], "a word in every document weighs little")
    r = d2.request("GET", "/v1/consultations/%s/overlaps" % a["id"], token=token)
    eq([(o["other"]["id"], o["status"]) for o in r.json["items"]], [(b["id"], "resolved")])
    # ...while two sharing words the register has not seen still do.
    c = post(d2, token, "Quarry blasting hours", ZONE, "tag-c")
    e = post(d2, token, "Quarry blasting signage", ZONE, "tag-e")
    eq(others(e), [c["id"]], "rare shared words are similar")
    check(e["overlaps"][0]["reasons"]["text_similarity"] >= 0.45, e["overlaps"][0]["reasons"])
    # Another instance, not due to recount, loads the stored counts and judges alike.
    d3 = env.daemon(db_url=url)
    wait("the stored weights loaded", lambda: " loaded (2" in d3.logs())
    check(" computed (" not in d3.logs(), "one instance counts; the other loads")
    f = post(d3, token, "Lantern review", ZONE, "tag-f")
    eq(others(f), [], "the same weights on every instance")
    d3.stop()
    d2.stop()
