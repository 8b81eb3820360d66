// Passkeys in headless Chromium with the DevTools protocol's virtual authenticator (CTAP2,
// internal, resident keys, user verification): the fan signs in with the password, follows the
// passkey offer, enrols a passkey on /profile/passkeys, signs out, signs in at the shop's
// authorization request with the "Sign in with a passkey" button and then through the e-mail
// field's autofill (conditional mediation); an authenticator cloned from the first (its
// credential copied with a counter back at 0) is refused; after the passkey is removed it is
// refused too. Reports as JSON what the browser saw, where it landed (the shop's redirect, with
// its code), and the first passkey sign-in's request (its body and challenge cookie) so the
// caller can replay it. Screenshots of the passkey page and the sign-in page (1280 and 360 px
// wide) go to SCREENSHOTS if set.
//
// Usage: node passkeys.mjs BASE_URL AUTHORIZE_URL EMAIL PASSWORD SHOP_REDIRECT_PREFIX
import { chromium } from 'playwright-core';

const [base, authorizeUrl, email, password, shopPrefix] = process.argv.slice(2);
const shots = process.env.SCREENSHOTS;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const report = {};
try {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  // The shop's redirect URI is not reachable here: the browser's way there is recorded instead.
  const landings = [];
  const passkeyPosts = [];
  page.on('request', async (request) => {
    if (request.url().startsWith(shopPrefix)) landings.push(request.url());
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/login/passkey') {
      passkeyPosts.push({ body: request.postData(), cookie: (await request.allHeaders()).cookie || '' });
    }
  });
  const answers = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/login/passkey') answers.push(response.status());
  });

  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const authenticator = async () => (await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  })).authenticatorId;
  let device = await authenticator();

  const shoot = async (name) => {
    if (!shots) return;
    for (const [suffix, width] of [['desktop', 1280], ['phone', 360]]) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({ path: `${shots}/${name}-${suffix}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  };
  const problem = async () => {
    const alert = page.locator('#passkey-problem');
    await alert.waitFor({ state: 'visible', timeout: 10000 });
    return alert.textContent();
  };
  const signInWithPassword = async (returnTo) => {
    await page.goto(`${base}/login?return_to=${encodeURIComponent(returnTo)}`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${base}${returnTo}`), page.click('form[action="/login"] button[type=submit]')]);
  };
  const signOut = () => page.goto(`${base}/logout`);
  // Opens the sign-in page at `url` and presses the passkey button. The virtual authenticator
  // answers the page's autofill request at once when it simulates the user's presence, so it
  // holds that back until the page has loaded, as a fan who does not pick the autofill.
  const pressPasskeyButton = async (url) => {
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: device, enabled: false });
    const autofillAsked = page.waitForResponse((r) => new URL(r.url()).pathname === '/login/passkey/options');
    await page.goto(url);
    await autofillAsked;
    await page.waitForTimeout(300);
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: device, enabled: true });
    await page.click('#passkey-button');
  };
  const atShop = async (count) => {
    for (let waited = 0; landings.length < count; waited += 100) {
      if (waited > 15000) throw new Error(`never sent to the shop (at ${page.url()})`);
      await page.waitForTimeout(100);
    }
    // The browser then shows its error page (the shop does not exist here): let it settle.
    for (let waited = 0; page.url().startsWith(base) && waited < 15000; waited += 100) {
      await page.waitForTimeout(100);
    }
    await page.waitForLoadState().catch(() => {});
    return landings[count - 1];
  };

  // The sign-in page: the e-mail field offers passkeys, the button shows with JavaScript.
  await page.goto(`${base}/login`);
  report.signInPage = {
    autocomplete: await page.getAttribute('#email', 'autocomplete'),
    buttonVisible: await page.isVisible('#passkey-button'),
  };
  await shoot('sign-in-passkey');

  // Signed in with the password, the fan is offered a passkey and enrols one.
  await signInWithPassword('/');
  const offer = page.locator('a[href="/profile/passkeys"]');
  report.offered = await offer.isVisible();
  await Promise.all([page.waitForURL(`${base}/profile/passkeys`), offer.click()]);
  report.emptyList = (await page.textContent('main')).replace(/\s+/g, ' ');
  await page.fill('#passkey-name', 'My laptop');
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/profile/passkeys' && r.request().method() === 'POST'),
    page.click('#passkey-add button[type=submit]'),
  ]);
  await page.waitForSelector('ul.passkeys li');
  report.enrolled = await page.locator('ul.passkeys li strong').allTextContents();
  report.credentials = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: device })).credentials
    .map((c) => ({ isResidentCredential: c.isResidentCredential, signCount: c.signCount }));
  await shoot('profile-passkeys');

  // Signed out, then in at the shop's authorization request with the button.
  await signOut();
  await pressPasskeyButton(authorizeUrl);
  report.button = await atShop(1);
  report.replayable = passkeyPosts[0];
  // ONLY_FIRST_SIGN_IN: the caller replays that sign-in, so the passkey must stay as it is.
  if (!process.env.ONLY_FIRST_SIGN_IN) {

    // Conditional mediation: the browser offers the passkey on the e-mail field.
    await signOut();
    await page.goto(authorizeUrl);
    report.conditional = await atShop(2);

    // A clone: the credential copied to another authenticator with its counter back at 0.
    const [original] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: device })).credentials;
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: device });
    device = await authenticator();
    await cdp.send('WebAuthn.addCredential', { authenticatorId: device, credential: { ...original, signCount: 0 } });
    await signOut();
    await pressPasskeyButton(`${base}/login`);
    report.clone = { alert: await problem(), status: answers.at(-1), url: page.url() };

    // The genuine authenticator (its counter ahead) still signs in; once removed, the passkey is refused.
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: device });
    device = await authenticator();
    await cdp.send('WebAuthn.addCredential', { authenticatorId: device, credential: { ...original, signCount: original.signCount + 10 } });
    await pressPasskeyButton(`${base}/login?return_to=%2Fprofile%2Fpasskeys`);
    await page.waitForURL(`${base}/profile/passkeys`);
    report.genuineAfterClone = page.url();
    await Promise.all([page.waitForURL(`${base}/profile/passkeys`), page.click('ul.passkeys button[type=submit]')]);
    report.afterRemoval = (await page.textContent('main')).replace(/\s+/g, ' ');
    await signOut();
    await pressPasskeyButton(`${base}/login`);
    report.removed = { alert: await problem(), status: answers.at(-1), url: page.url() };
  }
} catch (error) {
  report.error = String(error && error.stack || error);
} finally {
  console.log(JSON.stringify(report));
  await browser.close();
}
