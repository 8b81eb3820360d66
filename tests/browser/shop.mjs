// The fan's way into the ticket shop in headless Chromium: opens the shop (which sends a
// signed-out visitor to the identity provider's sign-in page), signs in there, and reports as
// JSON where the browser landed and what the shop showed.
//
// Usage: node shop.mjs SHOP_URL EMAIL PASSWORD
import { chromium } from 'playwright-core';

const [shopUrl, email, password] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
  await page.goto(shopUrl);
  const signInPage = page.url();
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([
    page.waitForURL((url) => url.toString().startsWith(shopUrl), { timeout: 15000 }),
    page.click('button[type=submit]'),
  ]);
  const text = (await page.textContent('body')).replace(/\s+/g, ' ').trim();
  console.log(JSON.stringify({ signInPage, landed: page.url(), text }));
} finally {
  await browser.close();
}
