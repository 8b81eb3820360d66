// A new fan's way into the ticket shop in headless Chromium: opens the shop (which sends a
// signed-out visitor to the identity provider's sign-in page), follows "Create an account",
// fills the sign-up form, opens the verification link from the mail (read from the SMTP
// server's maildir), confirms, and reports as JSON where the browser landed and what the shop
// showed.
//
// Usage: node signup.mjs SHOP_URL MAILDIR EMAIL PASSWORD
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [shopUrl, maildir, email, password] = process.argv.slice(2);

// The verification link mailed to `email`, once it arrives (quoted-printable undone).
async function mailedLink() {
  for (let i = 0; i < 200; i += 1) {
    let names = [];
    try { names = readdirSync(join(maildir, 'new')); } catch { names = []; }
    for (const name of names) {
      const raw = readFileSync(join(maildir, 'new', name), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      if (!raw.includes(email)) continue;
      const found = raw.match(/https?:\/\/\S+\/signup\/verify\?token=[\w-]+&return_to=[^\s"<]+/);
      if (found) return found[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no verification mail for ${email}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await (await browser.newContext({ locale: 'fr-CH' })).newPage();
  await page.goto(shopUrl);
  const signInPage = page.url();
  await Promise.all([page.waitForURL(/\/signup\?/), page.click('a[href^="/signup"]')]);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.fill('#given_name', 'Anna');
  await page.fill('#family_name', 'Muster');
  await page.selectOption('#language', 'fr');
  await page.check('input[name=privacy]');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  const afterSignUp = (await page.textContent('h1')).trim();
  const link = await mailedLink();
  await page.goto(link);
  await Promise.all([
    page.waitForURL((url) => url.toString().startsWith(shopUrl), { timeout: 15000 }),
    page.click('button[type=submit]'),
  ]);
  const text = (await page.textContent('body')).replace(/\s+/g, ' ').trim();
  console.log(JSON.stringify({ signInPage, afterSignUp, landed: page.url(), text }));
} finally {
  await browser.close();
}
