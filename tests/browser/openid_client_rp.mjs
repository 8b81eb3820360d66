// An independent relying party for tests/journeys/gateway_openid_client.rs: openid-client (an
// OpenID Certified library) runs the code flow against the gateway, while this script plays the
// fan's browser with plain fetch (a cookie jar, the sign-in form, redirects followed by hand).
// Steps: (1) code + PKCE S256 with state and nonce, client_secret_basic, the ID token's
// signature checked through the JWKS, userinfo; (2) re-authentication with max_age=0 over a
// live session; (3) refreshTokenGrant; (4) RP-initiated logout, then prompt=none.
//
// The gateway under test serves at BASE but its issuer is another origin (ISSUER, the
// configured public URL): openid-client discovers ISSUER as usual, and validates `iss`
// against it, while every request it makes (discovery, JWKS, token, userinfo) goes through a
// customFetch that sends requests for ISSUER's origin to BASE's. The browser steps use the
// same rewrite on the URLs the library builds.
//
// Usage: node openid_client_rp.mjs '{"base":..,"issuer":..,"client_id":..,"client_secret":..,
//   "redirect_uri":..,"post_logout_redirect_uri":..,"email":..,"password":..}'
// Prints one JSON line: {"ok":true,"steps":{...}}, or {"ok":false,"step":..,"error":..} and
// exits 1.
import * as client from 'openid-client';

const input = JSON.parse(process.argv[2]);
const base = new URL(input.base);
const issuer = new URL(input.issuer);
const redirectUri = input.redirect_uri;

/** `url` with ISSUER's origin replaced by BASE's. */
function toBase(url) {
  const target = new URL(url);
  if (target.origin === issuer.origin) {
    target.protocol = base.protocol;
    target.host = base.host;
  }
  return target;
}

// The paths openid-client fetched, to show that it went to the JWKS for the signature.
const fetched = [];
const rewriting = (url, options) => {
  const target = toBase(url);
  fetched.push(target.pathname);
  return fetch(target, options);
};

/** The fan's browser: cookies of the gateway (a jar by name), redirects followed by hand. */
const jar = new Map();
async function browse(url, init = {}) {
  const target = toBase(url);
  const headers = new Headers(init.headers);
  if (target.origin === base.origin && jar.size > 0) {
    headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
  }
  const response = await fetch(target, { ...init, headers, redirect: 'manual' });
  if (target.origin === base.origin) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (attributes.some((a) => a.toLowerCase() === 'max-age=0')) jar.delete(name);
      else jar.set(name, value);
    }
  }
  return response;
}

function location(response) {
  const value = response.headers.get('location');
  if (!value) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(value, toBase(response.url));
}

function hidden(html, name) {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!match) throw new Error(`no hidden field ${name} on the page`);
  return match[1].replaceAll('&quot;', '"').replaceAll('&amp;', '&');
}

/** Whether `html` is the gateway's sign-in form. */
const isSignInPage = (html) => html.includes('action="/login"') && html.includes('name="password"');

/**
 * Opens `authorizationUrl` in the browser: signs in when the sign-in page is shown, then
 * follows the redirects until the client's redirect URI; returns that URL and whether the
 * sign-in page was shown.
 */
async function authorize(authorizationUrl) {
  let response = await browse(authorizationUrl);
  let signInShown = false;
  if (response.status === 200) {
    const html = await response.text();
    if (!isSignInPage(html)) throw new Error('/authorize answered 200 without the sign-in form');
    signInShown = true;
    if (!jar.has('__Host-csrf')) throw new Error('the sign-in page set no __Host-csrf cookie');
    const form = new URLSearchParams({
      csrf: hidden(html, 'csrf'),
      return_to: hidden(html, 'return_to'),
      email: input.email,
      password: input.password,
    });
    const posted = await browse(new URL('/login', base), { method: 'POST', body: form });
    if (posted.status !== 303) throw new Error(`the sign-in answered ${posted.status}, not 303`);
    if (!posted.headers.getSetCookie().some((c) => c.startsWith('__Host-session='))) {
      throw new Error('the sign-in set no __Host-session cookie');
    }
    response = await browse(location(posted));
  }
  if (response.status !== 302) throw new Error(`/authorize answered ${response.status}, not 302`);
  const callback = location(response);
  if (!callback.href.startsWith(redirectUri)) throw new Error(`redirected to ${callback}`);
  return { callback, signInShown };
}

/** A code + PKCE sign-in through openid-client; `extra` adds authorization parameters. */
async function codeFlow(config, extra = {}, checks = {}) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const { callback, signInShown } = await authorize(url);
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
    ...checks,
  });
  return { tokens, claims: tokens.claims(), nonce, signInShown };
}

let step = 'discovery';
try {
  const config = await client.discovery(
    issuer,
    input.client_id,
    { client_secret: input.client_secret },
    client.ClientSecretBasic(input.client_secret),
    {
      [client.customFetch]: rewriting,
      // http on loopback in the tests; then ID token signatures checked through the JWKS
      // (openid-client otherwise trusts the token endpoint's TLS, OIDC Core §3.1.3.7).
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    },
  );
  const steps = {};

  step = 'sign_in';
  fetched.length = 0;
  const first = await codeFlow(config);
  const userinfo = await client.fetchUserInfo(config, first.tokens.access_token, first.claims.sub);
  steps.sign_in = {
    sign_in_shown: first.signInShown,
    sub: first.claims.sub,
    iss: first.claims.iss,
    aud: first.claims.aud,
    nonce_sent: first.nonce,
    nonce: first.claims.nonce,
    auth_time: first.claims.auth_time,
    token_type: first.tokens.token_type,
    has_refresh_token: typeof first.tokens.refresh_token === 'string',
    userinfo_sub: userinfo.sub,
    userinfo_email: userinfo.email,
    fetched: [...new Set(fetched)],
  };

  step = 'reauthentication';
  // auth_time is in seconds: a sign-in more than a second later must show a later one.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const again = await codeFlow(config, { max_age: '0' }, { maxAge: 0 });
  steps.reauthentication = {
    sign_in_shown: again.signInShown,
    sub: again.claims.sub,
    auth_time: again.claims.auth_time,
  };

  step = 'refresh';
  const refreshed = await client.refreshTokenGrant(config, again.tokens.refresh_token);
  const refreshedInfo = await client.fetchUserInfo(config, refreshed.access_token, again.claims.sub);
  steps.refresh = {
    new_access_token: refreshed.access_token !== again.tokens.access_token,
    rotated: typeof refreshed.refresh_token === 'string' && refreshed.refresh_token !== again.tokens.refresh_token,
    userinfo_sub: refreshedInfo.sub,
  };

  step = 'logout';
  const logoutState = client.randomState();
  const endSession = client.buildEndSessionUrl(config, {
    id_token_hint: again.tokens.id_token,
    post_logout_redirect_uri: input.post_logout_redirect_uri,
    state: logoutState,
  });
  const session = jar.get('__Host-session');
  const signedOut = await browse(endSession);
  steps.logout = {
    had_session: session !== undefined,
    status: signedOut.status,
    location: signedOut.headers.get('location'),
    state_sent: logoutState,
    session_cleared: !jar.has('__Host-session'),
  };
  // prompt=none with the session the logout ended, its cookie sent again as a stale browser
  // would: openid-client must meet the error redirect (its state and iss checked) instead of
  // a code.
  if (session !== undefined) jar.set('__Host-session', session);
  const silentState = client.randomState();
  const silent = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid',
    prompt: 'none',
    state: silentState,
  });
  const silentCallback = location(await browse(silent));
  try {
    await client.authorizationCodeGrant(config, silentCallback, { expectedState: silentState });
    steps.logout.prompt_none = 'a code';
  } catch (error) {
    if (!(error instanceof client.AuthorizationResponseError)) throw error;
    steps.logout.prompt_none = error.error;
  }

  console.log(JSON.stringify({ ok: true, steps }));
} catch (error) {
  console.error(error);
  console.log(JSON.stringify({ ok: false, step, error: `${error.name}: ${error.message}`, code: error.code ?? null }));
  process.exit(1);
}
