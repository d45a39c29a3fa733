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
import datetime
import json
import os
import sys
import tempfile
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
    n = len(c.b.find_elements(By.CSS_SELECTOR, "section.preview tbody tr"))
    eq(c.css("section.preview h2").text,
       "It would overlap %d planned consultation%s" % (n, "" if n == 1 else "s"), "the count in plain words")
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


def our_consultations_fixture(c):
    """An organisation of its own with 28 consultations: 25 to come, in reverse order of fieldwork, one
    of them overlapping the county's carers review; two past ones and a cancelled one."""
    org, token = c.env.new_org("Witham Housing Association", role="partner", kind="housing")

    def post(title, start, end, **more):
        b = dict(title=title, topics=["libraries"], communities=["general-public"], areas=[LINCOLN],
                 fieldwork={"start": start, "end": end})
        b.update(more)
        r = c.d.request("POST", "/v1/consultations", b, token=token)
        eq(r.status, 201, "fixture %s: %r" % (title, r))
        return r

    coming = []
    for i in reversed(range(24)):  # 40 days apart: they do not overlap each other
        d0 = datetime.date(2030, 1, 1) + datetime.timedelta(days=40 * i)
        coming.append((d0, post("Tenants' panel %02d" % i, d0.isoformat(),
                                (d0 + datetime.timedelta(days=10)).isoformat()).json["id"]))
    carers = post("Carers' breaks survey", "2027-10-10", "2027-10-25", communities=["carers"],
                  external_ref="WHA-CARERS").json["id"]
    old20 = post("Old survey 2020", "2020-03-01", "2020-03-31").json["id"]
    old21 = post("Old survey 2021", "2021-03-01", "2021-03-31").json["id"]
    r = post("Cancelled survey", "2029-06-01", "2029-06-30")
    cancelled = r.json["id"]
    eq(c.d.request("DELETE", "/v1/consultations/" + cancelled, token=token,
                   headers={"If-Match": r.header("etag")}).status, 200, "the fixture's cancel")
    want = [carers] + [cid for _, cid in sorted(coming)] + [cancelled, old21, old20]
    return org, token, want


@test
def our_consultations_lists_pages_and_downloads_the_organisations_own(c):
    org, token, want = our_consultations_fixture(c)
    c.sign_in(token)
    nav = c.b.find_element(By.ID, "nav")
    nav.find_element(By.LINK_TEXT, "Our consultations").click()
    c.wait(lambda b: b.current_url.endswith("#/consultations"), "the page from the navigation")
    c.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "ol.mine li")) == 25, "the first 25")
    c.settle()
    shown = lambda: [e.get_attribute("data-consultation") for e in c.b.find_elements(By.CSS_SELECTOR, "ol.mine li")]
    eq(shown(), want[:25], "coming ones soonest first, 25 at a time")
    eq(c.css("#mine-count").text, "Showing 25 of 28 consultations.")
    row = c.b.find_element(By.CSS_SELECTOR, "li[data-consultation='%s']" % want[0])
    open_n = len([o for o in c.api("GET", "/v1/consultations/%s/overlaps" % want[0], token=token).json["items"]
                  if o["status"] == "open"])
    check(open_n > 0, "the fixture overlaps the county's review")
    check("%d open overlap" % open_n in row.text, "the open overlaps counted: %r" % row.text)
    check("PLANNED" in row.text and "10 to 25 October 2027" in row.text and "Lincoln" in row.text
          and "WHA-CARERS" in row.text, "status, dates, area names and reference: %r" % row.text)
    eq(row.find_element(By.CSS_SELECTOR, "h2 a").get_attribute("href"), c.base + "/console/#/consultations/" + want[0])
    c.shot("mine")
    c.audit("our consultations")
    # the rest by keyboard: focus goes to the first one added
    more = c.css("#mine-more")
    eq(more.text, "Show 3 more")
    c.b.execute_script("arguments[0].focus()", more)
    c.b.switch_to.active_element.send_keys(Keys.ENTER)
    c.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "ol.mine li")) == 28, "the last 3")
    eq(shown(), want, "past and cancelled ones last, latest first")
    eq(c.b.switch_to.active_element.get_attribute("href"), c.base + "/console/#/consultations/" + want[25],
       "focus on the first one added")
    check(not more.is_displayed(), "no more to show")
    check("CANCELLED" in c.b.find_element(By.CSS_SELECTOR, "li[data-consultation='%s']" % want[25]).text,
          "the cancelled one says so")
    # the spreadsheet: the organisation's rows, as the API writes them
    downloads = tempfile.mkdtemp(prefix="consultd-downloads-")
    c.b.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    c.b.find_element(By.ID, "download-csv").click()
    c.wait(lambda b: "Downloaded consultations-witham-housing-association" in b.find_element(By.ID, "download-status").text,
           "the download said")
    files = c.wait(lambda b: [f for f in os.listdir(downloads) if f.endswith(".csv")], "the downloaded file")
    with open(os.path.join(downloads, files[0]), "rb") as f:
        got = f.read()
    api_csv = c.api("GET", "/v1/consultations.csv?organisation=%s" % org, token=token)
    eq(api_csv.status, 200, api_csv)
    eq(got, b"\xef\xbb\xbf" + api_csv.body, "the file is the API's CSV of the organisation's rows")
    eq(len(got.decode("utf-8-sig").strip().splitlines()), 29, "a header and 28 rows")
    back = c.d.request("POST", "/v1/consultations/import?dry_run=true", token=token, raw=got, ctype="text/csv")
    eq(back.status, 200, back)
    eq(back.json["summary"]["failed"], 0, "imported again as it is, no row fails: %r" % back.json["summary"])
    c.errors()
    # a phone's width
    c.b.set_window_size(390, 844)
    try:
        c.go("#/overlaps")
        c.go("#/consultations")
        c.wait(lambda b: b.find_elements(By.CSS_SELECTOR, "ol.mine li"), "the list at a phone's width")
        c.settle()
        sw, cw = c.b.execute_script("const d = document.documentElement; return [d.scrollWidth, d.clientWidth]")
        check(sw <= cw, "fits a 390-pixel screen (scroll width %d, width %d)" % (sw, cw))
        c.shot("mine-phone")
    finally:
        c.b.set_window_size(1280, 800)
    # a status chosen, then in the address: a shared link
    c.wait(lambda b: len(shown()) == 25, "the list again")
    c.b.execute_script("document.getElementById('mine-status').value = 'cancelled'")
    c.b.find_element(By.XPATH, "//form[contains(@class, 'filters')]//button[text()='Show']").click()
    c.wait(lambda b: b.current_url.endswith("#/consultations?status=cancelled"), "the status in the address")
    c.wait(lambda b: shown() == [want[25]], "the cancelled one alone")
    c.go("#/overlaps")
    c.go("#/consultations?status=cancelled")
    c.wait(lambda b: shown() == [want[25]], "the cancelled one alone, from the address")
    eq(c.b.find_element(By.ID, "mine-status").get_attribute("value"), "cancelled")


@test
def our_consultations_empty_leads_to_the_form_and_the_import(c):
    _, token = c.env.new_org("Birchwood Residents Group", role="partner", kind="vcse")
    c.sign_in(token)
    c.go("#/consultations")
    c.wait(lambda b: "No consultations yet" in b.find_element(By.ID, "main").text, "the empty state")
    c.settle()
    eq([e.get_attribute("href") for e in c.b.find_elements(By.CSS_SELECTOR, "section.empty a")],
       [c.base + "/console/#/consultations/new", c.base + "/console/#/import"], "the two ways to start")
    check(not c.b.find_elements(By.ID, "download-csv"), "nothing to download")
    c.shot("mine-empty")
    c.audit("our consultations, empty")
    c.b.find_element(By.LINK_TEXT, "Plan a consultation").click()
    c.wait(lambda b: b.find_element(By.ID, "title"), "the form")


@test
def a_cancelled_consultation_offers_no_outreach(c):
    r = c.api("POST", "/v1/consultations", {"title": "Parking permits review", "topics": ["transport"],
              "areas": [BOULTHAM], "fieldwork": {"start": "2028-02-01", "end": "2028-02-20"}}, token=c.partner)
    eq(r.status, 201, r)
    cid = r.json["id"]
    eq(c.api("DELETE", "/v1/consultations/" + cid, token=c.partner, headers={"If-Match": r.header("etag")}).status, 200)
    c.sign_in(c.partner)
    c.go("#/consultations/%s" % cid)
    section = c.wait(lambda b: b.find_element(By.XPATH, "//section[h2[@id='pre-h']]"), "the outreach section")
    c.settle()
    check("Cancelled: there is no outreach to send" in section.text, "it says it is cancelled: %r" % section.text)
    check("Clear" not in section.text, "not 'Clear': %r" % section.text)
    main = c.b.find_element(By.ID, "main")
    for label in ("Mark outreach sent", "Edit", "Cancel consultation"):
        check(not main.find_elements(By.XPATH, ".//*[self::button or self::a][normalize-space()='%s']" % label),
              "no %r for a cancelled consultation" % label)
    c.shot("consultation-cancelled")
    c.audit("a cancelled consultation")


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
    check(marked and "open overlap" in marked[0].get_attribute("title"), "an overlapping consultation is marked")
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


IMPORT_HEADER = "external_ref,title,summary,topics,communities,areas,fieldwork_start,fieldwork_end,methods," \
    "engagement_level,expected_participants,contact_name,contact_email,visibility\r\n"


def upload(c, name, data):
    """Chooses a file of these bytes on the import page and checks it."""
    import tempfile
    d = tempfile.mkdtemp(prefix="consultd-upload-")
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    c.css("#csv").send_keys(path)
    c.b.find_element(By.XPATH, "//button[text()='Check the file']").click()


@test
def the_import_refuses_a_windows_1252_file_in_plain_words(c):
    # Excel's "CSV (Comma delimited)": Windows-1252, an en dash (0x96) and a pound sign (0xA3)
    title = "Rent setting \u2013 \u00a35 increase?"
    raw = (IMPORT_HEADER + "RENT-1252,%s,,,,%s,2028-03-01,2028-03-20,,,,,,public\r\n" % (title, BOULTHAM)).encode("cp1252")
    check(b"\x96" in raw and b"\xa3" in raw, "the file holds Windows-1252 bytes")
    c.sign_in(c.partner)
    c.go("#/import")
    upload(c, "rent-1252.csv", raw)
    box = c.wait(lambda b: b.find_elements(By.ID, "refusal"), "the refusal")[0]
    text = box.text
    check("The file was not imported" in text and "not saved as UTF-8" in text, "plain words: %r" % text)
    check("CSV UTF-8 (Comma delimited)" in text and "Save As" in text, "says what to do in Excel: %r" % text)
    check("line 2" in text, "names where: %r" % text)
    eq(c.b.switch_to.active_element.get_attribute("id"), "refusal", "the refusal takes the focus")
    check(not c.b.find_element(By.ID, "confirm").is_displayed() if c.b.find_elements(By.ID, "confirm") else True,
          "nothing to confirm")
    r = c.api("GET", "/v1/consultations?q=%s&limit=200" % urllib.parse.quote("Rent setting"), token=c.partner)
    eq([x for x in r.json["items"] if x.get("external_ref") == "RENT-1252"], [], "nothing stored")
    c.errors()  # the 422 is logged by the browser as a failed resource
    c.shot("import-not-utf8")
    c.audit("the import's refusal")
    # the same text saved as UTF-8 goes through, its characters intact
    upload(c, "rent-utf8.csv", raw.decode("cp1252").encode("utf-8"))
    c.wait(lambda b: "would create" in b.find_element(By.ID, "main").text, "the dry run of the UTF-8 file")


@test
def the_import_gives_the_utf8_advice_once(c):
    raw = (IMPORT_HEADER + "RENT-1252-2,Rent \u2013 \u00a35,,,,%s,2028-03-01,2028-03-20,,,,,,\r\n" % BOULTHAM).encode("cp1252")
    c.sign_in(c.partner)
    c.go("#/import")
    upload(c, "rent-1252-again.csv", raw)
    box = c.wait(lambda b: b.find_elements(By.ID, "refusal"), "the refusal")[0]
    text = box.text
    eq(text.lower().count("csv utf-8"), 1, "the advice once: %r" % text)
    check("line 2" in text, "still names where: %r" % text)
    check("byte" not in text, "no bytes: %r" % text)
    c.errors()


@test
def the_import_names_columns_and_how_rows_are_matched(c):
    c.sign_in(c.partner)
    c.go("#/import")
    intro = c.b.find_element(By.ID, "main").text
    check("Rows are matched by external_ref" not in intro, "no promise the export breaks: %r" % intro)
    check("id column" in intro and "external_ref column" in intro, "says what names a row: %r" % intro)
    f = IMPORT_HEADER + "COL-1,Abbey lanes,,,,Abbey;%s,2028-04-01,2028-03-20,,,,,not-an-email,\r\n" % BOULTHAM
    upload(c, "columns.csv", f.encode())
    c.wait(lambda b: "What the import would do" in b.find_element(By.ID, "main").text, "the dry run")
    row = c.b.find_elements(By.CSS_SELECTOR, "table tbody tr")[0].text
    check("areas column:" in row, "the column, as the spreadsheet names it: %r" % row)
    check("contact_email column:" in row, "the contact's e-mail column: %r" % row)
    check("fieldwork_" in row, "the fieldwork columns: %r" % row)
    for api_field in ("areas[", "contact.", "fieldwork."):
        check(api_field not in row, "no API field %r: %r" % (api_field, row))
    c.shot("import-columns")
    c.errors()


@test
def the_import_template_downloads_with_the_key(c):
    c.sign_in(c.partner)
    c.go("#/import")
    c.settle()
    eq(c.b.execute_script("return [...document.querySelectorAll('a[href^=\"/v1/\"]')].length"), 0,
       "no plain link to the API (it would be sent without the key)")
    c.b.execute_script(
        "window.__saved = [];"
        "const make = URL.createObjectURL;"
        "URL.createObjectURL = b => { window.__saved.push({blob: b}); return make.call(URL, b); };"
        "HTMLAnchorElement.prototype.click = function () {"
        "  if (this.download) window.__saved[window.__saved.length - 1].name = this.download; };")
    c.b.find_element(By.ID, "template").click()
    c.wait(lambda b: "Downloaded consultations-template.csv" in b.find_element(By.ID, "main").text, "the download")
    name, text = c.b.execute_async_script(
        "const done = arguments[arguments.length - 1]; const s = window.__saved[0];"
        "s.blob.text().then(t => done([s.name, t]));")
    eq(name, "consultations-template.csv", "saved under the server's name")
    check(text.startswith("external_ref,title,"), "the template itself, not a 401 problem: %r" % text[:120])
    eq(c.errors(), [], "no failed request")


@test
def the_import_preview_names_every_problem_and_each_overlap(c):
    other = c.api("POST", "/v1/consultations", {
        "title": "Boultham community safety walkabouts", "topics": ["community-safety"],
        "communities": ["general-public"], "areas": [BOULTHAM], "fieldwork": {"start": "2028-03-01", "end": "2028-03-31"}},
        token=c.coord)
    eq(other.status, 201, other)
    f = IMPORT_HEADER + (
        "BRW-1,Boultham street safety survey,,community-safety,general-public,%s,05/03/2028,20/03/2028,,,,,,\r\n"
        "BRW-2,Abbey rents,,,,Abbey,31/02/2027,2027-03-20,,,,,,\r\n" % BOULTHAM)
    c.sign_in(c.partner)
    c.go("#/import")
    upload(c, "plan.csv", f.encode())
    c.wait(lambda b: "What the import would do" in b.find_element(By.ID, "main").text, "the dry run")
    rows = c.b.find_elements(By.CSS_SELECTOR, "table tbody tr")
    eq(len(rows), 2)
    check("Boultham community safety walkabouts" in rows[0].text and "Lincolnshire County Council" in rows[0].text,
          "the overlap names the other consultation and its organisation: %r" % rows[0].text)
    check("31/02/2027 is not a real date: February 2027 has 28 days" in rows[1].text,
          "the date's own problem: %r" % rows[1].text)
    check("areas column" in rows[1].text and ABBEY in rows[1].text, "and the ambiguous area with its choices: %r" % rows[1].text)
    c.b.execute_script("document.querySelector('table').scrollIntoView()")
    c.shot("import-preview")
    c.audit("the import's dry run")
    c.b.find_element(By.ID, "confirm").click()
    c.wait(lambda b: b.find_elements(By.XPATH, "//h2[text()='Imported']"), "the import")
    row = c.b.find_elements(By.CSS_SELECTOR, "table tbody tr")[0]
    see = row.find_element(By.LINK_TEXT, "See the consultation")
    check("/console/#/consultations/" in see.get_attribute("href"), see.get_attribute("href"))
    ov = row.find_element(By.LINK_TEXT, "See the overlap")
    check("/console/#/overlaps/" in ov.get_attribute("href"), ov.get_attribute("href"))
    eq([x for x in row.find_elements(By.TAG_NAME, "a") if x.text.strip().lower() == "open"], [], "no bare 'open' link")
    c.b.execute_script("document.querySelector('table').scrollIntoView()")
    c.shot("import-answer")
    c.audit("the import's answer")
    ov.click()
    c.wait(lambda b: "Boultham community safety walkabouts" in b.find_element(By.ID, "main").text, "the overlap page")


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


def shown_or_asked(c):
    """Waits until the residents' page has answered: a listing's status, or the places to choose from."""
    c.settle()
    c.wait(lambda b: b.find_element(By.ID, "choices").is_displayed() or (
        b.find_element(By.ID, "status").text not in ("", "Loading…")), "the page's answer")
    return c.b.find_element(By.ID, "choices").is_displayed(), c.b.find_element(By.ID, "status").text


@test
def a_resident_keeps_the_place_chosen_whichever_way_it_was_chosen(c):
    plan = public_seed(c)
    submit = lambda: c.b.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()

    def district_listed(how):
        asked, status = shown_or_asked(c)
        check(not asked, "%s: the district is kept, not asked again: %r" % (how, c.b.find_element(By.ID, "choices").text))
        check("district in Lincolnshire" in status, "%s: the district's consultations: %r" % (how, status))
        check(plan["title"] in c.b.find_element(By.ID, "months").text, "%s: listed" % how)
        check(c.b.current_url.endswith("?area=" + LINCOLN), "%s: the address: %s" % (how, c.b.current_url))

    def suggestions():
        opts = c.wait(EC.visibility_of_element_located((By.ID, "area-options")), "the suggestions")
        c.wait(lambda b: "Breckland" in opts.text, "both places called Lincoln suggested")
        return opts

    # with the mouse, in the suggestions; then "Show consultations"
    c.b.get(c.base + "/public/")
    c.settle()
    resident_search(c, "Lincoln")
    suggestions()
    c.settle()  # the list is drawn once more for each answer: the last one's items are clicked
    district = [li for li in c.b.find_elements(By.CSS_SELECTOR, "#area-options li") if "district" in li.text][0]
    district.click()
    c.wait(lambda b: b.current_url.endswith("?area=" + LINCOLN), "the chosen place in the address")
    shown_or_asked(c)
    submit()
    district_listed("chosen with the mouse")
    c.shot("public-mouse-kept")
    # with the keyboard; then the button
    resident_search(c, "Lincoln")
    suggestions()
    box = c.b.find_element(By.ID, "area")
    box.send_keys(Keys.ARROW_DOWN)
    c.wait(lambda b: "district" in b.find_element(By.CSS_SELECTOR, "#area-options li.active").text, "the district highlighted")
    box.send_keys(Keys.ENTER)
    shown_or_asked(c)
    submit()
    district_listed("chosen with the keyboard")
    # from the list of places of one name
    resident_search(c, "Lincoln")
    box.send_keys(Keys.ESCAPE)
    submit()
    c.wait(lambda b: b.find_element(By.ID, "choices").is_displayed(), "the places called Lincoln")
    c.b.find_elements(By.CSS_SELECTOR, "#choice-list a")[0].click()
    shown_or_asked(c)
    submit()
    district_listed("chosen from the list")
    # from the address
    c.b.get(c.base + "/public/?area=" + LINCOLN)
    shown_or_asked(c)
    eq(c.b.find_element(By.ID, "area").get_attribute("value"), "Lincoln")
    submit()
    district_listed("named by the address")
    # typing the name again is a new question: both places are offered
    resident_search(c, "Lincoln").send_keys(Keys.ESCAPE)
    submit()
    c.wait(lambda b: b.find_element(By.ID, "choices").is_displayed(), "the places called Lincoln, asked again")
    c.audit("the residents' page after choosing")


@test
def escape_closes_area_suggestions_for_good(c):
    """Escape before the suggestions' search has answered: its answer must not open the list again,
    where it would cover the button (the residents' page and the console's area picker)."""
    c.b.get(c.base + "/public/")
    c.settle()
    resident_search(c, "Lincoln").send_keys(Keys.ESCAPE)
    time.sleep(1.0)  # the search waits 200 ms for more typing, then answers in a few ms
    check(not c.b.find_element(By.ID, "area-options").is_displayed(), "the residents' suggestions stay closed")
    c.sign_in(c.partner)
    c.go("#/consultations/new")
    area = c.css("#areas-input")
    area.send_keys("Abbey", Keys.ESCAPE)
    time.sleep(1.0)
    check(not c.b.find_element(By.CSS_SELECTOR, "ul.options").is_displayed(), "the console's suggestions stay closed")
    # a choice: the answer for what was typed before it does not open the list either
    area.clear()
    area.send_keys("Birchwo")
    opt = c.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, "ul.options li")), "the suggestions")
    area.send_keys("o", Keys.ARROW_DOWN, Keys.ENTER)
    time.sleep(1.0)
    check(not c.b.find_element(By.CSS_SELECTOR, "ul.options").is_displayed(), "closed after the choice")
    check(opt is not None and "Birchwood" in c.css("ul.chips").text, "the area chosen")


@test
def a_resident_from_a_consultation_link_sees_it_without_signing_in(c):
    plan = public_seed(c)
    # signed out on a page of the same origin that is not the console, whose
    # reads would otherwise go on without the key and be refused 401
    c.b.get(c.base + "/public/")
    c.b.execute_script("sessionStorage.clear()")
    # the calendar event's URL: the consultation's page in the console
    c.b.get(c.base + "/console/#/consultations/" + plan["id"])
    link = c.css("#residents-link")
    eq(link.text, "Not staff? See this consultation on the residents' page")
    eq(link.get_attribute("href"), c.base + "/public/?consultation=" + plan["id"])
    c.shot("signin-consultation")
    c.audit("the sign-in screen at a consultation's address")
    link.click()
    c.wait(lambda b: plan["title"] in b.find_element(By.ID, "months").text, "the consultation on the residents' page")
    eq(len(c.b.find_elements(By.CSS_SELECTOR, "#months li")), 1, "that one consultation")
    # one shared with partners only, one that does not exist, and a broken link: said plainly
    for what, ident in (("partners only", c.county["id"]), ("unknown", "00000000-0000-4000-8000-000000000000"),
                        ("malformed", "not-an-id")):
        c.b.get(c.base + "/public/?consultation=" + urllib.parse.quote(ident))
        c.settle()
        c.wait(lambda b: "not published" in b.find_element(By.ID, "status").text, "%s: the page says so" % what)
        status = c.b.find_element(By.ID, "status").text
        check("Search for your area" in status, "%s: what to do: %r" % (what, status))
        eq(c.b.find_element(By.ID, "months").text, "", "%s: nothing listed" % what)
        check(c.county["title"] not in c.b.find_element(By.TAG_NAME, "body").text, "%s: nothing private" % what)
    c.shot("public-not-published")
    c.audit("the residents' page for a consultation not published")
    # the console's other addresses keep the general link
    c.b.get(c.base + "/console/#/overlaps")
    eq(c.css("#residents-link").text, "Looking for consultations near you? See what is planned")


@test
def the_public_calendar_names_a_page_residents_can_open(c):
    plan = public_seed(c)
    ics = c.d.request("GET", "/public/consultations.ics")
    eq(ics.status, 200)
    text = ics.body.decode().replace("\r\n ", "")
    # its URL is its page in the console (API.md); its description names the residents' page
    url = [l.split("Details: ", 1)[1] for l in text.split("\r\n")
           if l.startswith("DESCRIPTION:") and "Details: " in l and plan["id"] in l]
    eq(len(url), 1, "the consultation's event names the residents' page")
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



def own_pair(c, name, title, area=BOULTHAM, start="2029-02-01", end="2029-02-20"):
    """A new organisation with two overlapping consultations of its own: (org id, its key, [both], the overlap).
    The place and weeks are the caller's own, so that no other test's consultation overlaps them (the
    import test plans Boultham in March 2028, "Our consultations" Lincoln from 2030)."""
    org, key = c.env.new_org(name)
    made = []
    for t in (title + " survey", title + " workshops"):
        r = c.d.request("POST", "/v1/consultations", {"title": t, "topics": ["parks-green-spaces"],
                        "communities": ["parents-families"], "areas": [area], "fieldwork": {"start": start, "end": end}},
                        token=key)
        eq(r.status, 201, "seed %s: %r" % (t, r))
        made.append(r.json)
    ov = [o for o in made[1]["overlaps"] if o["other"]["id"] == made[0]["id"]]
    check(ov, "the two overlap: %r" % made[1]["overlaps"])
    return org, key, made, ov[0]


def words_unbroken(c, node):
    """The words of node's text each within one line box (none broken mid-word)."""
    return c.b.execute_script(
        "const t = arguments[0].firstChild, s = t.textContent, out = [];"
        "let i = 0; for (const w of s.split(' ')) { const r = document.createRange(); r.setStart(t, i);"
        " r.setEnd(t, i + w.length); const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));"
        " if (tops.size > 1) out.push(w); i += w.length + 1; } return out;", node)


@test
def overlap_actions_redraw_the_page_and_its_counts(c):
    org, _key, made, ov = own_pair(c, "Redraw Parish Council", "Riverside play areas")
    c.sign_in(c.coord)
    c.go("#/overlaps?organisation=%s" % org)
    c.settle()
    sel = c.css("#f-organisation")
    eq(c.b.execute_script("return arguments[0].selectedOptions[0].textContent", sel), "Redraw Parish Council",
       "the organisation filter shows the chosen one by name")
    names = c.b.execute_script("return [...arguments[0].options].map(o => o.textContent)", sel)
    check("Lincolnshire County Council" in names and not any(len(n) == 36 and n.count("-") == 4 for n in names),
          "organisations offered by name, never by id: %r" % names)
    # read in one step: the list is drawn again after each action, so a found element may go stale
    counts = lambda: c.b.execute_script("const u = document.querySelector('ul.counts'); return u ? u.innerText : ''")
    c.wait(lambda b: "open: 1" in counts() and "dismissed: 0" in counts(), "the counts before")
    caption = c.css("table.overlaps caption").text
    check(caption.startswith("1 open overlap,"), "one overlap, in the singular: %r" % caption)
    row = c.css("tr[data-overlap='%s']" % ov["id"])
    same = row.find_element(By.XPATH, ".//div[text()='same organisation']")
    eq(words_unbroken(c, same), [], "'same organisation' wraps between words only")
    c.shot("overlaps-same-organisation")
    row.find_element(By.XPATH, ".//button[text()='Dismiss']").click()
    c.wait(lambda b: "open: 0" in counts() and "dismissed: 1" in counts(), "the counts read again after Dismiss")
    text = c.b.find_element(By.ID, "main").text
    check("Saved: dismissed." in text and "is now dismissed" in text, "the change said: %r" % text[:400])
    check(not c.b.find_elements(By.CSS_SELECTOR, "tr[data-overlap='%s']" % ov["id"]), "the row left the open list")
    check("No open overlaps match these filters." in text, "the list redrawn")
    eq(c.b.execute_script("return document.activeElement.closest('#inbox-status') !== null"), True,
       "the focus moves to what happened")
    c.settle()
    c.shot("overlaps-after-dismiss")
    c.audit("overlap inbox after a dismissal")
    # on the overlap's own page, both consultations stay after an action
    c.go("#/overlaps/%s" % ov["id"])
    c.wait(lambda b: "Coordinated" in b.find_element(By.ID, "main").text, "the overlap page")
    c.b.find_element(By.XPATH, "//button[text()='Coordinated']").click()
    c.wait(lambda b: "Saved: coordinated." in b.find_element(By.ID, "main").text, "the saved message")
    sides = c.b.find_element(By.XPATH, "//dt[text()='Consultations']/following-sibling::dd").text
    for m in made:
        check(m["title"] in sides, "the consultations row still names %r: %r" % (m["title"], sides))
    status = c.b.find_element(By.XPATH, "//dt[text()='Status']/following-sibling::dd").text
    eq(status.lower(), "coordinated", "the new status shown")
    c.b.find_element(By.XPATH, "//button[text()='Reopen']").click()
    c.wait(lambda b: "Saved: open." in b.find_element(By.ID, "main").text, "reopened")
    sides = c.b.find_element(By.XPATH, "//dt[text()='Consultations']/following-sibling::dd").text
    check(all(m["title"] in sides for m in made), "still both after a second action: %r" % sides)
    c.shot("overlap-after-actions")
    c.audit("overlap page after actions")


@test
def outreach_without_a_reason_names_the_reason_box(c):
    _org, key, made, _ov = own_pair(c, "Reason Parish Council", "Meadow path", area=ABBEY, start="2028-05-01",
                                    end="2028-05-20")
    c.sign_in(key)
    c.go("#/consultations/%s" % made[0]["id"])
    c.settle()
    text = c.b.find_element(By.ID, "main").text
    check("Not clear: 1 open overlap, 0 exceeded fatigue buckets." in text, "counts in words: %r" % text[:600])
    c.b.find_element(By.XPATH, "//button[text()='Mark outreach sent']").click()
    link = c.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".outreach .error-summary a[href='#override']")),
                  "the error naming the reason box")
    check(link.text.startswith("Reason to go ahead anyway (required when not clear):"), "named as the page names it: %r"
          % link.text)
    summary = c.b.find_element(By.CSS_SELECTOR, ".outreach .error-summary").text
    check("One or more fields are invalid" not in summary and "override_reason" not in summary,
          "no generic sentence, no API name: %r" % summary)
    eq(c.b.execute_script("return document.activeElement.id"), "override", "the reason box has the focus")
    eq(c.b.execute_script("return [document.getElementById('override').getAttribute('aria-invalid'),"
                          " document.getElementById('override').closest('.field').classList.contains('field-error')]"),
       ["true", True], "and is marked")
    c.errors()  # the 422 is logged as a failed resource
    c.shot("outreach-reason-missing")
    c.audit("consultation page with the reason missing")
    c.css("#override").send_keys("Agreed with the other team by phone")
    c.b.find_element(By.XPATH, "//button[text()='Mark outreach sent']").click()
    # the page reloads: read it by script, as an element found before the reload goes stale
    c.wait(lambda b: "Outreach sent" in b.execute_script(
        "const m = document.getElementById('main'); return m ? m.textContent : ''"), "outreach marked")


@test
def area_filters_complete_names_on_every_page(c):
    c.sign_in(c.coord)

    def complete(page, field_id):
        c.go(page)
        c.settle()
        box = c.css("#" + field_id)
        eq(box.get_attribute("role"), "combobox", "%s %s completes" % (page, field_id))
        box.send_keys("Boultha")
        opt = c.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, "#%s-list li" % field_id)), "suggestions")
        check("Boultham" in opt.text and BOULTHAM in opt.text, "the suggestion names the ward: %r" % opt.text)
        box.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
        c.wait(lambda b: "Boultham" in box.find_element(By.XPATH, "..").find_element(By.CSS_SELECTOR, "ul.chips").text,
               "the chosen area")
    complete("#/overlaps", "f-area")
    c.b.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    c.wait(lambda b: "area=%s" % BOULTHAM in b.current_url, "the filter in the address")
    c.settle()
    c.audit("overlap inbox filtered by a chosen area")
    complete("#/feeds", "feed-areas")
    c.css("#label").send_keys("Boultham feed")
    c.b.find_element(By.XPATH, "//button[text()='Create feed']").click()
    c.wait(lambda b: "Feed created" in b.find_element(By.ID, "main").text, "the feed made")
    feeds = [f for f in c.api("GET", "/v1/feeds?limit=200").json["items"] if f["label"] == "Boultham feed"]
    eq([f["filters"].get("areas") for f in feeds], [[BOULTHAM]], "the chosen area is the feed's filter")
    complete("#/alerts", "areas")
    c.settle()
    c.audit("alerts page with an area chosen")


@test
def email_alerts_say_what_happens_without_a_mail_server(c):
    c.sign_in(c.coord)
    c.go("#/alerts")
    c.settle()
    check(not c.css("#kind-hint").is_displayed(), "no word of e-mail for a webhook")
    c.b.execute_script("const k = document.getElementById('kind'); k.value = 'email'; k.dispatchEvent(new Event('change'))")
    check("mail server" in c.css("#kind-hint").text, "choosing e-mail says it needs a mail server")
    address = "no-mail-%d@example.org" % int(time.time() * 1000)
    c.css("#target").send_keys(address)
    c.b.find_element(By.CSS_SELECTOR, "form.alert-form button[type=submit]").click()
    c.wait(lambda b: "Subscribed" in b.find_element(By.ID, "main").text, "the subscription made")
    made = c.b.find_element(By.CSS_SELECTOR, ".notice").text
    check("E-mail is not set up on this server yet" in made, "the API's warning shown: %r" % made)
    check("Signing secret" not in made, "no webhook secret for an e-mail address: %r" % made)
    sub = [s for s in c.api("GET", "/v1/subscriptions?limit=200").json["items"] if s["email"] == address][0]
    card = "section[data-subscription='%s']" % sub["id"]
    c.css(card).find_element(By.XPATH, ".//button[text()='Send a test ping']").click()
    c.wait(lambda b: "Test ping not delivered" in b.find_element(By.CSS_SELECTOR, card).text,
           "the ping's outcome on the page")
    said = c.b.find_element(By.CSS_SELECTOR, card).text
    check("E-mail is not set up on this server yet: ask whoever runs consultd to configure it (smtp.url)" in said
          and "will try again" in said, "why, in words: %r" % said)
    check("smtp.url is not set" not in said, "not the server's own words: %r" % said)
    c.b.find_element(By.CSS_SELECTOR, card).find_element(By.XPATH, ".//button[text()='Deliveries']").click()
    cells = c.wait(lambda b: b.find_elements(By.CSS_SELECTOR, card + " table.deliveries tbody tr td"), "the deliveries")
    row = [x.text for x in cells[:5]]
    check(row[0] and row[1] == "Test ping", "when and which event: %r" % row)
    check("will try again" in row[2] and "E-mail is not set up on this server yet" in row[2],
          "the result and its reason: %r" % row)
    eq(row[3], "no answer", "no status code from a receiver")
    check(row[4] and row[4] != "none", "the next retry: %r" % row)
    c.settle()
    c.shot("alerts-email-without-mail-server")
    c.audit("alerts page with an e-mail subscription's deliveries")


def labels_fixture(c, year, n, title):
    """An organisation of its own with n consultations in Abbey asking the general public about libraries,
    fieldwork from 1 March of year; and the words the register has for those codes."""
    _, token = c.env.new_org("Labels %d %s" % (year, title), role="partner")
    made = []
    for i in range(n):
        r = c.d.request("POST", "/v1/consultations", dict(
            title="%s %d" % (title, i), topics=["libraries"], communities=["general-public"], areas=[ABBEY],
            fieldwork={"start": "%d-03-%02d" % (year, 1 + i), "end": "%d-03-%02d" % (year, 20 + i)}), token=token)
        eq(r.status, 201, "fixture: %r" % r)
        made.append(r.json)
    words = {}
    for v, code in (("topics", "libraries"), ("communities", "general-public")):
        words[code] = [t["label"] for t in c.api("GET", "/v1/vocabularies/" + v).json["items"] if t["code"] == code][0]
    a = c.api("GET", "/v1/areas/" + ABBEY).json
    words[ABBEY] = "%s (%s)" % (a["name"], a["parents"][0]["name"])
    return token, made, words


@test
def the_consultation_page_shows_labels_names_and_fatigue_in_words(c):
    token, made, words = labels_fixture(c, 2033, 4, "Abbey library hours")
    pre = c.api("GET", "/v1/consultations/%s/preflight" % made[-1]["id"], token=token).json
    over = [b for b in pre["fatigue"] if b["community"] == "general-public" and b["month"] == "2033-03"]
    check(over, "the fixture exceeds the fatigue limit in March 2033: %r" % pre["fatigue"])
    b = over[0]
    c.sign_in(token)
    c.go("#/consultations/%s" % made[-1]["id"])
    c.wait(lambda b: b.find_elements(By.CSS_SELECTOR, "ul.fatigue-over li"), "the exceeded buckets")
    c.settle()
    rows = {r.find_element(By.TAG_NAME, "dt").text: r.find_element(By.TAG_NAME, "dd").text
            for r in c.b.find_elements(By.CSS_SELECTOR, "dl.summary .summary-row")}
    eq(rows["Topics"], words["libraries"], "the topic's label")
    eq(rows["Communities"], words["general-public"], "the community's label")
    eq(rows["Areas"], words[ABBEY], "the area's name, with its council")
    lines = [li.text for li in c.b.find_elements(By.CSS_SELECTOR, "ul.fatigue-over li")]
    want = ("%s, %s, March 2033: %d consultations with fieldwork in the %d days up to 31 March 2033, "
            "more than the %d allowed") % (words[ABBEY], words["general-public"], b["count"], b["window_days"], b["max_asks"])
    check(want in lines, "the bucket in words, as the rule counts: %r, want %r" % (lines, want))
    text = c.b.find_element(By.ID, "main").text
    for code in (ABBEY, "general-public", "2033-03", "against at most"):
        check(code not in text, "no %r on the page: %r" % (code, text[:800]))
    c.shot("consultation-labels")
    c.audit("consultation page with labels")
    c.b.set_window_size(390, 800)
    try:
        c.settle()
        eq(c.b.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), True,
           "nothing wider than a 390 px screen")
        c.shot("consultation-labels-390")
    finally:
        c.b.set_window_size(1280, 800)


@test
def an_overlap_says_why_in_words_with_the_figures_folded_away(c):
    token, made, words = labels_fixture(c, 2034, 2, "Abbey reading rooms")
    o = [x for x in c.api("GET", "/v1/consultations/%s/overlaps" % made[1]["id"], token=token).json["items"]
         if x["other"]["id"] == made[0]["id"]][0]
    full = c.api("GET", "/v1/overlaps/%s" % o["id"], token=token).json
    c.sign_in(token)
    c.go("#/overlaps/%s" % o["id"])
    c.css("ul.reasons li")
    c.settle()
    why = [li.text for li in c.b.find_elements(By.CSS_SELECTOR, "ul.reasons li")]
    days = full["reasons"]["fieldwork_overlap_days"]
    for line in ("Same topic: %s" % words["libraries"], "Same community: %s" % words["general-public"],
                 "Same area: %s" % words[ABBEY], "Fieldwork overlaps by %d days" % days):
        check(line in why, "%r among the reasons: %r" % (line, why))
    check(any(w.startswith("Titles and summaries") for w in why), "the texts' likeness in words: %r" % why)
    level = c.b.find_element(By.CSS_SELECTOR, ".level-words").text
    check(len(level.split()) > 3, "the level in words: %r" % level)
    details = c.b.find_element(By.CSS_SELECTOR, "details.score-details")
    eq(details.get_attribute("open"), None, "the figures are folded away")
    shown = c.b.find_element(By.ID, "main").text
    for raw in ("score %s" % full["score"], "Text similarity", ABBEY, "general-public"):
        check(raw not in shown, "no %r in what is shown: %r" % (raw, shown[:800]))
    details.find_element(By.TAG_NAME, "summary").send_keys(Keys.ENTER)  # by keyboard
    c.wait(lambda b: details.get_attribute("open") is not None, "the details opened")
    check(str(full["score"]) in details.text, "the score is there on asking: %r" % details.text)
    c.shot("overlap-in-words")
    c.audit("overlap page in words")
    c.go("#/overlaps?status=open&organisation=%s" % made[0]["organisation"]["id"])
    row = c.wait(lambda b: [r for r in b.find_elements(By.CSS_SELECTOR, "table.overlaps tbody tr")
                            if r.get_attribute("data-overlap") == o["id"]], "the overlap in the inbox")[0]
    check("Same topic: %s" % words["libraries"] in row.text and ABBEY not in row.text
          and "general-public" not in row.text, "the inbox row says why in words: %r" % row.text)
    c.audit("overlap inbox in words")


@test
def the_fatigue_page_says_what_each_cell_counts(c):
    token, made, words = labels_fixture(c, 2035, 1, "Abbey mobile library")
    c.sign_in(token)
    c.go("#/fatigue?area=%s&community=general-public&from=2035-03&months=3" % ABBEY)
    cap = c.css("table.heatmap caption").text
    api = c.api("GET", "/v1/fatigue?area=%s&community=general-public&from=2035-03-01&to=2035-05-01" % ABBEY).json["items"]
    days = api[0]["window_days"]
    check("Asks per month" not in cap and words["general-public"] in cap and "general-public" not in cap
          and "%d days up to the month's last day" % days in cap, "the caption says what is counted: %r" % cap)
    hint = c.css("p.fatigue-rule").text
    check("not only those in that month" in hint, "the rolling window in plain words: %r" % hint)
    cell = c.css("td[data-area='%s'][data-month='2035-05'] button" % ABBEY)
    label = cell.get_attribute("aria-label")
    may = [b for b in api if b["month"] == "2035-05"][0]
    check("%d days up to 31 May 2035" % days in label and label.startswith("%s, May 2035: %d consultation" % (
        c.api("GET", "/v1/areas/" + ABBEY).json["name"], may["count"])), "the cell says what it counts: %r" % label)
    cell.click()
    c.wait(lambda b: "Abbey mobile library 0" in b.find_element(By.CSS_SELECTOR, ".cell-detail").text,
           "a March consultation counted in May")
    check("fieldwork on any day in the %d days up to 31 May 2035" % days in c.css(".cell-detail").text,
          "the cell's window in words")
    c.shot("fatigue-window")
    c.audit("fatigue page in words")


@test
def alerts_name_events_in_words(c):
    c.sign_in(c.coord)
    c.go("#/alerts")
    c.settle()
    eq([c.b.find_element(By.CSS_SELECTOR, "label[for='ev-%s']" % e).text.split(" (")[0]
        for e in ("overlap.detected", "overlap.updated", "fatigue.exceeded")],
       ["New overlap", "Overlap changed", "Too many asks"], "the events in words")
    address = "events-words-%d@example.org" % int(time.time() * 1000)
    c.b.execute_script("const k = document.getElementById('kind'); k.value = 'email'; k.dispatchEvent(new Event('change'))")
    c.css("#target").send_keys(address)
    c.b.find_element(By.CSS_SELECTOR, "form.alert-form button[type=submit]").click()
    sub = c.wait(lambda b: [s for s in c.api("GET", "/v1/subscriptions?limit=200").json["items"]
                            if s["email"] == address], "the subscription made")[0]
    card = c.css("section[data-subscription='%s'] p.meta" % sub["id"]).text
    check("New overlap, Overlap changed, Too many asks" in card and "overlap.detected" not in card,
          "the card names the events in words: %r" % card)
    c.audit("alerts page with events in words")


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
