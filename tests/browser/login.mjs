// Signs in through the gateway's login page in headless Chromium, as a fan would, and reports
// what the browser saw as JSON: the page language and heading, where the browser was sent, and
// the session cookie's attributes. A screenshot of the sign-in page goes to SCREENSHOT if set.
// With PROFILE_FIRST_NAME set, the signed-in fan then changes their first name on the profile
// page, and the report adds what that page showed.
//
// Usage: node login.mjs BASE_URL AUTHORIZE_URL EMAIL PASSWORD REDIRECT_PREFIX
import http from 'node:http';
import { chromium } from 'playwright-core';

const [base, authorizeUrl, email, password, redirectPrefix] = process.argv.slice(2);
// The client's callback: a local page standing in for the relying party.
const callback = new URL(redirectPrefix);
let landed = null;
const relyingParty = http.createServer((request, response) => {
  const url = new URL(request.url, redirectPrefix);
  if (url.pathname === callback.pathname) landed = url.toString();
  response.writeHead(200, { 'content-type': 'text/html' });
  response.end('<h1>signed in at the relying party</h1>');
});
await new Promise((resolve) => relyingParty.listen(Number(callback.port), callback.hostname, resolve));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ locale: 'fr-CH' });
  const page = await context.newPage();
  await page.goto(authorizeUrl);
  const lang = await page.getAttribute('html', 'lang');
  const heading = await page.textContent('h1');
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([
    page.waitForURL((url) => url.toString().startsWith(redirectPrefix), { timeout: 15000 }),
    page.click('button[type=submit]'),
  ]);
  const cookies = await context.cookies(base);
  const session = cookies.find((c) => c.name === '__Host-session');
  let profile = null;
  if (process.env.PROFILE_FIRST_NAME) {
    await page.goto(`${base}/profile`);
    const profileHeading = await page.textContent('h1');
    const shownFirstName = await page.inputValue('#first_name');
    await page.fill('#first_name', process.env.PROFILE_FIRST_NAME);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    await page.waitForSelector('p[role=status]', { timeout: 15000 });
    profile = { heading: profileHeading, shownFirstName, status: await page.textContent('p[role=status]') };
  }
  console.log(JSON.stringify({
    lang,
    heading,
    landed,
    session: session && { httpOnly: session.httpOnly, secure: session.secure, sameSite: session.sameSite },
    profile,
  }));
} finally {
  await browser.close();
  relyingParty.close();
}
