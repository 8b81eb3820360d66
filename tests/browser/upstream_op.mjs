// An independent upstream OpenID provider for the social sign-in tests
// (tests/journeys/gateway_social.rs): panva's oidc-provider (OpenID Certified) playing
// "Google", on 127.0.0.1 at a free port, with one confidential client for the gateway (PKCE
// required, ID tokens carrying the e-mail and profile claims as Google's do).
//
// Its sign-in page is a plain form: the address to sign in as, whether the provider says it
// is verified, and "Cancel" (which answers the gateway with error=access_denied). The account
// is the address itself: `sub` is `google-<address>`, the names come from its local part
// (anna.muster@… → Anna Muster).
//
// MODE makes it misbehave, for the attack tests: `bad-signature` signs ID tokens with a key
// outside its JWKS (under the published key id), `wrong-audience` issues them for another
// client. Prints {"issuer": …} once listening; stops with stdin.
// Usage: node upstream_op.mjs REDIRECT_URI CLIENT_ID CLIENT_SECRET [MODE]
import http from 'node:http';
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';

const [redirectUri, clientId, clientSecret, mode = 'normal'] = process.argv.slice(2);

const signing = await generateKeyPair('RS256', { extractable: true });
const foreign = await generateKeyPair('RS256', { extractable: true });
const kid = 'upstream-key-1';
const jwk = { ...(await exportJWK(signing.privateKey)), kid, alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const names = (email) => {
  const [given = 'Fan', family = 'Upstream'] = email.split('@')[0].split('.');
  const title = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  return { given_name: title(given), family_name: title(family) };
};

// Whether the provider vouches for each account's address, as set at its last sign-in.
const verified = new Map();

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['upstream-test-cookie-key'] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'name'],
  },
  // Google puts the scopes' claims in the ID token.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const email = id.replace(/^google-/, '');
    const person = names(email);
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email,
          email_verified: verified.get(id) === true,
          ...person,
          name: `${person.given_name} ${person.family_name}`,
        };
      },
    };
  },
  // A first-party test provider: the fan is never asked to consent.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

// The attack modes rewrite the ID token of the token response.
provider.use(async (ctx, next) => {
  await next();
  if (mode === 'normal' || ctx.path !== '/token' || !ctx.body?.id_token) return;
  const claims = decodeJwt(ctx.body.id_token);
  let key = signing.privateKey;
  if (mode === 'bad-signature') key = foreign.privateKey;
  if (mode === 'wrong-audience') claims.aud = 'another-client';
  ctx.body = {
    ...ctx.body,
    id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key),
  };
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const loginPage = (uid) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in – Google (test)</title></head>
<body><main><h1>Sign in – Google (test)</h1>
<form method="post" action="/interaction/${escape(uid)}">
<label for="login">Email</label><input id="login" name="login" type="email" required>
<label><input type="checkbox" name="verified" value="yes" checked> Address verified</label>
<button type="submit" name="action" value="login">Next</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form></main></body></html>`;

const readForm = async (req) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
};

const callback = provider.callback();
server.on('request', async (req, res) => {
  const match = /^\/interaction\/([^/?]+)/.exec(req.url);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(loginPage(details.uid));
    }
    const form = await readForm(req);
    const result =
      form.get('action') === 'cancel'
        ? { error: 'access_denied', error_description: 'The fan cancelled the sign-in' }
        : { login: { accountId: `google-${form.get('login')}` } };
    verified.set(`google-${form.get('login')}`, form.get('verified') === 'yes');
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(error));
  }
});

process.stdout.on('error', () => {});
console.log(JSON.stringify({ issuer }));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
