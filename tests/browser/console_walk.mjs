// The support console walked in headless Chromium against the stack `make run` started, driven
// by scripts/console_walk.py (which prepares the fan, reads the mailbox and checks the
// outcome). Two phases share the staff member's browser state through `state_file`:
//   "resend": the staff member signs in (password and TOTP on the gateway's staff page), finds
//             the fan by e-mail, opens the fan's page and resends the set-password mail;
//   "act":    (the fan's session and lock prepared meanwhile) lifts the lock, revokes the sessions,
//             redrives the dead letter `dead_letter` from the sync page, and reads the audit.
// With SCREENSHOTS set, each console page is written there at 1280 and 390 px.
//
// Usage: node console_walk.mjs '{"phase": ..., "console": ..., "gateway": ..., "email": ...,
//   "password": ..., "totp_uri": ..., "fan_email": ..., "dead_letter": ..., "state_file": ...}'
// It prints one JSON line: {ok, steps: [...], audit: "...", error?}.
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';

const input = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// RFC 4648 base32 (the otpauth URI's secret).
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

// RFC 6238 with HMAC-SHA1, 30 s steps, 6 digits.
function totp(secret) {
  const counter = Buffer.alloc(8);
  counter.writeBigInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const digest = createHmac('sha1', secret).update(counter).digest();
  const at = digest[19] & 0x0f;
  const value = ((digest[at] & 0x7f) << 24) | (digest[at + 1] << 16) | (digest[at + 2] << 8) | digest[at + 3];
  return String(value % 1000000).padStart(6, '0');
}

const steps = [];
function step(name, detail) {
  steps.push({ name, detail });
}

async function shoot(page, name) {
  if (!process.env.SCREENSHOTS) return;
  for (const [width, kind] of [[1280, 'desktop'], [390, 'phone']]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${process.env.SCREENSHOTS}/walk-${name}-${kind}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

// Clicks the submit button of the form matching `selector`, waits for the next page.
async function press(page, selector) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click(`${selector} button[type=submit]`),
  ]);
  if (response.status() !== 200) throw new Error(`${selector}: ${response.status()} ${await page.textContent('main')}`);
  return response;
}

async function signIn(page) {
  await page.goto(input.console + '/', { waitUntil: 'load' });
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('a.button')]);
  if (!page.url().startsWith(input.gateway)) throw new Error(`not at the gateway: ${page.url()}`);
  const secret = new URL(input.totp_uri).searchParams.get('secret');
  await page.fill('#email', input.email);
  await page.fill('#password', input.password);
  await page.fill('#code', totp(base32(secret)));
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  if (!page.url().startsWith(input.console)) {
    // Refused: a wrong code, or the source address still locked by an earlier walk's failures.
    throw new Error(`the staff sign-in was refused: ${(await page.textContent('main')).trim().slice(0, 300)}`);
  }
  await page.waitForURL((url) => url.href === input.console + '/', { timeout: 15000 });
  step('signed in', page.url());
}

async function openFan(page) {
  await page.goto(input.console + '/', { waitUntil: 'load' });
  await page.fill('#q', input.fan_email);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.search button[type=submit]')]);
  await shoot(page, 'search');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('a[href^="/fans/"]')]);
  step('found the fan', new URL(page.url()).pathname);
}

let audit = '';
let ok = false;
try {
  const context = await browser.newContext(input.phase === 'act' ? { storageState: input.state_file } : {});
  const page = await context.newPage();
  if (input.phase === 'resend') {
    await signIn(page);
    await openFan(page);
    await shoot(page, 'fan');
    await press(page, 'form[action$="/resend-mail"]');
    step('resent the mail', await page.textContent('p.notice'));
    await context.storageState({ path: input.state_file });
  } else {
    await openFan(page);
    await shoot(page, 'fan-locked');
    await press(page, 'form[action$="/unlock"]');
    step('lifted the lock', await page.textContent('p.notice'));
    await press(page, 'form[action$="/revoke-sessions"]');
    step('revoked the sessions', await page.textContent('p.notice'));
    // The worker dead-letters the message within moments: reload until it is listed.
    const box = `input[name="id"][value="${input.dead_letter}"]`;
    for (let i = 0; i < 30; i++) {
      await page.goto(input.console + '/sync', { waitUntil: 'load' });
      if (await page.$(box)) break;
      await page.waitForTimeout(1000);
    }
    await page.check(box);
    await shoot(page, 'sync');
    await press(page, 'form[action="/sync/redrive"]');
    step('redrove the dead letter', await page.textContent('p.notice'));
    await page.goto(input.console + '/audit', { waitUntil: 'load' });
    await shoot(page, 'audit');
    audit = await page.textContent('table');
  }
  ok = true;
  console.log(JSON.stringify({ ok, steps, audit }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error && error.stack || error), steps, audit }));
} finally {
  await browser.close();
}
