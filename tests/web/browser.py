#!/usr/bin/env python3
"""Drives the web pages of `recibo serve` in Debian's headless Chromium (through
chromedriver and selenium), the way a person would: sign in, switch languages, filter,
page, search, open transactions, download receipts, exports and receipt archives, sign out.

Two modes:

  browser.py --binary BIN --fixture DIR
      The test run of tests/web.rs: starts `BIN serve` on DIR/data.csv (roles.json there
      names which row plays which part), runs every scenario in one browser session, prints
      PASS/FAIL per scenario and exits 1 when any failed.

  browser.py --binary BIN --screenshots DIR
      Starts `BIN serve` on samples/transactions.csv and writes DIR/web-signin.png,
      DIR/web-transactions.png (October's refunds) and DIR/web-transaction.png (a refund's
      page) in a 1280x900 window.

Expected values come from the fixture (read with Python's csv module), `BIN columns --json`
and the shipped message files; what the pages download is read with csv, zipfile, openpyxl
and pdftotext, never with recibo.
"""

import argparse
import csv
import datetime
import hashlib
import http.client
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import zipfile
from zoneinfo import ZoneInfo

os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium-manager go online

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LANGS = ["en", "zh-CN", "pt-BR"]
PAGE_SIZE = 50
# Text spreadsheets run as a formula; the CSV export puts a `'` before it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class Failure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def equal(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}:\n  expected {expected!r}\n  got      {actual!r}")


# --- the server ------------------------------------------------------------------------


class Server:
    """`recibo serve` on one data file, in its own folder, logging to server.log there."""

    def __init__(self, binary, folder, data, token):
        self.folder = folder
        self.log_path = os.path.join(folder, "server.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECIBO_")}
        env["RECIBO_SERVE_TOKEN"] = token
        env["RUST_LOG"] = "info"
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "-i", data],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
        )
        line = [b""]
        reader = threading.Thread(target=lambda: line.__setitem__(0, self.process.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(60)
        text = line[0].decode("utf-8", "replace").strip()
        if not text.startswith("listening on http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the server did not say where it listens ({text!r}):\n{self.log()}")
        self.base = text[len("listening on "):]
        self.host, self.port = urllib.parse.urlsplit(self.base).netloc.split(":")

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()

    def request(self, method, path, cookie=None, body=None, headers=None):
        """One plain HTTP request (no redirects followed): (status, headers, body)."""
        connection = http.client.HTTPConnection(self.host, int(self.port), timeout=60)
        all_headers = dict(headers or {})
        if cookie:
            all_headers["Cookie"] = cookie
        if body is not None:
            all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            all_headers.setdefault("Origin", self.base)
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, response.headers, data

    def location(self, headers):
        location = headers.get("Location", "")
        return location[len(self.base):] if location.startswith(self.base) else location


# --- the browser -----------------------------------------------------------------------


def start_browser(downloads, accept_language):
    profile = tempfile.mkdtemp(prefix="recibo-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    # Without the background-networking flags Chromium keeps reaching for Google's servers,
    # which a closed network refuses; a fresh profile keeps runs independent.
    for flag in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
        f"--lang={accept_language.split(',')[0]}",
    ]:
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": downloads,
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            # A PDF is downloaded, not opened in the viewer, so its bytes can be read.
            "plugins.always_open_pdf_externally": True,
            "intl.accept_languages": accept_language,
            "safebrowsing.enabled": False,
        },
    )
    # The console shows Content-Security-Policy violations: the page's own or injected code.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        driver.execute_cdp_cmd(
            "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads}
        )
    except Exception:
        pass  # the prefs above are enough on Chromium builds without this command
    driver._recibo_profile = profile
    return driver


def stop_browser(driver):
    profile = getattr(driver, "_recibo_profile", None)
    try:
        driver.quit()
    finally:
        if profile:
            shutil.rmtree(profile, ignore_errors=True)


# --- expected values -------------------------------------------------------------------


def read_fixture(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f, strict=True))


def columns(binary):
    out = subprocess.run([binary, "columns", "--json"], capture_output=True, check=True)
    data = json.loads(out.stdout)
    labels = {c["key"]: c["headers"] for c in data["columns"]}
    types = {c["key"]: c["type"] for c in data["columns"]}
    sets = data["sets"]
    if isinstance(sets, list):
        sets = {s["name"]: s["columns"] for s in sets}
    else:
        sets = {name: (s["columns"] if isinstance(s, dict) else s) for name, s in sets.items()}
    return labels, types, sets


def receipt_title(lang):
    """The `receipt-title` message of a language, from the shipped message files."""
    with open(os.path.join(REPO, "locales", lang, "receipt.ftl"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("receipt-title"):
                rest = line[len("receipt-title"):].strip()
                if rest.startswith("="):
                    return rest[1:].strip()
    raise RuntimeError(f"locales/{lang}/receipt.ftl has no receipt-title")


def pdf_text(path):
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True)
    check(out.returncode == 0, f"pdftotext {path}: {out.stderr.decode(errors='replace')}")
    # pdftotext may break lines anywhere; compare without whitespace.
    return "".join(out.stdout.decode("utf-8").split())


def squeeze(text):
    return "".join(text.split())


def unguard(cell):
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS) else cell


def midnight(day, zone):
    return datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time(), tzinfo=ZoneInfo(zone)
    )


def keeps(row, f):
    """Whether the filter `f` (the form's values) keeps a fixture row, by the documented
    rules: from inclusive, to exclusive, bare dates at midnight in tz (UTC by default)."""
    for field, key in [
        ("type", "transactionType"),
        ("status", "status"),
        ("currency", "transactionCurrency"),
        ("method", "paymentMethodType"),
        ("acquirer", "acquirer"),
    ]:
        if f.get(field) and row[key].upper() != f[field].upper():
            return False
    zone = f.get("tz") or "UTC"
    at = datetime.datetime.fromisoformat(row["paymentTime"])
    if f.get("from") and at < midnight(f["from"], zone):
        return False
    if f.get("to") and at >= midnight(f["to"], zone):
        return False
    return True


# --- the walk --------------------------------------------------------------------------


class Walk:
    def __init__(self, args, server, driver, downloads, token, labels, types, sets):
        self.server = server
        self.driver = driver
        self.downloads = downloads
        self.token = token
        self.labels = labels
        self.types = types
        self.sets = sets
        self.work = tempfile.mkdtemp(prefix="recibo-web-")
        if args.fixture:
            self.rows = read_fixture(os.path.join(args.fixture, "data.csv"))
            with open(os.path.join(args.fixture, "roles.json"), encoding="utf-8") as f:
                self.roles = json.load(f)
            self.by_id = {r["transactionId"]: r for r in self.rows}
        self.session = None  # the session cookie's value, once signed in
        self.csp_seen = []

    # helpers

    def url(self, path):
        return self.server.base + path

    def path(self):
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return parts.path

    def is_transaction_link(self, url, tid, what):
        """A link to the page of transaction `tid`: /t?id=ID&type=TYPE, the type one of the
        fixture's rows with that ID has."""
        parts = urllib.parse.urlsplit(url)
        equal(parts.path, "/t", f"{what}: the path of {url!r}")
        query = urllib.parse.parse_qs(parts.query)
        equal(query.get("id"), [tid], f"{what}: the id of {url!r}")
        types = {r["transactionType"] for r in self.rows if r["transactionId"] == tid}
        check(
            query.get("type", [None])[0] in types,
            f"{what}: the type of {url!r} is none of {sorted(types)}",
        )

    def query(self):
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.driver.current_url).query)

    def wait(self, condition, what, timeout=15):
        try:
            return WebDriverWait(self.driver, timeout).until(lambda d: condition())
        except TimeoutException:
            raise Failure(f"timed out waiting for {what} (at {self.driver.current_url})")

    def wait_loaded(self, old_html=None):
        """Waits for a navigation a click started: the old document gone, the new complete."""
        if old_html is not None:
            self.wait(lambda: self._stale(old_html), "the page to change")
        self.wait(
            lambda: self.driver.execute_script("return document.readyState") == "complete",
            "the page to load",
        )
        self.page_checks()

    def _stale(self, element):
        try:
            element.tag_name
            return False
        except Exception:
            return True

    def go(self, path):
        self.driver.get(self.url(path))
        self.wait_loaded()

    def click(self, element):
        html = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        self.wait_loaded(html)

    def page_checks(self):
        """What every page must satisfy: no token in it, a supported language, and no
        script run or blocked against the policy."""
        source = self.driver.page_source
        check(self.token not in source, f"{self.driver.current_url}: the token is in the page")
        lang = self.html_lang()
        check(lang in LANGS, f"{self.driver.current_url}: <html lang={lang!r}>")
        check(
            self.driver.execute_script("return typeof window.__pwned") == "undefined",
            f"{self.driver.current_url}: data ran as script (window.__pwned is set)",
        )
        for entry in self.driver.get_log("browser"):
            message = entry.get("message", "")
            if "Content Security Policy" in message or "Content-Security-Policy" in message:
                self.csp_seen.append(f"{self.driver.current_url}: {message}")

    def html_lang(self):
        return self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang")

    def one(self, css):
        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        check(len(found) == 1, f"{self.driver.current_url}: {len(found)} elements match {css!r}")
        return found[0]

    def text_of(self, element):
        return (element.get_attribute("textContent") or "").strip()

    def table_rows(self, table_id):
        """(data-id, href of the first cell's link) of every body row of a table."""
        return self.driver.execute_script(
            """
            const t = document.getElementById(arguments[0]);
            if (!t) return null;
            return Array.from(t.querySelectorAll('tbody tr')).map(tr => {
              const first = tr.cells.length ? tr.cells[0].querySelector('a') : null;
              return [tr.getAttribute('data-id'), first ? first.getAttribute('href') : null,
                      tr.textContent];
            });
            """,
            table_id,
        )

    def switch_language(self, lang):
        button = self.one(f'#lang-switch button[name="lang"][value="{lang}"]')
        form = self.one("#lang-switch")
        equal(form.get_attribute("method").lower(), "post", "the language switch's method")
        self.click(button)
        equal(self.html_lang(), lang, f"<html lang> after choosing {lang}")

    def sign_in(self):
        if self.session and self.driver.get_cookie("recibo_session"):
            return
        self.go("/signin")
        field = self.one("#token")
        field.clear()
        field.send_keys(self.token)
        self.click(self.one("#signin-submit"))
        equal(self.path(), "/", "where signing in leads")
        cookie = self.driver.get_cookie("recibo_session")
        check(cookie is not None, "no recibo_session cookie after signing in")
        self.session = cookie["value"]

    def clear_downloads(self):
        for name in os.listdir(self.downloads):
            os.remove(os.path.join(self.downloads, name))

    def download(self, start, what):
        """Runs `start` (a click) and waits for exactly one finished download; returns
        its path."""
        self.clear_downloads()
        start()
        deadline = time.time() + 60
        last = None
        while time.time() < deadline:
            names = os.listdir(self.downloads)
            partial = [n for n in names if n.endswith(".crdownload") or n.startswith(".")]
            done = [n for n in names if n not in partial]
            if done and not partial:
                path = os.path.join(self.downloads, done[0])
                size = os.path.getsize(path)
                if size > 0 and size == last:
                    check(len(done) == 1, f"{what}: several downloads {done}")
                    return path
                last = size
            time.sleep(0.2)
        raise Failure(f"{what}: no download finished within 60 s (folder has {os.listdir(self.downloads)})")

    def set_filters(self, values):
        """Fills the filter form with `values` (every other field emptied) and submits it."""
        form = self.one("#filters")
        equal(form.get_attribute("method").lower(), "get", "the filter form's method")
        for name in ["from", "to"]:
            field = self.one(f'#filters input[name="{name}"]')
            equal(field.get_attribute("type"), "date", f"the {name} field's type")
            # Typed dates depend on the browser's locale; the value property does not.
            self.driver.execute_script("arguments[0].value = arguments[1]", field, values.get(name, ""))
        for name in ["tz", "currency", "method", "acquirer"]:
            field = self.one(f'#filters input[name="{name}"]')
            field.clear()
            if values.get(name):
                field.send_keys(values[name])
        for name in ["type", "status"]:
            Select(self.one(f'#filters select[name="{name}"]')).select_by_value(values.get(name, ""))
        self.click(self.one("#filters-submit"))
        equal(self.path(), "/", "the filtered view's path")
        query = self.query()
        for name, value in values.items():
            if value:
                equal(query.get(name), [value], f"the filtered view's URL keeps {name}")

    def walk_pages(self, what):
        """The transaction IDs of the table from the current page through the last, following
        #next-page; every page but the last holds exactly 50 rows."""
        seen = []
        pages = 0
        while True:
            rows = self.table_rows("transactions")
            check(rows is not None, f"{what}: no #transactions table at {self.driver.current_url}")
            for data_id, href, _ in rows:
                check(data_id, f"{what}: a row without data-id")
                self.is_transaction_link(href, data_id, f"{what}: the first cell's link of row {data_id}")
            seen.extend(r[0] for r in rows)
            pages += 1
            check(pages < 20, f"{what}: more than 20 pages")
            links = self.driver.find_elements(By.CSS_SELECTOR, "#next-page")
            check(len(rows) <= PAGE_SIZE, f"{what}: {len(rows)} rows on one page")
            if not links:
                return seen, pages
            equal(len(rows), PAGE_SIZE, f"{what}: rows on a page that has a next one")
            equal(links[0].get_attribute("rel"), "next", f"{what}: rel of #next-page")
            href = links[0].get_attribute("href")
            if pages % 2:
                self.click(links[0])
            else:
                # A next-page URL is a bookmark: opened afresh it gives the same page.
                self.go(href[len(self.server.base):] if href.startswith(self.server.base) else href)

    def expected_ids(self, values):
        return sorted(r["transactionId"] for r in self.rows if keeps(r, values))

    def successful_refunds(self, values):
        return sorted(
            r["transactionId"]
            for r in self.rows
            if keeps(r, values) and r["transactionType"] == "REFUND" and r["status"] == "SUCCESS"
        )

    # scenarios

    def signed_out_pages_lead_to_signin(self):
        status, headers, _ = self.server.request("GET", "/")
        equal(status, 303, "GET / signed out")
        equal(self.server.location(headers), "/signin", "where GET / signed out leads")
        self.go("/")
        equal(self.path(), "/signin", "the browser's page after opening / signed out")
        form = self.one("form#signin")
        equal(form.get_attribute("method").lower(), "post", "the sign-in form's method")
        equal(urllib.parse.urlsplit(form.get_attribute("action")).path, "/signin", "its action")
        equal(self.one("#token").get_attribute("type"), "password", "the token field's type")
        equal(self.one("#token").get_attribute("name"), "token", "the token field's name")
        # The browser asks for Portuguese first (intl.accept_languages).
        equal(self.html_lang(), "pt-BR", "<html lang> from Accept-Language pt-BR")

    def a_wrong_token_is_refused(self):
        self.go("/signin")
        self.one("#token").send_keys("not-the-token-" + secrets.token_hex(8))
        self.click(self.one("#signin-submit"))
        error = self.one("#signin-error")
        equal(error.tag_name, "p", "the error's element")
        equal(error.get_attribute("role"), "alert", "the error's role")
        check(self.text_of(error), "the sign-in error says nothing")
        self.one("form#signin")
        check(self.driver.get_cookie("recibo_session") is None, "a wrong token got a session")

    def the_language_switch_changes_and_keeps_the_language(self):
        self.go("/signin")
        start = self.html_lang()
        label = {}
        for lang in ["en", "zh-CN", "pt-BR", "en"]:
            self.switch_language(lang)
            label[lang] = self.text_of(self.one("#signin-submit"))
            check(self.one("#signin-submit").is_displayed(), "the sign-in button is hidden")
        check(
            len({label["en"], label["zh-CN"], label["pt-BR"]}) == 3,
            f"the sign-in button reads the same in two languages: {label}",
        )
        # Remembered: the browser still asks for Portuguese, the page stays English.
        self.go("/signin")
        equal(self.html_lang(), "en", f"<html lang> on a fresh load after choosing en (was {start})")
        equal(self.text_of(self.one("#signin-submit")), label["en"], "the sign-in button on reload")

    def signing_in_opens_the_transactions(self):
        self.session = None
        self.sign_in()
        cookie = self.driver.get_cookie("recibo_session")
        equal(cookie.get("httpOnly"), True, "the session cookie is HttpOnly")
        equal(cookie.get("sameSite"), "Strict", "the session cookie's SameSite")
        equal(cookie.get("path"), "/", "the session cookie's Path")
        check(self.token not in cookie["value"], "the session cookie holds the token")
        check(
            self.driver.execute_script("return document.cookie").find("recibo_session") < 0,
            "scripts can read the session cookie",
        )
        self.one("table#transactions")
        self.one("form#signout")

    def every_transaction_is_on_one_of_the_pages(self):
        self.sign_in()
        self.go("/")
        headers = [self.text_of(th) for th in self.driver.find_elements(By.CSS_SELECTOR, "#transactions thead th")]
        check(headers and all(headers), f"the table's headers: {headers}")
        seen, pages = self.walk_pages("all transactions")
        equal(len(seen), len(set(seen)), "rows listed twice")
        equal(sorted(seen), sorted(self.by_id), "the transactions on all pages")
        expected_pages = -(-len(self.rows) // PAGE_SIZE)
        equal(pages, expected_pages, "pages of all transactions")

    def filters_keep_what_they_name(self):
        self.sign_in()
        self.go("/")
        cases = [
            # The São Paulo day decides: 01:00 UTC on 1 November is still October there.
            {"type": "REFUND", "status": "SUCCESS", "from": "2026-10-01", "to": "2026-11-01",
             "tz": "America/Sao_Paulo"},
            {"type": "REFUND", "status": "SUCCESS", "from": "2026-10-01", "to": "2026-11-01",
             "tz": "UTC"},
            {"currency": "BRL", "method": "PIX", "acquirer": "Adyen"},
            {"status": "PROCESSING"},
            {"type": "PAYMENT"},
        ]
        for values in cases:
            self.set_filters(values)
            seen, _ = self.walk_pages(f"filter {values}")
            expected = self.expected_ids(values)
            check(expected, f"the fixture has no row for {values}")
            equal(len(seen), len(set(seen)), f"rows listed twice under {values}")
            equal(sorted(seen), expected, f"rows kept by {values}")
            if values.get("type") == "PAYMENT":
                check(len(expected) > 2 * PAGE_SIZE, "the payments fit on two pages")
            self.go("/")
        # The zone makes a difference, or the first two cases test nothing.
        check(self.expected_ids(cases[0]) != self.expected_ids(cases[1]),
              "the fixture does not tell the zones apart")

    def search_finds_by_any_id(self):
        self.sign_in()
        roles = self.roles
        ok = self.by_id[roles["refund_ok"]]
        cases = [
            # A payment's own ID opens it, although its refunds name it as their original.
            (roles["payment"], roles["payment"]),
            (ok["transactionRequestId"], ok["transactionId"]),
            (ok["acquirerReferenceNo"], ok["transactionId"]),
            (ok["orderId"], ok["transactionId"]),
            (ok["transactionId"], ok["transactionId"]),
        ]
        for query, target in cases:
            self.go("/")
            form = self.one("form#search")
            equal(form.get_attribute("method").lower(), "get", "the search form's method")
            field = self.one("#q")
            equal(field.get_attribute("type"), "search", "the search field's type")
            field.send_keys(query)
            self.click(self.one("#search-submit"))
            self.is_transaction_link(self.driver.current_url, target, f"searching {query!r}")
            status, headers, _ = self.server.request(
                "GET", "/search?q=" + urllib.parse.quote(query), cookie=f"recibo_session={self.session}"
            )
            equal(status, 303, f"GET /search?q={query}")
            self.is_transaction_link(self.server.location(headers), target, f"where /search?q={query} leads")

        shared = roles["shared_order"]
        self.go("/search?q=" + urllib.parse.quote(shared))
        ids = [r[0] for r in self.table_rows("matches") or []]
        expected = sorted(r["transactionId"] for r in self.rows if shared in r.values())
        check(len(expected) > 1, "the shared order is on one row only")
        equal(sorted(ids), expected, f"the matches of {shared}")

        missing = "NO-SUCH-ID-" + secrets.token_hex(4)
        check(not any(missing in r.values() for r in self.rows), "the made-up ID exists")
        self.go("/search?q=" + missing)
        self.one("#not-found")
        status, _, _ = self.server.request(
            "GET", "/search?q=" + missing, cookie=f"recibo_session={self.session}"
        )
        equal(status, 404, f"GET /search?q={missing}")

    def fields_as_they_are_named(self, tid, lang):
        """The #fields rows of transaction `tid` against the fixture and the labels of `lang`."""
        row = self.by_id[tid]
        cells = self.driver.execute_script(
            """
            return Array.from(document.querySelectorAll('#fields tr[data-key]')).map(tr => [
              tr.getAttribute('data-key'),
              tr.querySelector('th') ? tr.querySelector('th').textContent.trim() : null,
              tr.querySelector('td') ? tr.querySelector('td').textContent.trim() : null]);
            """
        )
        shown = {key: (th, td) for key, th, td in cells}
        check(shown, f"/t/{tid}: no #fields rows")
        for key, (th, _) in shown.items():
            check(key in self.labels, f"/t/{tid}: unknown field key {key!r}")
            equal(th, self.labels[key][lang], f"/t/{tid}: the label of {key} in {lang}")
        for key, value in row.items():
            if not value:
                continue
            check(key in shown, f"/t/{tid}: field {key} ({value!r}) is not shown")
            td = shown[key][1]
            if self.types.get(key) in ("text", "currency"):
                equal(td, value, f"/t/{tid}: {key}")
            elif self.types.get(key) == "amount":
                digits = value.lstrip("+-")
                check(digits in squeeze(td).replace(",", "."), f"/t/{tid}: {key} {td!r} lacks {digits}")
            else:
                check(td, f"/t/{tid}: {key} is empty")

    def related(self):
        return sorted(r[0] for r in (self.table_rows("related-transactions") or []))

    def transaction_pages_show_fields_and_relations(self):
        self.sign_in()
        roles = self.roles
        self.go(f"/t/{roles['payment']}")
        self.fields_as_they_are_named(roles["payment"], self.html_lang())
        refunds = sorted(r["transactionId"] for r in self.rows
                         if r["originalTransactionId"] == roles["payment"])
        equal(len(refunds), 2, "refunds of the payment in the fixture")
        equal(self.related(), refunds, "the payment's related transactions")
        self.one("#no-receipt")
        equal(len(self.driver.find_elements(By.CSS_SELECTOR, "a.receipt")), 0, "receipt links on a payment")

        self.go(f"/t/{roles['refund_ok']}")
        self.fields_as_they_are_named(roles["refund_ok"], self.html_lang())
        check(roles["payment"] in self.related(), "the refund does not list its payment")
        check(roles["refund_ok"] not in self.related(), "the refund lists itself")
        equal(len(self.driver.find_elements(By.CSS_SELECTOR, "#no-receipt")), 0,
              "#no-receipt on a successful refund")
        links = {a.get_attribute("data-lang"): a.get_attribute("href")
                 for a in self.driver.find_elements(By.CSS_SELECTOR, "a.receipt")}
        equal(sorted(links), sorted(LANGS), "the receipt links' languages")
        for lang, href in links.items():
            parts = urllib.parse.urlsplit(href)
            equal(parts.path, f"/v1/refunds/{roles['refund_ok']}/receipt.pdf", f"the {lang} receipt link")
            equal(urllib.parse.parse_qs(parts.query).get("lang"), [lang], f"the {lang} link's lang")

        self.go(f"/t/{roles['refund_failed']}")
        self.fields_as_they_are_named(roles["refund_failed"], self.html_lang())
        check(self.text_of(self.one("#no-receipt")), "#no-receipt gives no reason")
        equal(len(self.driver.find_elements(By.CSS_SELECTOR, "a.receipt")), 0, "receipt links on a failed refund")
        check(roles["payment"] in self.related(), "the failed refund does not list its payment")

        self.go(f"/t/{roles['processing']}")
        self.fields_as_they_are_named(roles["processing"], self.html_lang())
        check(self.text_of(self.one("#no-receipt")), "#no-receipt gives no reason")
        equal(self.related(), [], "related transactions of a payment without refunds")

    def receipts_download_in_each_language(self):
        self.sign_in()
        refund = self.roles["refund_ok"]
        self.go(f"/t/{refund}")
        for lang in LANGS:
            link = self.one(f'a.receipt[data-lang="{lang}"]')
            path = self.download(link.click, f"the {lang} receipt")
            check(path.endswith(".pdf"), f"the {lang} receipt is saved as {os.path.basename(path)}")
            with open(path, "rb") as f:
                check(f.read(5) == b"%PDF-", f"the {lang} receipt is not a PDF")
            text = pdf_text(path)
            check(refund in text, f"the {lang} receipt does not show {refund}")
            title = squeeze(receipt_title(lang))
            check(title in text, f"the {lang} receipt lacks its title {title!r}")
            equal(self.path(), f"/t/{refund}", "the page after a download")

    def hostile_text_stays_text(self):
        self.sign_in()
        for tid in self.roles["hostile"]:
            text = self.by_id[tid]["orderDescription"]
            check("<" in text, f"{tid}'s description is not hostile")
            self.go(f"/t/{tid}")
            td = self.one('#fields tr[data-key="orderDescription"] td')
            equal(self.text_of(td), text, f"/t/{tid}: the description as shown")
            self.no_markup_from_data(f"/t/{tid}")
        self.go("/?type=REFUND")
        rows = {r[0]: r[2] for r in self.table_rows("transactions")}
        for tid in self.roles["hostile"]:
            check(tid in rows, f"/?type=REFUND does not list {tid}")
            check(self.by_id[tid]["orderDescription"] in rows[tid],
                  f"/?type=REFUND: the description of {tid} is not shown as text")
        self.no_markup_from_data("/?type=REFUND")

    def no_markup_from_data(self, where):
        found = self.driver.execute_script(
            """
            return {
              scripts: Array.from(document.scripts).filter(s => s.textContent.includes('__pwned')).length,
              images: document.querySelectorAll('img[onerror], img[src="x"]').length,
              pwned: typeof window.__pwned,
            };
            """
        )
        equal(found, {"scripts": 0, "images": 0, "pwned": "undefined"}, f"{where}: markup from the data")

    def export_form(self, values):
        """Opens the filtered view `values` and returns the export form."""
        self.go("/?" + urllib.parse.urlencode(values))
        form = self.one("form#export")
        equal(form.get_attribute("method").lower(), "get", "the export form's method")
        equal(urllib.parse.urlsplit(form.get_attribute("action")).path, "/export", "its action")
        for name, value in values.items():
            hidden = self.driver.find_elements(By.CSS_SELECTOR, f'#export input[type="hidden"][name="{name}"]')
            check([h.get_attribute("value") for h in hidden] == [value],
                  f"the export form does not carry {name}={value}")
        return form

    def fill_export(self, set_name, fmt, header_lang, bom, order="", cols=None):
        Select(self.one("#export-set")).select_by_value(set_name)
        Select(self.one('#export select[name="format"]')).select_by_value(fmt)
        Select(self.one('#export select[name="header_lang"]')).select_by_value(header_lang)
        box = self.one('#export input[type="checkbox"][name="bom"]')
        if box.is_selected() != bom:
            self.driver.execute_script("arguments[0].click()", box)
        boxes = self.driver.find_elements(By.CSS_SELECTOR, '#export input[type="checkbox"][name="col"]')
        listed = [b.get_attribute("value") for b in boxes]
        check(set(listed) >= set(self.sets["default"]), f"column checkboxes: {listed}")
        for b in boxes:
            wanted = cols is not None and b.get_attribute("value") in cols
            if b.is_selected() != wanted:
                self.driver.execute_script("arguments[0].click()", b)
        order_field = self.one("#export-order")
        order_field.clear()
        if order:
            order_field.send_keys(order)
        return listed

    def read_csv_download(self, path):
        with open(path, "rb") as f:
            data = f.read()
        text = data.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True))
        return data, rows

    def check_export_rows(self, header_keys, body, values, what, reader):
        """Every row the filter keeps, once, with the fixture's values in its columns."""
        expected = self.expected_ids(values)
        check("transactionId" in header_keys, f"{what}: transactionId not exported")
        at = header_keys.index("transactionId")
        equal(sorted(r[at] for r in body), expected, f"{what}: exported transactions")
        for r in body:
            fixture = self.by_id[r[at]]
            for key, cell in zip(header_keys, r):
                reader(key, cell, fixture, what)

    def csv_cell(self, key, cell, fixture, what):
        value = fixture.get(key, "")
        if self.types.get(key) in ("text", "currency"):
            if value.startswith(FORMULA_TRIGGERS):
                check(cell.startswith("'"), f"{what}: {key} {cell!r} is not guarded")
            equal(unguard(cell), value, f"{what}: {key} of {fixture['transactionId']}")
        elif self.types.get(key) == "amount" and value:
            equal(cell, value, f"{what}: {key} of {fixture['transactionId']}")
        elif key == "paymentTime":
            at = datetime.datetime.fromisoformat(fixture["paymentTime"])
            equal(datetime.datetime.fromisoformat(cell), at, f"{what}: the instant of {fixture['transactionId']}")

    def xlsx_cell(self, key, cell, fixture, what):
        value = fixture.get(key, "")
        if self.types.get(key) in ("text", "currency"):
            equal(cell or "", value, f"{what}: {key} of {fixture['transactionId']}")
        elif self.types.get(key) == "amount" and value:
            equal(cell, float(value), f"{what}: {key} of {fixture['transactionId']}")

    def exports_download_the_view(self):
        self.sign_in()
        view = {"type": "REFUND", "status": "SUCCESS", "from": "2026-10-01", "to": "2026-11-01",
                "tz": "America/Sao_Paulo"}

        # Chosen columns, in the order the form lists them, Portuguese headers, a BOM.
        self.export_form(view)
        wanted = ["orderDescription", "transactionAmountValue", "paymentTime", "transactionId"]
        listed = self.fill_export("custom", "csv", "pt-BR", True, cols=wanted)
        keys = [k for k in listed if k in wanted]
        path = self.download(self.one("#export-submit").click, "the custom CSV export")
        equal(os.path.basename(path), "transactions.csv", "the CSV export's name")
        data, rows = self.read_csv_download(path)
        check(data.startswith(b"\xef\xbb\xbf"), "the CSV export asked with bom has no BOM")
        equal(rows[0], [self.labels[k]["pt-BR"] for k in keys], "the custom export's header")
        self.check_export_rows(keys, rows[1:], view, "custom CSV", self.csv_cell)

        # An order typed in wins over the set; a formula-like description is guarded.
        refunds = {"type": "REFUND"}
        self.export_form(refunds)
        order = ["transactionAmountValue", "transactionId", "orderDescription", "originalTransactionId"]
        self.fill_export("reference", "csv", "en", False, order=",".join(order))
        path = self.download(self.one("#export-submit").click, "the ordered CSV export")
        data, rows = self.read_csv_download(path)
        check(not data.startswith(b"\xef\xbb\xbf"), "a BOM the form did not ask for")
        equal(rows[0], [self.labels[k]["en"] for k in order], "the ordered export's header")
        self.check_export_rows(order, rows[1:], refunds, "ordered CSV", self.csv_cell)
        check(any(unguard(r[2]) != r[2] for r in rows[1:]), "no guarded cell in the refunds' export")

        # A named set as XLSX with Chinese headers, read by openpyxl.
        import openpyxl

        self.export_form(refunds)
        self.fill_export("accounting", "xlsx", "zh-CN", False)
        path = self.download(self.one("#export-submit").click, "the XLSX export")
        equal(os.path.basename(path), "transactions.xlsx", "the XLSX export's name")
        sheet = openpyxl.load_workbook(path).worksheets[0]
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        keys = self.sets["accounting"]
        equal(cells[0], [self.labels[k]["zh-CN"] for k in keys], "the XLSX export's header")
        for row in sheet.iter_rows(min_row=2):
            for c in row:
                check(c.data_type != "f", f"a formula in the XLSX export: {c.value!r}")
        self.check_export_rows(keys, cells[1:], refunds, "XLSX", self.xlsx_cell)

        # The everyday set of another view.
        view = {"currency": "BRL", "method": "PIX", "acquirer": "Adyen"}
        self.export_form(view)
        self.fill_export("default", "csv", "zh-CN", False)
        path = self.download(self.one("#export-submit").click, "the default CSV export")
        _, rows = self.read_csv_download(path)
        keys = self.sets["default"]
        equal(rows[0], [self.labels[k]["zh-CN"] for k in keys], "the default export's header")
        self.check_export_rows(keys, rows[1:], view, "default CSV", self.csv_cell)

    def receipt_archives_hold_the_views_refunds(self):
        self.sign_in()
        view = {"type": "REFUND", "from": "2026-10-01", "to": "2026-11-01", "tz": "America/Sao_Paulo"}
        self.go("/?" + urllib.parse.urlencode(view))
        form = self.one("form#zip")
        equal(form.get_attribute("method").lower(), "get", "the archive form's method")
        equal(urllib.parse.urlsplit(form.get_attribute("action")).path, "/v1/receipts.zip", "its action")
        for name, value in view.items():
            hidden = self.driver.find_elements(By.CSS_SELECTOR, f'#zip input[type="hidden"][name="{name}"]')
            check([h.get_attribute("value") for h in hidden] == [value],
                  f"the archive form does not carry {name}={value}")
        for box in self.driver.find_elements(By.CSS_SELECTOR, '#zip input[type="checkbox"][name="lang"]'):
            if not box.is_selected():
                self.driver.execute_script("arguments[0].click()", box)
        boxes = [b.get_attribute("value") for b in
                 self.driver.find_elements(By.CSS_SELECTOR, '#zip input[type="checkbox"][name="lang"]')]
        equal(sorted(boxes), sorted(LANGS), "the archive's language boxes")
        path = self.download(self.one("#zip-submit").click, "the receipts archive")
        equal(os.path.basename(path), "receipts.zip", "the archive's name")

        expected = {(r, lang) for r in self.successful_refunds(view) for lang in LANGS}
        check(len(expected) >= 6, "the view has too few successful refunds")
        in_view = set(self.expected_ids(view))
        with zipfile.ZipFile(path) as archive:
            check(archive.testzip() is None, "a damaged member in the archive")
            names = archive.namelist()
            check("manifest.csv" in names, f"no manifest.csv in {names}")
            reader = csv.DictReader(
                io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"), newline=""), strict=True)
            manifest = list(reader)
            equal(reader.fieldnames,
                  ["refund_id", "language", "file", "bytes", "sha256", "status", "reason"],
                  "the manifest's columns")
            listed = set()
            for entry in manifest:
                check(entry["refund_id"] in in_view, f"the manifest lists {entry['refund_id']}, not in the view")
                if not entry["file"]:
                    check(entry["reason"], f"the manifest skips {entry['refund_id']} without a reason")
                    check((entry["refund_id"], entry["language"]) not in expected,
                          f"a successful refund skipped: {entry}")
                    continue
                pdf = archive.read(entry["file"])
                equal(len(pdf), int(entry["bytes"]), f"the size of {entry['file']}")
                equal(hashlib.sha256(pdf).hexdigest(), entry["sha256"].lower(), f"the SHA-256 of {entry['file']}")
                check(pdf.startswith(b"%PDF-"), f"{entry['file']} is not a PDF")
                listed.add((entry["refund_id"], entry["language"]))
            equal(sorted(listed), sorted(expected), "receipts in the archive")
            pdfs = sorted(n for n in names if n.lower().endswith(".pdf"))
            equal(pdfs, sorted(e["file"] for e in manifest if e["file"]), "the archive's PDFs and the manifest")
            entry = next(e for e in manifest if e["file"] and e["language"] == "zh-CN")
            one = os.path.join(self.work, "one.pdf")
            with open(one, "wb") as f:
                f.write(archive.read(entry["file"]))
        text = pdf_text(one)
        check(entry["refund_id"] in text, f"{entry['file']} does not show {entry['refund_id']}")
        check(squeeze(receipt_title("zh-CN")) in text, f"{entry['file']} is not in Chinese")

    def pages_follow_the_chosen_language(self):
        self.sign_in()
        tid = self.roles["refund_ok"]
        self.go("/")
        english = [self.text_of(th) for th in self.driver.find_elements(By.CSS_SELECTOR, "#transactions thead th")]
        en_labels = {v["en"]: k for k, v in self.labels.items()}
        for lang in ["zh-CN", "pt-BR"]:
            self.go("/")
            self.switch_language(lang)
            equal(self.path(), "/", f"the page after choosing {lang}")
            shown = [self.text_of(th) for th in self.driver.find_elements(By.CSS_SELECTOR, "#transactions thead th")]
            equal(len(shown), len(english), f"table headers in {lang}")
            for en, other in zip(english, shown):
                if en in en_labels:
                    equal(other, self.labels[en_labels[en]][lang], f"the {en!r} header in {lang}")
            self.go(f"/t/{tid}")
            equal(self.html_lang(), lang, f"<html lang> on another page after choosing {lang}")
            self.fields_as_they_are_named(tid, lang)
        self.go("/")
        self.switch_language("en")
        check(any(h in en_labels for h in english), f"no header of the table is a column label: {english}")

    def signing_out_ends_the_session(self):
        self.sign_in()
        self.go("/")
        old = self.session
        form = self.one("form#signout")
        equal(form.get_attribute("method").lower(), "post", "the sign-out form's method")
        self.click(self.one("#signout-submit"))
        equal(self.path(), "/signin", "the page after signing out")
        self.go("/")
        equal(self.path(), "/signin", "/ after signing out")
        cookie = f"recibo_session={old}"
        status, headers, _ = self.server.request("GET", "/", cookie=cookie)
        equal(status, 303, "GET / with the old cookie")
        equal(self.server.location(headers), "/signin", "where / with the old cookie leads")
        status, _, _ = self.server.request("GET", "/v1/transactions", cookie=cookie)
        equal(status, 401, "GET /v1/transactions with the old cookie")
        # The old cookie put back into the browser opens nothing either.
        self.driver.add_cookie({"name": "recibo_session", "value": old, "path": "/", "httpOnly": True})
        self.go(f"/t/{self.roles['refund_ok']}")
        equal(self.path(), "/signin", "a transaction page with the old cookie")
        self.session = None

    def the_policy_blocked_nothing(self):
        check(not self.csp_seen, "Content-Security-Policy reports in the console:\n  " + "\n  ".join(self.csp_seen))

    def the_log_holds_no_token(self):
        log = self.server.log()
        check(log.strip(), "the server logged nothing")
        check(self.token not in log, "the token is in the server's log")


SCENARIOS = [
    "signed_out_pages_lead_to_signin",
    "a_wrong_token_is_refused",
    "the_language_switch_changes_and_keeps_the_language",
    "signing_in_opens_the_transactions",
    "every_transaction_is_on_one_of_the_pages",
    "filters_keep_what_they_name",
    "search_finds_by_any_id",
    "transaction_pages_show_fields_and_relations",
    "receipts_download_in_each_language",
    "hostile_text_stays_text",
    "exports_download_the_view",
    "receipt_archives_hold_the_views_refunds",
    "pages_follow_the_chosen_language",
    "signing_out_ends_the_session",
    "the_policy_blocked_nothing",
    "the_log_holds_no_token",
]


def run_tests(args):
    labels, types, sets = columns(args.binary)
    token = "browser-" + secrets.token_hex(16)
    downloads = tempfile.mkdtemp(prefix="recibo-downloads-")
    server = None
    driver = None
    walk = None
    failed = []
    try:
        server = Server(args.binary, args.fixture, "data.csv", token)
        driver = start_browser(downloads, "pt-BR,pt;q=0.9")
        walk = Walk(args, server, driver, downloads, token, labels, types, sets)
        only = set(args.only.split(",")) if args.only else None
        for name in SCENARIOS:
            if only and name not in only:
                continue
            started = time.time()
            try:
                getattr(walk, name)()
                print(f"PASS {name} ({time.time() - started:.1f} s)", flush=True)
            except Exception as e:
                failed.append(name)
                where = driver.current_url if driver else "?"
                print(f"FAIL {name} ({time.time() - started:.1f} s) at {where}", flush=True)
                detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
                print("  " + detail.replace("\n", "\n  "), flush=True)
    finally:
        if driver:
            stop_browser(driver)
        if server:
            server.stop()
        shutil.rmtree(downloads, ignore_errors=True)
        if walk:
            shutil.rmtree(walk.work, ignore_errors=True)
    if failed:
        log = server.log()
        print(f"--- server log (last 60 lines) ---\n" + "\n".join(log.splitlines()[-60:]))
        print(f"{len(failed)} of {len(SCENARIOS)} scenarios failed: {', '.join(failed)}")
        return 1
    print(f"all {len(SCENARIOS)} scenarios passed")
    return 0


def take_screenshots(args):
    """The README's pictures, from the shipped samples, in English."""
    out = os.path.abspath(args.screenshots)
    os.makedirs(out, exist_ok=True)
    samples = os.path.join(REPO, "samples", "transactions.csv")
    refund = next(
        r["transactionId"]
        for r in read_fixture(samples)
        if r["transactionType"] == "REFUND" and r["status"] == "SUCCESS"
    )
    token = "screens-" + secrets.token_hex(16)
    folder = tempfile.mkdtemp(prefix="recibo-screens-")
    downloads = tempfile.mkdtemp(prefix="recibo-downloads-")
    server = None
    driver = None
    try:
        server = Server(args.binary, folder, samples, token)
        driver = start_browser(downloads, "en-US,en;q=0.9")
        driver.set_window_size(1280, 900)

        def shot(path, name):
            driver.get(server.base + path)
            WebDriverWait(driver, 15).until(
                lambda d: d.execute_script("return document.readyState") == "complete"
            )
            target = os.path.join(out, name)
            driver.save_screenshot(target)
            print(f"{target}: {os.path.getsize(target)} bytes")

        shot("/signin", "web-signin.png")
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.ID, "signin-submit").click()
        WebDriverWait(driver, 15).until(lambda d: d.get_cookie("recibo_session"))
        # The README shows October's refunds.
        shot("/?" + urllib.parse.urlencode({"type": "REFUND", "from": "2026-10-01", "to": "2026-11-01"}),
             "web-transactions.png")
        shot(f"/t/{refund}", "web-transaction.png")
    finally:
        if driver:
            stop_browser(driver)
        if server:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(REPO, "target", "release", "recibo"),
                        help="the recibo binary (default: target/release/recibo)")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--fixture", help="folder with data.csv and roles.json: run the tests")
    mode.add_argument("--screenshots", metavar="DIR", help="write the README's screenshots to DIR")
    parser.add_argument("--only", help="comma-separated scenario names (tests only)")
    args = parser.parse_args()
    # The server runs in a folder of its own, so a relative path would not find the binary.
    args.binary = os.path.abspath(args.binary)
    for program in ["chromium", "chromedriver"]:
        if not shutil.which(program):
            print(f"{program} is not on PATH: run tests/run.sh, which installs it", file=sys.stderr)
            return 2
    return run_tests(args) if args.fixture else take_screenshots(args)


if __name__ == "__main__":
    sys.exit(main())
