#!/usr/bin/env python3
"""`make demo`: plays the whole fan journey against the stack `make run` started, and prints
what happened at each step.

  1. S-360 (the simulator) gets a new web customer; the initial import brings her in without a
     password and mails her a set-your-password link (read from the local mailbox).
  2. She opens the link and chooses a password.
  3. She opens the ticket shop: it sends her to our sign-in page, she signs in, and the shop
     shows her signed in (its OIDC client read our userinfo and linked her SSO id).
  4. "Grant access": from our side, /ticketshop sends her to the shop again, signed in silently.
  5. She changes her phone number on our profile page; the worker writes it back to S-360.
  6. S-360 changes her last name; its webhook brings the change into our database.
  7. S-360 merges a second customer into another contact: his session stops working.
  8. S-360 anonymises her; her session at our identity provider stops working at once and no
     table of our database keeps any of her personal data.
  9. The contacts table is wiped and `sync-worker replay` rebuilds it identically from the
     `contacts.log` stream.
 10. A new fan, unknown to S-360, goes from the shop to "Create an account", confirms her
     address from the mail, and lands back at the shop signed in; the shop creates her contact
     and the worker attaches her account to it.

Only the standard library: a tiny browser (cookies kept per host, redirects followed by hand)
stands in for the user; with --browser, steps 3 and 10 also run in headless Chromium
(tests/browser/shop.mjs, tests/browser/signup.mjs).
Exits non-zero when a step does not do what it should. `--help` lists the options.
"""

import argparse
import email
import email.policy
import glob
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Cargo's output directory: $CARGO_TARGET_DIR when set (a relative one is taken from the
# repository root, as the shell scripts that run cargo there do), else target/.
TARGET_DIR = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR") or "target")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies per host (Secure ones too: browsers treat loopback as a secure context)."""

    def __init__(self):
        self.cookies = {}
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, method, url, form=None, follow=True):
        for _ in range(15):
            host = urllib.parse.urlsplit(url).netloc
            data = urllib.parse.urlencode(form).encode() if form is not None else None
            request = urllib.request.Request(url, data=data, method=method)
            jar = self.cookies.setdefault(host, {})
            if jar:
                request.add_header("cookie", "; ".join(f"{k}={v}" for k, v in jar.items()))
            try:
                response = self.opener.open(request, timeout=15)
                status, headers, body = response.status, response.headers, response.read().decode()
            except urllib.error.HTTPError as error:
                status, headers, body = error.code, error.headers, error.read().decode(errors="replace")
            for header in headers.get_all("set-cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if "max-age=0" in header.lower() or value == "":
                    jar.pop(name, None)
                else:
                    jar[name] = value
            location = headers.get("location")
            if follow and status in (301, 302, 303, 307) and location:
                url = urllib.parse.urljoin(url, location)
                method, form = "GET", None
                continue
            return status, url, body
        raise RuntimeError("too many redirects")

    def get(self, url, follow=True):
        return self.request("GET", url, follow=follow)

    def post(self, url, form, follow=True):
        return self.request("POST", url, form=form, follow=follow)


class Form(html.parser.HTMLParser):
    """The first form of a page: its action and its fields' current values."""

    def __init__(self, page):
        super().__init__()
        self.action, self.fields, self.done = None, {}, False
        self._select = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "form" and self.action is None:
            self.action = attrs.get("action", "")
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.fields[attrs["name"]] = attrs.get("value", "on")
            else:
                self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.done = True
        elif tag == "select":
            self._select = None


def visible_text(page):
    page = re.sub(r"(?s)<(style|script|head)[^>]*>.*?</\1>", " ", page)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def step(number, text):
    print(f"\n{number}. {text}", flush=True)


def say(text):
    print(f"   {text}", flush=True)


def admin(sim, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{sim}/admin{path}", data=data, method=method)
    request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read().decode())


def wait_for(what, probe, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.5)
    raise SystemExit(f"   gave up waiting for {what} after {timeout} s")


def psql(database_url, sql):
    return subprocess.run(["psql", database_url, "-AtqX", "-c", sql], capture_output=True, text=True, check=True).stdout.strip()


def mailed_link(mailbox, recipient, page="/password/reset"):
    """The newest mail to `recipient` carrying a link to `page`: its subject and the link."""
    for path in sorted(glob.glob(os.path.join(mailbox, "new", "*")), key=os.path.getmtime, reverse=True):
        with open(path, "rb") as file:
            message = email.message_from_binary_file(file, policy=email.policy.default)
        if recipient.lower() not in str(message["to"]).lower():
            continue
        body = message.get_body(preferencelist=("plain",)).get_content()
        match = re.search(r"https?://\S+" + re.escape(page) + r"\?token=[\w-]+\S*", body)
        if match:
            return str(message["subject"]), match.group(0)
    return None


def new_customer(sim, tag, first, last):
    address = f"{first.lower()}.{tag}@example.org"
    created = admin(sim, "POST", "/contacts", {
        "contactNumber": f"77{uuid.uuid4().int % 10**8:08d}",
        "individualContact": {
            "firstname": first, "lastname": last, "email": address, "languageCode": "en",
            "cellPhoneNumber": "+41790000000", "role": "PUBLIC", "hasLogin": True,
        },
        "addresses": [{"main": True, "street1": "Quai du Mont-Blanc 1", "zipCode": "1201", "town": "Geneva", "countryCode": "CH"}],
    })
    return created["contact_number"], address


def choose_password(browser, link):
    _, _, page = browser.get(link)
    form = Form(page)
    password = f"demo-{uuid.uuid4().hex}"
    form.fields.update(password=password, repeat=password)
    status, _, page = browser.post(urllib.parse.urljoin(link, form.action), form.fields)
    if status != 200:
        raise SystemExit(f"   the set-password page answered {status}: {visible_text(page)[:200]}")
    return password, visible_text(page)


def sign_in_at_gateway(browser, gateway, address, password):
    _, url, page = browser.get(f"{gateway}/login?return_to=%2Fprofile")
    form = Form(page)
    form.fields.update(email=address, password=password)
    status, _, _ = browser.post(urllib.parse.urljoin(url, form.action), form.fields)
    return status


def snapshot(database_url):
    """Our contacts: every column of contact data and its version (not the row's own timestamps,
    nor the event id that broke a tie between identical payloads from the import and the webhook)."""
    return psql(database_url, "SELECT md5(coalesce(string_agg(row(contact_number, state, title, first_name, last_name, birth_date, "
                "language, email, phone, role, has_login, addresses, authorizations, raw, version_time, "
                "head_contact_number)::text, '|' ORDER BY contact_number), '')) || ' ' || count(*) FROM contacts")


def tables_mentioning(database_url, needle):
    tables = psql(database_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").split()
    found = []
    for table in tables:
        count = psql(database_url, f"SELECT count(*) FROM \"{table}\" t WHERE t::text ILIKE '%{needle}%'")
        if count != "0":
            found.append(f"{table} ({count})")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="http://127.0.0.1:8080", help="auth-gateway's issuer URL")
    parser.add_argument("--sim", default="http://127.0.0.1:8090", help="secutix-sim's base URL (shop under /shop)")
    parser.add_argument("--mailbox", default=os.path.join(ROOT, ".local", "mailbox"), help="Maildir of the local SMTP catcher")
    parser.add_argument("--database-url", help="our database (default: $DATABASE_URL or the local one)", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/secutix_bridge"))
    parser.add_argument("--worker-bin", default=os.path.join(TARGET_DIR, "debug", "sync-worker"), help="the sync-worker binary (import, replay)")
    parser.add_argument("--browser", action="store_true", help="also sign in at the shop (step 3) and sign up from it (step 10) in headless Chromium")
    args = parser.parse_args()
    gateway, sim = args.gateway.rstrip("/"), args.sim.rstrip("/")
    browser = Browser()

    step(0, "The stack answers")
    for name, url in [("auth-gateway", gateway), ("secutix-sim", sim)]:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=5)
        except OSError as error:
            raise SystemExit(f"   {name} at {url} does not answer ({error}): start the stack with `make run` first")
        say(f"{name} is up at {url}")

    step(1, "S-360 gets a new web customer; the initial import brings her in and mails her a link")
    tag = uuid.uuid4().hex[:6]
    number, address = new_customer(sim, tag, "Alice", "Martin")
    # Values unique to this run, so the final scan finds only what this run wrote.
    new_phone, new_name = f"+4179{uuid.uuid4().int % 10**7:07d}", f"Martin-{tag}"
    bob_number, bob_address = new_customer(sim, tag, "Bob", "Keller")
    say(f"created contacts {number} <{address}> and {bob_number} <{bob_address}> at S-360")
    export = os.path.join(tempfile.mkdtemp(prefix="demo-export-"), "s360-export.jsonl")
    with urllib.request.urlopen(f"{sim}/admin/export?format=jsonl", timeout=30) as response, open(export, "wb") as out:
        out.write(response.read())
    worker_env = dict(os.environ, DATABASE_URL=args.database_url, GATEWAY_ISSUER=gateway)
    result = subprocess.run([args.worker_bin, "import", "--file", export], capture_output=True, text=True, env=worker_env)
    if result.returncode != 0:
        raise SystemExit(f"   import failed:\n{result.stderr[-2000:]}")
    for line in result.stdout.strip().splitlines():
        if "\x1b" not in line and " INFO " not in line:
            say(f"import: {line}")
    subject, link = wait_for("the set-your-password mail", lambda: mailed_link(args.mailbox, address))
    say(f"mail received: \"{subject}\" with {link.split('?')[0]}?token=…")
    _, bob_link = wait_for("Bob's mail", lambda: mailed_link(args.mailbox, bob_address))

    step(2, "She opens the link and chooses a password")
    password, page = choose_password(browser, link)
    say(f"the set-password page says: {page[:120]}")
    bob = Browser()
    bob_password, _ = choose_password(bob, bob_link)
    say(f"Bob set his too, and signs in at our identity provider: {sign_in_at_gateway(bob, gateway, bob_address, bob_password)}")

    step(3, "She opens the ticket shop, is sent to our sign-in page, and signs in")
    if args.browser:
        result = subprocess.run(["node", os.path.join(ROOT, "tests", "browser", "shop.mjs"), f"{sim}/shop", address, password], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise SystemExit(f"   Chromium failed:\n{result.stderr[-2000:]}")
        seen = json.loads(result.stdout.strip().splitlines()[-1])
        say(f"Chromium was sent to {seen['signInPage'].split('?')[0]} and landed on {seen['landed']}: {seen['text'][:120]}")
        if "Alice" not in seen["text"]:
            raise SystemExit("   the shop does not show her signed in")
    status, url, page = browser.get(f"{sim}/shop")
    say(f"the shop redirected her to {url.split('?')[0]}")
    form = Form(page)
    form.fields.update(email=address, password=password)
    status, url, page = browser.post(urllib.parse.urljoin(url, form.action), form.fields)
    say(f"back at {url.split('?')[0]} ({status}): {visible_text(page)[:160]}")
    if "Signed in as Alice" not in visible_text(page):
        raise SystemExit("   the shop does not show her signed in")
    linked = admin(sim, "GET", f"/contacts/{number}")["contact"].get("socialConnections")
    say(f"S-360 links her SSO id: {linked}")

    step(4, "Grant access: our /ticketshop sends her to the shop, signed in silently")
    status, url, page = browser.get(f"{gateway}/ticketshop?target={urllib.parse.quote(sim + '/shop', safe='')}")
    say(f"landed on {url} ({status}) {'signed in' if 'Martin' in page else 'NOT signed in'}")
    if "Martin" not in page:
        raise SystemExit("   the silent sign-in did not happen")

    step(5, "She changes her phone number on our profile page; the worker writes it back to S-360")
    status, url, page = browser.get(f"{gateway}/profile")
    form = Form(page)
    form.fields["phone"] = new_phone
    status, _, page = browser.post(urllib.parse.urljoin(url, form.action), form.fields)
    say(f"profile saved ({status})")
    wait_for("the write-back to S-360", lambda: (admin(sim, "GET", f"/contacts/{number}")["contact"].get("individualContact") or {}).get("cellPhoneNumber") == new_phone)
    say(f"S-360 now has her new phone number {new_phone}")

    step(6, "S-360 changes her last name; its webhook brings the change into our database")
    admin(sim, "PATCH", f"/contacts/{number}", {"individualContact": {"lastname": new_name}})
    admin(sim, "POST", "/webhook/run")
    wait_for("the webhook", lambda: psql(args.database_url, f"SELECT last_name FROM contacts WHERE contact_number = '{number}'") == new_name)
    say(f"our mirror shows the new last name {new_name}")

    step(7, "S-360 merges Bob into another contact: his session stops working")
    status, _, _ = bob.get(f"{gateway}/auth/verify", follow=False)
    say(f"before: Bob's /auth/verify answers {status}")
    head_number, _ = new_customer(sim, tag, "Robert", "Keller")
    admin(sim, "POST", f"/contacts/{bob_number}/merge", {"into": head_number})
    admin(sim, "POST", "/webhook/run")
    wait_for("the merge", lambda: psql(args.database_url, f"SELECT state FROM contacts WHERE contact_number = '{bob_number}'") == "merged")
    status, _, _ = bob.get(f"{gateway}/auth/verify", follow=False)
    say(f"after: Bob's /auth/verify answers {status}")
    if status != 401:
        raise SystemExit("   the absorbed contact's session still works")

    step(8, "S-360 anonymises her: her session stops working and no personal data remains")
    status, _, _ = browser.get(f"{gateway}/auth/verify", follow=False)
    say(f"before: /auth/verify answers {status}")
    admin(sim, "POST", f"/contacts/{number}/anonymise")
    admin(sim, "POST", "/webhook/run")
    wait_for("the anonymisation", lambda: psql(args.database_url, f"SELECT state FROM contacts WHERE contact_number = '{number}'") == "anonymised")
    status, _, _ = browser.get(f"{gateway}/auth/verify", follow=False)
    say(f"after: /auth/verify answers {status}")
    if status != 401:
        raise SystemExit("   the anonymised contact's session still works")
    found = [t for needle in (address, new_name, new_phone) for t in tables_mentioning(args.database_url, needle)]
    say(f"tables of our database still holding her e-mail, name or phone: {found or 'none'}")
    if found:
        raise SystemExit("   personal data of an anonymised contact remains")

    step(9, "The contacts table is wiped, and a replay of the contacts.log stream rebuilds it")
    before = snapshot(args.database_url)
    psql(args.database_url, "DELETE FROM contacts")
    result = subprocess.run([args.worker_bin, "replay", "--from-offset", "first", "--idle-timeout", "3"], capture_output=True, text=True, env=worker_env)
    if result.returncode != 0:
        raise SystemExit(f"   replay failed:\n{result.stderr[-2000:]}")
    after = snapshot(args.database_url)
    say(f"before the wipe: {before.split()[1]} contacts (digest {before.split()[0][:12]}); after the replay: {after.split()[1]} (digest {after.split()[0][:12]})")
    if before != after:
        raise SystemExit("   the replay did not restore the same contacts")
    step(10, "A new fan signs up from the shop's sign-in page, confirms her address, and lands at the shop signed in")
    fan = Browser()
    fan_address = f"chloe.{tag}@example.org"
    if args.browser:
        chromium_fan = f"anna.{tag}@example.org"
        result = subprocess.run(["node", os.path.join(ROOT, "tests", "browser", "signup.mjs"), f"{sim}/shop", args.mailbox, chromium_fan, f"demo-{uuid.uuid4().hex}"], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise SystemExit(f"   Chromium failed:\n{result.stderr[-2000:]}")
        seen = json.loads(result.stdout.strip().splitlines()[-1])
        say(f"Chromium: shop → {seen['signInPage'].split('?')[0]} → sign-up (\"{seen['afterSignUp']}\") → the mailed link → {seen['landed']}: {seen['text'][:100]}")
        if "Signed in as Anna" not in seen["text"]:
            raise SystemExit("   the shop does not show the new fan signed in")
    status, url, page = fan.get(f"{sim}/shop")
    found = re.search(r'href="(/signup\?return_to=[^"]+)"', page)
    if not found:
        raise SystemExit("   the sign-in page does not lead to sign-up")
    status, url, page = fan.get(urllib.parse.urljoin(url, html.unescape(found.group(1))))
    form = Form(page)
    form.fields.update(email=fan_address, password=f"demo-{uuid.uuid4().hex}", given_name="Chloé",
                       family_name="Roux", language="fr", privacy="yes")
    status, url, page = fan.post(urllib.parse.urljoin(url, form.action), form.fields)
    say(f"sign-up answered {status}: {visible_text(page)[:120]}")
    subject, link = wait_for("the verification mail", lambda: mailed_link(args.mailbox, fan_address, "/signup/verify"))
    say(f"mail received: \"{subject}\" with {link.split('?')[0]}?token=…")
    status, url, page = fan.get(link)
    form = Form(page)
    status, url, page = fan.post(urllib.parse.urljoin(url, form.action), form.fields)
    say(f"confirmed; back at {url.split('?')[0]} ({status}): {visible_text(page)[:160]}")
    if "Chloé" not in visible_text(page):
        raise SystemExit("   the shop does not show the new fan signed in")
    attached = wait_for("her account attached to the contact the shop created", lambda: psql(args.database_url, f"SELECT contact_number FROM accounts WHERE login_email = '{fan_address}' AND contact_number IS NOT NULL") or None)
    say(f"the shop created contact {attached} at her first SSO sign-in; the worker attached her account to it")

    print("\nThe journey is complete.")


if __name__ == "__main__":
    main()
