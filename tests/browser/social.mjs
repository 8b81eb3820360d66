// Social sign-in in headless Chromium, from the simulated ticket shop, in English, French and
// German (tests/journeys/gateway_social_shop.rs): the shop sends the fan to the gateway's
// sign-in page, "Continue with Google" leads to the upstream provider (oidc-provider), whose
// answer leads to the sign-up form (first refused without the privacy policy), and the fan
// lands back at the shop signed in. Then, in fresh browsers: the provider's address of an
// existing account (the "sign in to link" page), and a cancelled sign-in (the page saying so).
// axe-core runs on every gateway page on the way; with SCREENSHOTS set to a directory, the
// pages are also written there at 1280 and 360 px wide (English only).
//
// Usage: node social.mjs '{"shop": <shop URL>, "base": <gateway URL>, "existing": <address>}'
// Prints one JSON line: {pages: [{lang, page, status, url, violations}], landed: [{lang, url, text}]}.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const input = JSON.parse(process.argv[2]);
const shots = process.env.SCREENSHOTS;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const pages = [];
const landed = [];
let current;

async function check(page, lang, name, status, shot) {
  await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => {
    const report = await window.axe.run(document, { resultTypes: ['violations'] });
    return report.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  pages.push({ lang, page: name, status, url: page.url(), html_lang: await page.getAttribute('html', 'lang'),
    violations: found.filter((v) => v.impact === 'serious' || v.impact === 'critical') });
  if (shots && shot && lang === 'en') {
    for (const [suffix, width] of [['desktop', 1280], ['phone', 360]]) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({ path: `${shots}/${shot}-${suffix}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  }
}

/// Clicks `selector` and waits for the page it leads to; returns that navigation's status.
async function follow(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
  return response ? response.status() : 0;
}

/// From the shop to the upstream's sign-in page through the gateway's Google button.
async function toGoogle(page, lang, name, shot) {
  const first = await page.goto(input.shop, { waitUntil: 'load' });
  if (name) await check(page, lang, name, first.status(), shot);
  await follow(page, 'a.button.provider');
}

try {
  for (const lang of ['en', 'fr', 'de']) {
    const options = { bypassCSP: true, locale: lang, extraHTTPHeaders: { 'accept-language': lang } };
    // A new fan, from the shop to the shop.
    let context = await browser.newContext(options);
    let page = await context.newPage();
    current = page;
    await toGoogle(page, lang, 'sign-in with providers', 'social-sign-in');
    await page.fill('#login', `fan.${lang}@example.net`);
    await check(page, lang, 'sign-up through google', await follow(page, 'button[value=login]'), 'social-sign-up');
    await check(page, lang, 'sign-up through google errors', await follow(page, 'form[action="/login/social/signup"] button[type=submit]'));
    await page.check('input[name=privacy]');
    await follow(page, 'form[action="/login/social/signup"] button[type=submit]');
    landed.push({ lang, url: page.url(), text: await page.innerText('body') });
    const account = await page.goto(`${input.base}/account`, { waitUntil: 'load' });
    await check(page, lang, 'account with google', account.status(), 'social-account');
    await context.close();

    // The address of an existing account: asked to sign in to it first.
    context = await browser.newContext(options);
    page = await context.newPage();
    current = page;
    await toGoogle(page, lang);
    await page.fill('#login', input.existing);
    await check(page, lang, 'link after sign-in', await follow(page, 'button[value=login]'), 'social-link');
    await context.close();

    // Cancelled at the provider.
    context = await browser.newContext(options);
    page = await context.newPage();
    current = page;
    await toGoogle(page, lang);
    await check(page, lang, 'cancelled', await follow(page, 'button[value=cancel]'), 'social-cancelled');
    await context.close();
  }
  console.log(JSON.stringify({ pages, landed }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error), at: current?.url(), shown: await current?.innerText('body').catch(() => ''), pages, landed }));
} finally {
  await browser.close();
}
