// The support console in headless Chromium, as a staff member uses it: the sign-in page, the
// gateway's staff page (password and a TOTP code computed here from the secret), the search,
// the fan's page (with her passkeys, linked providers and S-360 tasks), lifting her lock,
// revoking her sessions, retrying her failed write-back and closing a write-back conflict with
// the page's own buttons, the sync page (in English, as an admin: checking the dead letter
// `dead_letter` and redriving it), a replay's dry-run diff (`replay`, with values for the admin,
// field names for the others), the erasure requests and the audit log showing those actions.
// axe-core runs on every console page in
// English, French and German (no serious or critical violation allowed; the callback page's
// immediate refresh is never checked, it is gone at once). With SCREENSHOTS set to a
// directory, the gateway's staff sign-in page and the search, fan and audit pages are written
// there at 1280 and 360 px, the sync page at 1280 and 390 px.
//
// Usage: node console.mjs '{"console": ..., "gateway": ..., "password": ...,
//   "staff": {"en": {"email": ..., "secret_hex": ...}, "fr": ..., "de": ...}, "fan": ...,
//   "fan_email": ..., "dead_letter": <message id, optional>}'  (a staff member per language: a TOTP code is accepted once)
// It prints one JSON line: {ok, pages: [{lang, page, status, violations}], audit: "..."}.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const input = JSON.parse(process.argv[2]);
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// RFC 6238 with HMAC-SHA1, 30 s steps, 6 digits, from a hex secret.
function totp(secretHex) {
  const step = BigInt(Math.floor(Date.now() / 1000 / 30));
  const counter = Buffer.alloc(8);
  counter.writeBigInt64BE(step);
  const digest = createHmac('sha1', Buffer.from(secretHex, 'hex')).update(counter).digest();
  const at = digest[19] & 0x0f;
  const value = ((digest[at] & 0x7f) << 24) | (digest[at + 1] << 16) | (digest[at + 2] << 8) | digest[at + 3];
  return String(value % 1000000).padStart(6, '0');
}

const results = [];
async function check(page, lang, name, status) {
  await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => {
    const report = await window.axe.run(document, { resultTypes: ['violations'] });
    return report.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  results.push({ lang, page: name, status, html_lang: await page.getAttribute('html', 'lang'),
    violations: found.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    minor: found.filter((v) => v.impact !== 'serious' && v.impact !== 'critical').map((v) => v.id) });
}

async function visit(page, lang, name, url) {
  const response = await page.goto(input.console + url, { waitUntil: 'load' });
  await check(page, lang, name, response.status());
}

// Clicks the submit button of the form matching `selector` and waits for the next page.
async function press(page, selector) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click(`${selector} button[type=submit]`),
  ]);
  return response;
}

async function signIn(page, lang) {
  const staff = input.staff[lang];
  const landing = await page.goto(input.console + '/', { waitUntil: 'load' });
  await check(page, lang, 'sign-in', landing.status());
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('a.button')]);
  if (!page.url().startsWith(input.gateway)) throw new Error(`not at the gateway: ${page.url()}`);
  if (lang === 'en' && process.env.SCREENSHOTS) {
    for (const [width, kind] of [[360, 'phone'], [1280, 'desktop']]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `${process.env.SCREENSHOTS}/console-staff-sign-in-${kind}.png`, fullPage: true });
    }
  }
  await page.fill('#email', staff.email);
  await page.fill('#password', input.password);
  await page.fill('#code', totp(staff.secret_hex));
  await Promise.all([
    page.waitForURL((url) => url.href === input.console + '/', { timeout: 15000 }),
    page.click('button[type=submit]'),
  ]);
}

let audit = '';
let live = '';
try {
  const langs = ['en', 'fr', 'de'];
  for (const lang of langs) {
    const context = await browser.newContext({ bypassCSP: true, locale: lang, extraHTTPHeaders: { 'accept-language': lang } });
    const page = await context.newPage();
    await signIn(page, lang);
    await check(page, lang, 'search', 200);
    await page.fill('#q', input.fan_email);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.search button[type=submit]')]);
    await check(page, lang, 'search results', 200);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`a[href="/fans/${input.fan}"]`)]);
    await check(page, lang, 'fan', 200);
    if (lang === 'en') {
      let response = await press(page, `form[action="/fans/${input.fan}/unlock"]`);
      await check(page, lang, 'fan unlocked', response.status());
      response = await press(page, `form[action="/fans/${input.fan}/revoke-sessions"]`);
      await check(page, lang, 'fan revoked', response.status());
      response = await press(page, `form[action="/fans/${input.fan}/retry"]:has(input[value="writeback-1"])`);
      await check(page, lang, 'task retried', response.status());
      response = await press(page, `form[action="/fans/${input.fan}/conflict"]:has(input[value="s360"])`);
      await check(page, lang, 'conflict resolved', response.status());
      if (process.env.SCREENSHOTS) {
        for (const [width, kind] of [[1280, 'desktop'], [360, 'phone']]) {
          await page.setViewportSize({ width, height: 900 });
          await page.goto(`${input.console}/?q=${encodeURIComponent(input.fan_email)}`, { waitUntil: 'load' });
          await page.screenshot({ path: `${process.env.SCREENSHOTS}/console-search-${kind}.png`, fullPage: true });
          await page.goto(`${input.console}/fans/${input.fan}`, { waitUntil: 'load' });
          await page.screenshot({ path: `${process.env.SCREENSHOTS}/console-fan-${kind}.png`, fullPage: true });
          await page.goto(`${input.console}/audit`, { waitUntil: 'load' });
          await page.screenshot({ path: `${process.env.SCREENSHOTS}/console-audit-${kind}.png`, fullPage: true });
        }
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    }
    await visit(page, lang, 'sync', '/sync');
    if (lang === 'en') {
      // The queue depths refresh by themselves: the status line says when.
      await page.waitForFunction(() => /\d/.test(document.querySelector('[data-live-status]')?.textContent || ''), null, { timeout: 15000 });
      live = await page.textContent('[data-live-status]');
    }
    if (lang === 'en' && input.dead_letter) {
      // An admin checks the dead letter and redrives it with the page's own button.
      await page.check(`input[name="id"][value="${input.dead_letter}"]`);
      if (process.env.SCREENSHOTS) {
        for (const [width, kind] of [[1280, 'desktop'], [390, 'phone']]) {
          await page.setViewportSize({ width, height: 900 });
          await page.screenshot({ path: `${process.env.SCREENSHOTS}/console-sync-${kind}.png`, fullPage: true });
        }
        await page.setViewportSize({ width: 1280, height: 900 });
      }
      const response = await press(page, 'form[action="/sync/redrive"]');
      await check(page, lang, 'sync redriven', response.status());
    }
    if (input.replay) await visit(page, lang, 'replay', `/sync/replays/${input.replay}`);
    await visit(page, lang, 'erasures', '/erasures');
    await visit(page, lang, 'audit', '/audit');
    if (lang === 'en') audit = await page.textContent('table');
    await context.close();
  }
  const ok = results.every((r) => r.violations.length === 0);
  console.log(JSON.stringify({ ok, pages: results, audit, live }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error && error.stack || error), pages: results, audit, live }));
} finally {
  await browser.close();
}
