#!/usr/bin/env python3
"""`make console-walk`: walks the support console in headless Chromium against the stack
`make run` started (tests/browser/console_walk.mjs), as a staff member would, and checks each
outcome outside the browser:
  1. The demo admin (admin@club.example, TOTP from .local/staff-totp.txt) signs in, finds the
     demo's first fan that may still be sent a link this hour (S-360 contacts 0009000001…) by e-mail and resends the fan's set-password
     mail; the mail arrives at the local SMTP catcher (.local/mailbox).
  2. The fan chooses a password from that mail and signs in (a session), then five wrong
     passwords lock the account. They lock the source address too, and every request here
     comes from 127.0.0.1: that lock is not the console's to lift, so the walk clears the
     address's counter itself (before and after), as the tests do.
  3. A message the worker cannot apply is published (cargo example `dead_letter`); the worker
     dead-letters it.
  4. In the console: the lock is lifted, the fan's sessions revoked, the dead letter redriven from the
     sync page; the database says so, and the audit page lists each action.
With --screenshots DIR, each console page is saved there at 1280 and 390 px. Exits non-zero
when a step does not do what it should.
"""
import argparse
import json
import os
import subprocess
import sys
import uuid

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo  # noqa: E402  (the demo's tiny browser, mailbox reader and helpers)

ROOT = demo.ROOT


def walk(phase, args, **extra):
    request = dict(phase=phase, console=args.console, gateway=args.gateway, email="admin@club.example",
                   password="local-development-staff", totp_uri=args.totp_uri, fan_email=args.fan_email,
                   state_file=args.state_file, **extra)
    env = dict(os.environ)
    if args.screenshots:
        env["SCREENSHOTS"] = os.path.abspath(args.screenshots)
    result = subprocess.run(["node", os.path.join(ROOT, "tests", "browser", "console_walk.mjs"), json.dumps(request)],
                            capture_output=True, text=True, timeout=240, env=env)
    lines = result.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines else {"ok": False, "error": result.stderr[-2000:]}
    for step in report.get("steps", []):
        demo.say(f"{step['name']}: {(step['detail'] or '').strip()}")
    if not report.get("ok"):
        raise SystemExit(f"   the browser walk failed: {report.get('error')}")
    return report


def clear_address_locks(args):
    """Forgets the failures counted against source addresses (all of them local here)."""
    demo.psql(args.database_url, "DELETE FROM login_throttle WHERE key LIKE 'address:%'")


def count(args, sql):
    return int(demo.psql(args.database_url, sql) or 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--console", default="http://127.0.0.1:8083")
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--sim", default="http://127.0.0.1:8090")
    parser.add_argument("--mailbox", default=os.path.join(ROOT, ".local", "mailbox"))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/secutix_bridge"))
    parser.add_argument("--screenshots", help="directory for the console pages' screenshots")
    args = parser.parse_args()
    with open(os.path.join(ROOT, ".local", "staff-totp.txt")) as file:
        args.totp_uri = file.read().strip()
    args.state_file = os.path.join(ROOT, ".local", "console-walk-state.json")
    # The first demo contact whose account may still be sent a link this hour (3 an hour), so
    # the walk can be repeated.
    number = demo.psql(args.database_url, "SELECT a.contact_number FROM accounts a WHERE a.contact_number LIKE '00090000%' "
                       "AND (SELECT count(*) FROM password_tokens t WHERE t.subject_id = a.subject_id "
                       "AND t.created_at > now() - interval '1 hour') < 3 ORDER BY a.contact_number LIMIT 1")
    if not number:
        raise SystemExit("   every demo fan was sent 3 links this hour: try again later")
    args.fan_email = demo.admin(args.sim, "GET", f"/contacts/{number}")["contact"]["individualContact"]["email"]
    fan = args.fan_email.replace("'", "''")
    account = f"(SELECT subject_id FROM accounts WHERE lower(login_email) = lower('{fan}'))"

    clear_address_locks(args)
    started = demo.psql(args.database_url, "SELECT now()")
    demo.step(1, f"Staff sign in, find the demo fan <{args.fan_email}> and resend the set-password mail")
    before = set()
    found = demo.mailed_link(args.mailbox, args.fan_email)
    if found:
        before.add(found[1])
    walk("resend", args)
    subject, link = demo.wait_for("the resent mail", lambda: (lambda m: m if m and m[1] not in before else None)(
        demo.mailed_link(args.mailbox, args.fan_email)))
    demo.say(f"mail received over SMTP: \"{subject}\" with {link.split('?')[0]}?token=…")

    demo.step(2, "The fan sets a password from it and signs in; then five wrong passwords lock the account")
    password, _ = demo.choose_password(demo.Browser(), link)
    status = demo.sign_in_at_gateway(demo.Browser(), args.gateway, args.fan_email, password)
    sessions = count(args, f"SELECT count(*) FROM sessions WHERE subject_id = {account} AND revoked_at IS NULL")
    if sessions < 1:
        raise SystemExit(f"   the sign-in (status {status}) opened no session")
    demo.say(f"{sessions} live session(s)")
    clear_address_locks(args)
    for _ in range(5):
        demo.sign_in_at_gateway(demo.Browser(), args.gateway, args.fan_email, "not her password")
    lock = f"SELECT count(*) FROM login_throttle WHERE key = 'account:' || lower('{fan}') AND locked_until > now()"
    if count(args, lock) != 1:
        raise SystemExit("   the account was not locked")
    demo.say("the account is locked")

    demo.step(3, "A message the worker cannot apply arrives; the worker dead-letters it")
    message_id = f"walk-{uuid.uuid4().hex[:12]}"
    subprocess.run(["cargo", "run", "-q", "-p", "tests", "--example", "dead_letter", "--", message_id], cwd=ROOT, check=True)

    demo.step(4, "Staff lift the lock, revoke the sessions, redrive the dead letter and read the audit")
    report = walk("act", args, dead_letter=message_id)
    if count(args, lock) != 0:
        raise SystemExit("   the account is still locked")
    if count(args, f"SELECT count(*) FROM sessions WHERE subject_id = {account} AND revoked_at IS NULL") != 0:
        raise SystemExit("   a session is still live")
    actions = ("resend_mail", "lift_lock", "revoke_sessions", "redrive_dead_letters")
    missing = [a for a in actions if a not in report["audit"]]
    if missing:
        raise SystemExit(f"   not in the audit page: {missing}")
    unrecorded = [a for a in actions if count(args, f"SELECT count(*) FROM staff_audit WHERE action = '{a}' "
                                                  f"AND outcome = 'ok' AND at >= '{started}'") != 1]
    if unrecorded:
        raise SystemExit(f"   not audited once by this walk: {unrecorded}")
    demo.say("lock lifted, sessions revoked, dead letter redriven; the audit page lists each action")
    clear_address_locks(args)
    os.remove(args.state_file)


if __name__ == "__main__":
    main()
