// app.js - the console's shell: sign-in, navigation by role, and the router
// on location.hash (#/overlaps, #/consultations/{id}, ...). Each page is a
// module with render(main, params, ctx); ctx.me says whose key is signed in.
import { api, ApiError, clearKey, getKey, setKey } from "./api.js";
import { clear, el, heading } from "./dom.js";
import * as overlaps from "./pages/overlaps.js";
import * as consultation from "./pages/consultation.js";
import * as form from "./pages/form.js";
import * as calendar from "./pages/calendar.js";
import * as fatigue from "./pages/fatigue.js";
import * as importPage from "./pages/import.js";
import * as alerts from "./pages/alerts.js";
import * as feeds from "./pages/feeds.js";
import * as mine from "./pages/mine.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let me = null;

const NAV = [
  ["#/overlaps", "Overlaps", () => true],
  ["#/consultations", "Our consultations", () => true],
  ["#/consultations/new", "New consultation", () => true],
  ["#/calendar", "Calendar", () => true],
  ["#/fatigue", "Fatigue", () => true],
  ["#/import", "Import", () => true],
  ["#/alerts", "Alerts", m => m.role !== "partner"],
  ["#/feeds", "Feeds", () => true],
];

const ROUTES = [
  [/^#\/overlaps\/([0-9a-f-]{36})$/, overlaps.detail],
  [/^#\/overlaps$/, overlaps.inbox],
  [/^#\/consultations$/, mine.render],
  [/^#\/consultations\/new$/, form.create],
  [/^#\/consultations\/([0-9a-f-]{36})\/edit$/, form.edit],
  [/^#\/consultations\/([0-9a-f-]{36})$/, consultation.show],
  [/^#\/calendar$/, calendar.render],
  [/^#\/fatigue$/, fatigue.render],
  [/^#\/import$/, importPage.render],
  [/^#\/alerts$/, alerts.render],
  [/^#\/feeds$/, feeds.render],
];

function renderNav() {
  clear(nav);
  clear(who);
  if (!me) return;
  const here = location.hash.split("?")[0];
  nav.appendChild(el("ul", {}, NAV.filter(([, , may]) => may(me)).map(([href, label]) =>
    el("li", {}, el("a", { href, "aria-current": here === href ? "page" : null }, label)))));
  who.appendChild(el("span", {}, `${me.organisation.name} · ${me.role}`));
  who.appendChild(el("button", { type: "button", class: "link", onclick: signOut }, "Sign out"));
}

function signOut() {
  clearKey();
  me = null;
  renderNav();
  location.hash = "#/signin";
  showSignIn();
}

function showSignIn(message) {
  clear(main);
  document.title = "Sign in – consultd";
  const input = el("input", { id: "key", name: "key", type: "password", autocomplete: "off", spellcheck: "false",
    class: "wide", "aria-describedby": "key-hint" });
  const error = el("p", { id: "key-error", class: "error-message", role: "alert" }, message || "");
  const formEl = el("form", { class: "signin", novalidate: true, onsubmit: async e => {
    e.preventDefault();
    const k = input.value.trim();
    if (!k) { error.textContent = "Enter your API key"; input.focus(); return; }
    setKey(k);
    try {
      me = (await api("GET", "/v1/me")).data;
    } catch (err) {
      clearKey();
      error.textContent = err instanceof ApiError && err.status === 401
        ? "This API key was not recognised. Check it, or ask your administrator for a new one."
        : `Could not sign in: ${err.message}`;
      input.focus();
      return;
    }
    if (!location.hash || location.hash === "#/signin") location.hash = "#/overlaps";
    else route();
  } },
  el("label", { for: "key" }, "API key"),
  el("p", { id: "key-hint", class: "hint" }, "The key your administrator gave you, starting cdk_. It is kept in this browser tab only, until you sign out or close the tab."),
  error, input, el("div", {}, el("button", { type: "submit" }, "Sign in")));
  // residents who arrive here need no key: the public page is theirs, and a
  // consultation's address (a calendar event's link) leads to that consultation there
  const one = location.hash.match(/^#\/consultations\/([0-9a-f-]{36})(?:\/edit)?(?:\?.*)?$/);
  const residents = one
    ? el("a", { href: `/public/?consultation=${encodeURIComponent(one[1])}`, id: "residents-link" },
      "Not staff? See this consultation on the residents' page")
    : el("a", { href: "/public/", id: "residents-link" }, "Looking for consultations near you? See what is planned");
  main.appendChild(el("div", { class: "narrow" }, heading("Sign in to consultd"),
    el("p", { class: "residents" }, residents),
    el("p", {}, "Signing in is for councils and partner organisations that plan consultations."), formEl));
  input.focus();
}

async function route() {
  if (!getKey()) { renderNav(); showSignIn(); return; }
  if (!me) {
    try { me = (await api("GET", "/v1/me")).data; } catch (err) { clearKey(); renderNav(); showSignIn(); return; }
  }
  const hash = location.hash.split("?")[0] || "#/overlaps";
  if (hash === "#/signin" || hash === "#" || hash === "") { location.hash = "#/overlaps"; return; }
  renderNav();
  for (const [re, page] of ROUTES) {
    const m = hash.match(re);
    if (!m) continue;
    clear(main);
    try {
      await page(main, m.slice(1), { me });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) { signOut(); return; }
      clear(main);
      main.appendChild(heading(err instanceof ApiError && err.status === 404 ? "Not found" : "Something went wrong"));
      main.appendChild(el("p", {}, err.message));
    }
    const h1 = main.querySelector("h1");
    if (h1) { document.title = `${h1.textContent} – consultd`; h1.focus({ preventScroll: true }); }
    return;
  }
  clear(main);
  main.appendChild(heading("Page not found"));
  main.appendChild(el("p", {}, "There is no such page. ", el("a", { href: "#/overlaps" }, "Go to the overlaps.")));
}

window.addEventListener("hashchange", route);
route();
