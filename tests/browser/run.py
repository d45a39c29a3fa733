#!/usr/bin/python3
"""Browser tests of the web console: Debian's chromium and chromedriver through
python3-selenium (run with /usr/bin/python3, which sees Debian's packages),
against the real daemon and a real PostgreSQL.

  /usr/bin/python3 tests/browser/run.py --bin daemon/consultd --pg-url URL --pg-dir DIR [--shots DIR] [-k NAME]

Every page is checked with axe-core (no serious or critical finding), and any
console error, CSP violation included, fails the test that caused it. Every
wait is bounded (WAIT_S, page loads and scripts too), and each test has a
deadline (BROWSER_TEST_DEADLINE_S), both multiplied by
CONSULTD_TEST_TIMEOUT_SCALE: a test that passes its deadline fails by name and
the run goes on. One that does not unwind within GRACE_S of it, or a start-up
(browser, seeding) that passes its own deadline, stops the run: the hard
watchdog (tests/e2e/watchdog.py) names it, kills the browser and the daemon
and prints the summary."""
import argparse
import json
import os
import sys
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import harness  # noqa: E402
import watchdog  # noqa: E402
from harness import check, eq  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

def vendored(package):
    """The path of a vendored package's file, as tests/browser/vendor/MANIFEST names it."""
    with open(os.path.join(HERE, "vendor", "MANIFEST")) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == package:
                return os.path.join(HERE, "vendor", parts[3])
    raise AssertionError("%s is not in tests/browser/vendor/MANIFEST" % package)


AXE = vendored("axe-core")
SCALE = watchdog.scale()
WAIT_S = 10 * SCALE
TEST_DEADLINE_S = float(os.environ.get("BROWSER_TEST_DEADLINE_S", "90")) * SCALE
SETUP_DEADLINE_S = 180 * SCALE  # the browser's start and the seeding
GRACE_S = 30 * SCALE
HOSTILE = "<img src=x onerror=alert(1)> safety survey"
ABBEY, BIRCHWOOD, BOULTHAM, LINCOLN, LINCOLNSHIRE = "E05010784", "E05010785", "E05010786", "E07000138", "E10000019"


class Console:
    """One browser on one daemon, with the seeded data."""

    def __init__(self, env, daemon, shots):
        self.env, self.d, self.shots = env, daemon, shots
        self.base = "http://127.0.0.1:%d" % daemon.port
        o = Options()
        for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1280,800", "--lang=en-GB"]:
            o.add_argument(a)
        o.binary_location = "/usr/bin/chromium"
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.b = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
        self.b.set_page_load_timeout(WAIT_S * 2)
        self.b.set_script_timeout(WAIT_S * 3)
        with open(AXE) as f:
            self.axe = f.read()

    def close(self):
        self.b.quit()

    def api(self, method, path, body=None, token=None, headers=None):
        return self.d.request(method, path, body, token=token or self.coord, headers=headers)

    def wait(self, cond, what):
        try:
            return WebDriverWait(self.b, WAIT_S).until(cond)
        except TimeoutException:
            raise AssertionError("waited %d s for %s; page: %s" % (WAIT_S, what, self.b.current_url))

    def css(self, sel, what=None):
        return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, sel)), what or sel)

    def go(self, hash_):
        self.b.get(self.base + "/console/" + hash_)
        self.wait(lambda b: b.execute_script(
            "const m = document.getElementById('main'); return m && !/Loading/.test(m.textContent) && m.querySelector('h1')"),
            "the page at %s" % hash_)

    def sign_in(self, token):
        self.b.get("about:blank")  # the last page's requests end here, not after the key is gone
        self.b.get(self.base + "/console/")
        # the load's own route (with the last test's key) finishes first: answered after
        # the clear, it would send the page to the sign-in form again under the new key
        self.settle()
        self.b.execute_script("sessionStorage.clear()")
        self.b.get(self.base + "/console/#/signin")
        field = self.css("#key")
        field.send_keys(token)
        self.b.find_element(By.CSS_SELECTOR, "form.signin button[type=submit]").click()
        self.wait(lambda b: "Sign out" in b.find_element(By.ID, "who").text, "the signed-in header")
        self.settle()
        self.errors()  # the sign-in page's own unauthenticated first look

    def settle(self):
        """Waits until no request is in flight (the page drew what it fetched)."""
        time.sleep(0.3)
        self.wait(lambda b: b.execute_script(
            "return performance.getEntriesByType('resource').every(e => e.responseEnd > 0)"), "requests to finish")

    def errors(self):
        """Console errors since the last call (CSP violations are reported there too)."""
        return [e for e in self.b.get_log("browser")
                if e["level"] == "SEVERE" and "favicon" not in e["message"]]

    def audit(self, what):
        """axe-core on the current page: no serious or critical violation; no console error."""
        self.b.execute_script(self.axe)
        res = self.b.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)))"
            ".catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));")
        bad = [v for v in json.loads(res) if v.get("impact") in ("serious", "critical")]
        check(not bad, "%s: axe-core found %s" % (what, "; ".join(
            "%s (%s): %s at %s" % (v["id"], v["impact"], v["help"], [n.get("target") for n in v["nodes"][:3]])
            for v in bad)))
        errs = self.errors()
        check(not errs, "%s: console errors: %s" % (what, errs))

    def shot(self, name):
        if self.shots:
            os.makedirs(self.shots, exist_ok=True)
            self.b.save_screenshot(os.path.join(self.shots, name + ".png"))


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def seed(env, c):
    """Two organisations and the consultations the tests look for."""
    c.county_org, c.coord = env.new_org("Lincolnshire County Council", role="coordinator")
    c.nhs_org, c.partner = env.new_org("Lincoln NHS Trust", role="partner", kind="nhs")

    def post(token, **b):
        r = c.d.request("POST", "/v1/consultations", b, token=token)
        eq(r.status, 201, "seed %s: %r" % (b["title"], r))
        return r.json

    c.county = post(c.coord, title="Carers support review", topics=["carers-support", "libraries"],
                    communities=["carers"], areas=[LINCOLNSHIRE], fieldwork={"start": "2027-10-01", "end": "2027-10-30"})
    c.wards = post(c.partner, title="Unpaid carers and library access", topics=["adult-social-care", "libraries"],
                   communities=["carers"], areas=[ABBEY, BIRCHWOOD],
                   fieldwork={"start": "2027-10-05", "end": "2027-11-10"})
    c.hostile = post(c.partner, title=HOSTILE, topics=["community-safety"], communities=["young-people"],
                     areas=[ABBEY, BOULTHAM], fieldwork={"start": "2027-10-01", "end": "2027-10-20"})
    c.district = post(c.coord, title="Community safety plan", topics=["community-safety"],
                      communities=["general-public"], areas=[LINCOLN],
                      fieldwork={"start": "2027-10-01", "end": "2027-10-20"})
    c.pair = [o for o in c.wards["overlaps"] if o["other"]["id"] == c.county["id"]][0]


@test
def sign_in_says_who_and_refuses_a_bad_key(c):
    c.b.get("about:blank")
    c.b.get(c.base + "/console/")
    c.b.execute_script("sessionStorage.clear()")
    c.b.get(c.base + "/console/#/signin")
    c.css("#key").send_keys("cdk_not_a_key")
    c.b.find_element(By.CSS_SELECTOR, "form.signin button[type=submit]").click()
    c.wait(lambda b: "not recognised" in b.find_element(By.ID, "key-error").text, "the bad-key message")
    c.errors()  # the 401 itself is logged by the browser as a failed resource
    c.shot("sign-in")
    c.audit("sign-in page")
    c.sign_in(c.partner)
    who = c.b.find_element(By.ID, "who").text
    check("Lincoln NHS Trust" in who and "partner" in who, "the header names the organisation and role: %r" % who)
    nav = c.b.find_element(By.ID, "nav").text
    check("Alerts" not in nav, "a partner is not offered the alerts page")
    eq(c.b.execute_script("return sessionStorage.getItem('consultd.key')"), c.partner, "the key is in sessionStorage")
    c.b.find_element(By.XPATH, "//button[text()='Sign out']").click()
    c.css("#key")
    eq(c.b.execute_script("return sessionStorage.getItem('consultd.key')"), None, "signing out forgets the key")


@test
def inbox_acknowledges_an_overlap(c):
    c.sign_in(c.coord)
    c.go("#/overlaps")
    c.settle()
    c.shot("overlaps")
    c.audit("overlap inbox")
    row = c.wait(lambda b: [r for r in b.find_elements(By.CSS_SELECTOR, "table.overlaps tbody tr")
                            if "Carers support review" in r.text and "Unpaid carers" in r.text], "the seeded overlap")[0]
    check(c.pair["explanation"] in row.text, "the row shows the explanation")
    row.find_element(By.CSS_SELECTOR, "input.note").send_keys("Talked to the trust")
    row.find_element(By.XPATH, ".//button[text()='Acknowledge']").click()
    c.wait(lambda b: "Saved: acknowledged" in b.find_element(By.ID, "main").text, "the saved message")
    o = c.api("GET", "/v1/overlaps/%s" % c.pair["id"]).json
    eq((o["status"], o["note"]), ("acknowledged", "Talked to the trust"), "the API shows the new status")
    # filters in the address: a shared link
    c.go("#/overlaps?status=acknowledged&area=%s" % LINCOLN)
    c.wait(lambda b: "Carers support review" in b.find_element(By.ID, "main").text, "the filtered list")
    eq(c.b.find_element(By.ID, "f-status").get_attribute("value"), "acknowledged")


@test
def a_stale_change_says_someone_else_changed_it(c):
    c.sign_in(c.coord)
    pair = [o for o in c.district["overlaps"] if o["other"]["id"] == c.hostile["id"]][0]
    c.go("#/overlaps/%s" % pair["id"])
    c.wait(lambda b: "Acknowledge" in b.find_element(By.ID, "main").text, "the overlap page")
    c.shot("overlap")
    c.audit("overlap page")
    cur = c.api("GET", "/v1/overlaps/%s" % pair["id"])
    r = c.api("PATCH", "/v1/overlaps/%s" % pair["id"], {"status": "coordinated", "note": "Done by phone"},
              headers={"If-Match": cur.header("etag"), "Content-Type": "application/merge-patch+json"})
    eq(r.status, 200, "changed behind the page's back: %r" % r)
    c.b.find_element(By.XPATH, "//button[text()='Dismiss']").click()
    c.wait(lambda b: "Someone else changed this overlap: it is now coordinated" in b.find_element(By.ID, "main").text,
           "the 412 message with the new state")
    eq(c.api("GET", "/v1/overlaps/%s" % pair["id"]).json["status"], "coordinated", "nothing overwritten")
    c.errors()  # the 412 response is logged as a failed resource


@test
def a_hostile_title_shows_as_text(c):
    c.sign_in(c.coord)
    c.go("#/consultations/%s" % c.hostile["id"])
    h1 = c.css("h1")
    eq(h1.text, HOSTILE, "the title is shown literally")
    eq(c.b.execute_script("return document.querySelectorAll('img[src=x]').length"), 0, "no element was made of it")
    c.settle()
    c.shot("consultation")
    c.audit("consultation page")
    pair = [o for o in c.district["overlaps"] if o["other"]["id"] == c.hostile["id"]][0]
    status = c.api("GET", "/v1/overlaps/%s" % pair["id"]).json["status"]  # another test may have changed it
    c.go("#/overlaps?status=%s" % status)
    c.wait(lambda b: HOSTILE in b.find_element(By.ID, "main").text, "the hostile title in the inbox")
    eq(c.b.execute_script("return document.querySelectorAll('img').length"), 0, "still no image")


@test
def the_form_completes_areas_and_previews_overlaps(c):
    c.sign_in(c.partner)
    c.go("#/consultations/new")
    c.css("#title").send_keys("Library opening hours in Birchwood")
    area = c.css("#areas-input")
    area.send_keys("Birchwo")
    opt = c.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, "ul.options li")), "the area suggestions")
    check("Birchwood" in opt.text and BIRCHWOOD in opt.text, "the suggestion names the ward: %r" % opt.text)
    area.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    c.wait(lambda b: "Birchwood" in b.find_element(By.CSS_SELECTOR, "ul.chips").text, "the chosen area")
    for fid, v in (("start", "2027-10-10"), ("end", "2027-10-31")):
        c.b.execute_script("document.getElementById(arguments[0]).value = arguments[1]", fid, v)
    c.b.find_element(By.ID, "topics-libraries").click()
    c.b.find_element(By.ID, "communities-carers").click()
    before = c.api("GET", "/v1/consultations?area=%s&limit=200" % BIRCHWOOD).json["items"]
    c.b.find_element(By.ID, "check").click()
    c.wait(lambda b: "It would overlap" in b.find_element(By.CSS_SELECTOR, "section.preview").text, "the dry run")
    prev = c.b.find_element(By.CSS_SELECTOR, "section.preview").text
    check("Carers support review" in prev, "the preview names what it would overlap: %r" % prev[:300])
    eq(len(c.api("GET", "/v1/consultations?area=%s&limit=200" % BIRCHWOOD).json["items"]), len(before),
       "a dry run stores nothing")
    c.shot("form")
    c.audit("new consultation form")
    # an invalid date is shown next to its field
    c.b.execute_script("document.getElementById('end').value = '2027-10-01'")
    c.b.find_element(By.ID, "save").click()
    c.wait(lambda b: "must not be before" in b.find_element(By.ID, "end-error").text, "the field's error")
    c.errors()
    c.b.execute_script("document.getElementById('end').value = '2027-10-31'")
    c.b.find_element(By.ID, "save").click()
    c.wait(lambda b: "/console/#/consultations/" in b.current_url and "new" not in b.current_url, "the saved page")
    eq(c.css("h1").text, "Library opening hours in Birchwood")


@test
def the_area_picker_narrows_and_keeps_what_was_typed(c):
    c.sign_in(c.partner)
    c.go("#/consultations/new")
    area = c.css("#areas-input")
    message = lambda b: b.find_element(By.CSS_SELECTOR, ".area-picker .picker-message").text
    area.send_keys("Abbey")
    c.wait(lambda b: "type more to narrow" in message(b), "the picker saying more areas match")
    eq(len(c.b.find_elements(By.CSS_SELECTOR, "ul.options li")), 10, "ten listed")
    check(ABBEY not in c.b.find_element(By.CSS_SELECTOR, "ul.options").text,
          "the test can fail: Lincoln's Abbey is not among the first ten of 19")
    area.send_keys(" (Lincoln)")
    c.wait(lambda b: ABBEY in b.find_element(By.CSS_SELECTOR, "ul.options").text, "Abbey (Lincoln) found")
    opt = c.b.find_element(By.CSS_SELECTOR, "ul.options li").text
    check("ward in Lincoln" in opt, "the option names its parent: %r" % opt)
    c.shot("form-area-picker-parent")
    # Enter with nothing highlighted: the text stays, and the picker says why nothing was chosen
    area.send_keys(Keys.ENTER)
    c.wait(lambda b: "Nothing was chosen" in message(b), "why nothing was chosen")
    eq(area.get_attribute("value"), "Abbey (Lincoln)", "what was typed is kept")
    eq(c.b.find_element(By.CSS_SELECTOR, "ul.chips").text, "", "nothing chosen")
    check("/console/#/consultations/new" in c.b.current_url, "and the form was not sent")
    area.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    c.wait(lambda b: "Abbey" in b.find_element(By.CSS_SELECTOR, "ul.chips").text, "the chosen area")
    chip = c.b.find_element(By.CSS_SELECTOR, "ul.chips li").text
    check(chip.startswith("Abbey, Lincoln (%s)" % ABBEY), "the chosen area names its parent: %r" % chip)
    c.audit("the area picker")


@test
def form_errors_are_in_the_forms_words(c):
    c.sign_in(c.partner)
    c.go("#/consultations/new")
    c.css("#areas-input").send_keys("Birchwo")
    c.b.find_element(By.ID, "save").click()
    summary = c.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, ".error-summary")), "the error summary").text
    for want in ("Title: enter a title", "Start of fieldwork: enter a date", "End of fieldwork: enter a date",
                 "Areas: “Birchwo” was typed but not chosen"):
        check(want in summary, "%r in the summary: %r" % (want, summary))
    for api_word in ("fieldwork.start", "areas:", "YYYY-MM-DD", "entries", "/v1/"):
        check(api_word not in summary, "no API words (%r) in %r" % (api_word, summary))
    eq(c.b.find_element(By.ID, "start-error").text, "Start of fieldwork: enter a date", "next to its box")
    c.shot("form-errors-in-words")
    c.errors()  # the 422 is logged by the browser as a failed resource
    c.audit("the form's errors")
    # a long pasted title is kept, counted and said to be too long; the server's limit then applies
    long_title = "A consultation title pasted from a long document " * 7  # 343 characters, trimmed 342
    c.b.execute_script("const t = document.getElementById('title'); t.value = arguments[0];"
                       "t.dispatchEvent(new Event('input'))", long_title)
    eq(len(c.b.find_element(By.ID, "title").get_attribute("value")), len(long_title), "nothing cut")
    count = c.b.find_element(By.ID, "title-count").text
    eq(count, "Title is 42 characters too long: 342 of 300", "the live count")
    c.b.execute_script("const t = document.getElementById('contact_name'); t.value = 'x'.repeat(201);"
                       "t.dispatchEvent(new Event('input'))")
    eq(c.b.find_element(By.ID, "contact_name-count").text, "Contact name is 1 character too long: 201 of 200")
    c.b.find_element(By.ID, "save").click()
    c.wait(lambda b: "Title is 42 characters too long: shorten it to 300" in b.find_element(By.ID, "title-error").text,
           "the server's limit in the form's words")
    check("Contact name is 1 character too long" in c.b.find_element(By.CSS_SELECTOR, ".error-summary").text,
          "every limited field")
    c.b.execute_script("const t = document.getElementById('title'); t.value = 'Short';"
                       "t.dispatchEvent(new Event('input'))")
    eq(c.b.find_element(By.ID, "title-count").text, "5 of 300 characters")
    c.shot("form-too-long")
    c.errors()  # the 422s are logged by the browser as failed resources


@test
def sign_in_points_residents_to_the_public_page(c):
    c.b.get("about:blank")
    c.b.get(c.base + "/")
    c.b.execute_script("sessionStorage.clear()")
    c.b.get(c.base + "/console/#/signin")
    link = c.css("#residents-link")
    eq(link.text, "Looking for consultations near you? See what is planned")
    link.click()
    c.wait(lambda b: b.current_url.startswith(c.base + "/public/"), "the residents' page")
    c.css("#area")
    c.errors()


@test
def the_calendar_draws_a_bar_per_consultation(c):
    c.sign_in(c.coord)
    c.go("#/calendar?area=%s&from=2027-09&months=3" % LINCOLN)
    c.wait(lambda b: b.find_elements(By.CSS_SELECTOR, "table.calendar a.bar"), "the bars")
    c.settle()
    listed = c.api("GET", "/v1/consultations?area=%s&from=2027-09-01&to=2027-11-30&limit=200" % LINCOLN).json["items"]
    drawn = set(e.get_attribute("data-consultation") for e in c.b.find_elements(By.CSS_SELECTOR, "table.calendar a.bar"))
    eq(drawn, {x["id"] for x in listed}, "one bar (at least) for every consultation the API lists, and no other")
    marked = [e for e in c.b.find_elements(By.CSS_SELECTOR, "a.bar.has-overlap")
              if e.get_attribute("data-consultation") == c.wards["id"]]
    check(marked and "open overlaps" in marked[0].get_attribute("title"), "an overlapping consultation is marked")
    c.shot("calendar")
    c.audit("calendar")


@test
def heat_map_cells_equal_the_fatigue_api(c):
    c.sign_in(c.coord)
    c.go("#/fatigue?area=%s&community=carers&from=2027-09&months=4" % LINCOLN)
    c.wait(lambda b: b.find_elements(By.CSS_SELECTOR, "table.heatmap td[data-area]"), "the heat map")
    c.settle()
    api = c.api("GET", "/v1/fatigue?area=%s&community=carers&from=2027-09-01&to=2027-12-01" % LINCOLN).json["items"]
    want = {b["month"]: b["count"] for b in api}
    cells = {e.get_attribute("data-month"): int(e.get_attribute("data-count"))
             for e in c.b.find_elements(By.CSS_SELECTOR, "table.heatmap td[data-area='%s']" % LINCOLN)}
    eq(cells, want, "every cell equals /v1/fatigue")
    check(any(v > 0 for v in cells.values()), "the seeded asks are counted")
    ward = c.api("GET", "/v1/fatigue?area=%s&community=carers&from=2027-09-01&to=2027-12-01" % ABBEY).json["items"]
    wcells = {e.get_attribute("data-month"): int(e.get_attribute("data-count"))
              for e in c.b.find_elements(By.CSS_SELECTOR, "table.heatmap td[data-area='%s']" % ABBEY)}
    eq(wcells, {b["month"]: b["count"] for b in ward}, "a child row equals /v1/fatigue for that ward")
    c.b.find_element(By.CSS_SELECTOR, "td[data-area='%s'][data-month='2027-10'] button" % LINCOLN).click()
    c.wait(lambda b: "Unpaid carers" in b.find_element(By.CSS_SELECTOR, "section.cell-detail").text,
           "the cell's consultations")
    c.shot("fatigue")
    c.audit("fatigue heat map")


@test
def the_other_pages_pass_the_audit(c):
    c.sign_in(c.coord)
    for page in ("#/import", "#/alerts", "#/feeds"):
        c.go(page)
        c.settle()
        c.errors()  # a server without a route answers 404 and the page says so; that is not a page fault
        c.shot(page.strip("#/"))
        c.audit(page)


@test
def the_alerts_form_subscribes_a_weekly_digest(c):
    c.sign_in(c.coord)
    c.go("#/alerts")
    c.settle()
    time_field = c.css("#digest_time")
    check(not time_field.is_displayed(), "no digest time for delivery at once")
    c.b.execute_script("const s = document.getElementById('delivery'); s.value = 'weekly';"
                       " s.dispatchEvent(new Event('change'))")
    check(time_field.is_displayed() and c.css("#digest_day").is_displayed(), "time and day for a weekly digest")
    c.b.execute_script("document.getElementById('digest_time').value = '07:30';"
                       " document.getElementById('digest_day').value = 'friday';"
                       " document.getElementById('kind').value = 'email'")
    address = "digest-%d@example.org" % int(time.time() * 1000)
    c.css("#target").send_keys(address)
    c.b.find_element(By.CSS_SELECTOR, "form.alert-form button[type=submit]").click()
    c.wait(lambda b: "Subscribed" in b.find_element(By.ID, "main").text, "the subscription made")
    c.wait(lambda b: "weekly digest, Fridays at 07:30 (UK time)" in b.find_element(By.ID, "main").text,
           "the digest listed")
    mine = [s for s in c.api("GET", "/v1/subscriptions?limit=200").json["items"] if s["email"] == address]
    eq([(s["delivery"], s["digest_time"], s["digest_day"]) for s in mine], [("weekly", "07:30", "friday")])
    check("Next digest:" in c.b.find_element(By.ID, "main").text, "when the next digest goes")
    c.settle()
    c.audit("alerts page with a digest")


@test
def an_alert_subscription_changes_its_delivery_in_place(c):
    url = "https://hooks.example.org/change-%d" % int(time.time() * 1000)
    r = c.api("POST", "/v1/subscriptions", {"url": url})
    eq(r.status, 201, r)
    sub = r.json
    c.sign_in(c.coord)
    c.go("#/alerts")
    c.settle()
    card = "section[data-subscription='%s']" % sub["id"]
    c.css(card)

    def change(to, time_=None, day=None):
        c.b.find_element(By.CSS_SELECTOR, card).find_element(By.XPATH, ".//button[text()='Change delivery']").click()
        sel = c.css("#delivery-%s" % sub["id"])
        c.b.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))", sel, to)
        tf, df = c.css("#digest_time-%s" % sub["id"]), c.css("#digest_day-%s" % sub["id"])
        eq((tf.is_displayed(), df.is_displayed()), (to != "immediate", to == "weekly"), "the fields that apply")
        if time_:
            c.b.execute_script("arguments[0].value = arguments[1]", tf, time_)
        if day:
            c.b.execute_script("arguments[0].value = arguments[1]", df, day)
        c.b.execute_script("arguments[0].scrollIntoView({block: 'center'})", sel)
        c.shot("alerts-change-delivery-to-" + to)
        c.b.find_element(By.CSS_SELECTOR, card + " form.change-delivery button[type=submit]").click()

    text = lambda: c.b.find_element(By.ID, "main").text
    # at once -> a daily digest at 06:45
    change("daily", "06:45")
    c.wait(lambda b: "Delivery changed for %s: daily digest at 06:45 (UK time)." % url in text(), "the change said")
    got = c.api("GET", "/v1/subscriptions/" + sub["id"])
    eq((got.json["delivery"], got.json["digest_time"], got.json["version"]), ("daily", "06:45", 2))
    c.wait(lambda b: "Next digest:" in b.find_element(By.CSS_SELECTOR, card).text, "the next digest listed")
    c.settle()
    c.shot("alerts-changed-delivery")
    c.audit("alerts page after a change of delivery")
    # changed behind the page's back: the page's change is refused (412), not overwritten
    r = c.api("PATCH", "/v1/subscriptions/" + sub["id"], {"delivery": "weekly", "digest_day": "friday"},
              headers={"If-Match": '"2"', "Content-Type": "application/merge-patch+json"})
    eq(r.status, 200, r)
    change("immediate")
    c.wait(lambda b: "Not changed: someone else changed the subscription for %s" % url in text(), "the 412 said")
    eq(c.api("GET", "/v1/subscriptions/" + sub["id"]).json["delivery"], "weekly", "nothing overwritten")
    c.wait(lambda b: "weekly digest, Fridays at 06:45 (UK time)" in b.find_element(By.CSS_SELECTOR, card).text,
           "the list read again")
    c.errors()  # the 412 response is logged as a failed resource
    # read again, the change goes through
    change("immediate")
    c.wait(lambda b: "Delivery changed for %s: at once." % url in text(), "back to at once")
    got = c.api("GET", "/v1/subscriptions/" + sub["id"]).json
    eq((got["delivery"], got["digest_time"], got["digest_day"], got["version"]), ("immediate", None, None, 4))
    c.settle()
    c.audit("alerts page back to at once")


@test
def residents_page_lists_public_consultations_by_month(c):
    r = c.d.request("POST", "/v1/consultations", {
        "title": "<img src=x onerror=alert(1)> Lincoln bus station public review", "topics": ["transport"],
        "areas": [LINCOLN], "fieldwork": {"start": "2027-11-03", "end": "2027-11-20"}, "visibility": "public",
        "contact": {"name": "Transport team", "email": "buses@lincoln.example"}}, token=c.coord)
    eq(r.status, 201, "public seed %r" % r)
    c.b.get(c.base + "/public/?area=" + LINCOLN)
    c.settle()
    c.wait(lambda b: "Lincoln bus station public review" in b.find_element(By.ID, "months").text, "the listing")
    months = [h.text for h in c.b.find_elements(By.CSS_SELECTOR, "#months h3")]
    check("November 2027" in months, "grouped by month: %r" % months)
    text = c.b.find_element(By.ID, "months").text
    check("<img src=x onerror=alert(1)>" in text, "a hostile title shows as text")
    check(not c.b.find_elements(By.CSS_SELECTOR, "#months img"), "and never as markup")
    check("Carers support review" not in text, "partners-only consultations stay private")
    check("buses@lincoln.example" not in c.b.page_source, "no contact e-mail")
    link = c.b.find_element(By.ID, "calendar-link").get_attribute("href")
    check(link.endswith("/public/consultations.ics?area=" + LINCOLN), "the area's calendar: %s" % link)
    c.shot("public")
    c.audit("the residents' page")


def public_seed(c):
    """A public consultation in Lincoln, with a topic and a community, once."""
    if getattr(c, "resident_plan", None) is None:
        r = c.d.request("POST", "/v1/consultations", {
            "title": "Council housing repairs: what tenants think", "topics": ["housing-repairs"],
            "communities": ["social-housing-tenants"], "areas": [LINCOLN, ABBEY],
            "fieldwork": {"start": "2027-12-01", "end": "2027-12-20"}, "visibility": "public"}, token=c.coord)
        eq(r.status, 201, "public seed %r" % r)
        c.resident_plan = r.json
    return c.resident_plan


def resident_search(c, text):
    box = c.css("#area")
    box.clear()
    box.send_keys(text)
    return box


@test
def residents_find_their_area_in_plain_words(c):
    plan = public_seed(c)
    labels = {}
    for v in ("topics", "communities"):
        labels.update({t["code"]: t["label"] for t in c.api("GET", "/v1/vocabularies/" + v).json["items"]})
    c.b.get(c.base + "/public/")
    c.settle()
    # a postcode: said plainly, with no API in sight
    resident_search(c, "LN2 5AB").send_keys(Keys.ENTER)
    c.wait(lambda b: "Postcodes are not known" in b.find_element(By.ID, "status").text, "the postcode answer")
    status = c.b.find_element(By.ID, "status").text
    check("town, ward or council" in status, status)
    body = c.b.find_element(By.TAG_NAME, "body").text
    check("/v1/" not in body and "GET " not in body, "no API address shown to a resident: %r" % body[:400])
    c.shot("public-postcode")
    # suggestions as you type, each place told apart by its level and parent
    resident_search(c, "Lincoln")
    opts = c.wait(EC.visibility_of_element_located((By.ID, "area-options")), "the suggestions")
    c.wait(lambda b: "Breckland" in opts.text, "the ward in Breckland among the suggestions")
    check("district in" in opts.text, "the district: %r" % opts.text)
    c.shot("public-suggestions")
    c.audit("the residents' page with suggestions")
    # a shared name, sent without choosing: the places it means, to choose from
    c.b.find_element(By.ID, "area").send_keys(Keys.ESCAPE)
    c.b.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    c.wait(lambda b: b.find_element(By.ID, "choices").is_displayed(), "the list of places called Lincoln")
    choices = [a.text for a in c.b.find_elements(By.CSS_SELECTOR, "#choice-list a")]
    eq(len(choices), 2, "two places are called Lincoln: %r" % choices)
    check(choices[0].startswith("Lincoln — district") and choices[1] == "Lincoln — ward in Breckland",
          "each with its level and parent: %r" % choices)
    eq(c.b.find_element(By.ID, "months").text, "", "nothing listed for the wrong Lincoln meanwhile")
    c.shot("public-choices")
    c.audit("the residents' page offering a choice")
    c.b.find_elements(By.CSS_SELECTOR, "#choice-list a")[0].click()
    c.wait(lambda b: plan["title"] in b.find_element(By.ID, "months").text, "the district's consultations")
    check(c.b.current_url.endswith("?area=" + LINCOLN), "the address names the area: %s" % c.b.current_url)
    item = [li.text for li in c.b.find_elements(By.CSS_SELECTOR, "#months li") if plan["title"] in li.text][0]
    check("Where: Lincoln, Abbey (Lincoln)" in item, "where it is, by name: %r" % item)
    for code in plan["topics"] + plan["communities"]:
        check(labels[code] in item, "the label %r of %s: %r" % (labels[code], code, item))
        check(code not in item, "not the code %s: %r" % (code, item))
    check(LINCOLN not in item and ABBEY not in item, "no GSS codes: %r" % item)
    c.b.execute_script("document.getElementById('c-' + arguments[0]).scrollIntoView()", plan["id"])
    c.shot("public-area-listing")
    c.audit("the residents' page listing an area")
    # more places share a name than are listed: the page says so
    resident_search(c, "Abbey")
    c.wait(lambda b: "More places match" in b.find_element(By.ID, "area-more").text, "the page saying there are more")
    eq(len(c.b.find_elements(By.CSS_SELECTOR, "#area-options li")), 10)


@test
def the_public_calendar_links_to_a_page_residents_can_open(c):
    plan = public_seed(c)
    ics = c.d.request("GET", "/public/consultations.ics")
    eq(ics.status, 200)
    text = ics.body.decode().replace("\r\n ", "")
    url = [l[4:] for l in text.split("\r\n") if l.startswith("URL:") and plan["id"] in l]
    eq(len(url), 1, "the consultation's event has a URL")
    link = urllib.parse.urlsplit(url[0])
    eq((link.path, link.query), ("/public/", "consultation=" + plan["id"]), "the public page, not the console")
    c.b.get(c.base + link.path + "?" + link.query)
    c.wait(lambda b: plan["title"] in b.find_element(By.ID, "months").text, "the consultation")
    eq(len(c.b.find_elements(By.CSS_SELECTOR, "#months li")), 1, "that one consultation")
    check("Sign in" not in c.b.find_element(By.TAG_NAME, "body").text, "no sign-in")
    c.shot("public-from-calendar")
    c.audit("the residents' page from a calendar link")


@test
def usable_at_a_phone_width(c):
    def fits(what):  # the page's own width: the window's 390 pixels less its scroll bar
        sw, cw = c.b.execute_script("const d = document.documentElement; return [d.scrollWidth, d.clientWidth]")
        check(sw <= cw, "%s fits a 390-pixel screen (scroll width %d, width %d)" % (what, sw, cw))
    c.b.set_window_size(390, 844)
    try:
        c.sign_in(c.coord)
        for page in ("#/overlaps", "#/consultations/%s" % c.wards["id"], "#/consultations/new"):
            c.go(page)
            c.settle()
            fits(page)
        c.go("#/overlaps")
        c.settle()
        c.shot("overlaps-phone")
        # the alerts page with a subscription's change of delivery open
        r = c.api("POST", "/v1/subscriptions", {"url": "https://hooks.example.org/phone-%d" % int(time.time() * 1000)})
        eq(r.status, 201, r)
        c.go("#/alerts")
        c.settle()
        card = c.css("section[data-subscription='%s']" % r.json["id"])
        card.find_element(By.XPATH, ".//button[text()='Change delivery']").click()
        sel = c.css("#delivery-%s" % r.json["id"])
        c.b.execute_script("arguments[0].value = 'weekly'; arguments[0].dispatchEvent(new Event('change'))", sel)
        check(c.css("#digest_day-%s" % r.json["id"]).is_displayed(), "the weekly fields open")
        fits("the alerts page with a change of delivery open")
        wide = c.b.execute_script(
            "return [...document.querySelectorAll('#main, #main *')].filter(e => e.scrollWidth > e.clientWidth + 1"
            " && getComputedStyle(e).overflowX !== 'visible').map(e => e.tagName + '.' + e.className)")
        eq(wide, [], "nothing on the alerts page scrolls sideways (a long webhook address wraps)")
        c.b.execute_script("arguments[0].scrollIntoView({block: 'center'})", sel)
        c.shot("alerts-change-delivery-phone")
    finally:
        c.b.set_window_size(1280, 800)


@test
def keyboard_alone_reaches_and_uses_the_inbox(c):
    c.sign_in(c.coord)
    c.go("#/overlaps?status=open")
    c.settle()
    body = c.b.find_element(By.TAG_NAME, "body")
    seen = []
    for _ in range(60):
        body.send_keys(Keys.TAB) if not seen else c.b.switch_to.active_element.send_keys(Keys.TAB)
        el = c.b.switch_to.active_element
        seen.append((el.tag_name, el.text))
        if el.tag_name == "button" and el.text in ("Acknowledge", "Coordinated", "Dismiss"):
            break
    check(seen and seen[-1][0] == "button", "an action button is reachable by Tab: %s" % seen[-5:])
    outline = c.b.execute_script("const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth")
    check(outline.startswith("solid") and not outline.endswith(" 0px"), "focus is visible: %r" % outline)


def run_one(c, fn, hard):
    name = "browser." + fn.__name__
    hard.arm(name, TEST_DEADLINE_S + GRACE_S)
    t0 = time.time()
    try:
        watchdog.arm(TEST_DEADLINE_S, name)
        try:
            fn(c)
        finally:
            watchdog.disarm()
        print("ok   %s (%.2fs)" % (name, time.time() - t0), flush=True)
        return True
    except (Exception, watchdog.Deadline) as e:
        timeout = "TIMEOUT %s\n" % e if isinstance(e, watchdog.Deadline) else ""
        print("FAIL %s\n%s%s" % (name, timeout, traceback.format_exc()), flush=True)
        print("     console: %s" % c.errors(), flush=True)
        c.shot("FAIL-" + fn.__name__)
        return False
    finally:
        hard.disarm()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--pg-url", required=True)
    ap.add_argument("--pg-dir", required=True)
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "..", "shared", "data"))
    ap.add_argument("--shots", default="")
    ap.add_argument("-k", default="")
    a = ap.parse_args()
    env = harness.Env(a.bin, a.pg_url, a.pg_dir, os.path.abspath(a.data))
    env.dbname = "browser_%d" % os.getpid()
    env.db_url = "%s/%s" % (env.server_url, env.dbname)
    env.create_database()
    env.cli("migrate")
    ons = os.path.join(env.data_dir, "ons")
    env.cli("areas", "import", *[os.path.join(ons, f) for f in sorted(os.listdir(ons)) if f.endswith(".csv")])
    count = {"passed": 0, "failed": 0}

    def stop_run(name):
        print("TIMEOUT %s: still running past its deadline; stopping the run" % name, flush=True)
        for k in watchdog.kill_descendants():
            print("     killed %s" % k, flush=True)
        print("browser: %d passed, %d failed" % (count["passed"], count["failed"] + 1), flush=True)
        os._exit(1)

    hard = watchdog.Hard(stop_run)
    hard.arm("browser start-up and seeding", SETUP_DEADLINE_S)
    d = env.daemon()
    c = Console(env, d, a.shots)
    try:
        seed(env, c)
        hard.disarm()
        for fn in TESTS:
            if a.k not in fn.__name__:
                continue
            count["passed" if run_one(c, fn, hard) else "failed"] += 1
    finally:
        hard.arm("closing the browser and stopping the daemon", 60 * SCALE)
        c.close()
        d.stop()
        hard.disarm()
    passed, failed = count["passed"], count["failed"]
    for r in env.sanitizer_reports:
        print("sanitizer report:\n" + r)
        failed += 1
    print("browser: %d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
