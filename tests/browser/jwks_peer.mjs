// An independent relying party for the key-rotation test (tests/journeys/gateway_rotation.rs):
// verifies ID tokens read from stdin, one per line, with jose's createRemoteJWKSet, which
// re-fetches the JWKS when a token names a kid it does not hold. Prints one JSON line per
// input: {"ok":true,"kid":...} or {"ok":false,"code":...}. The line `forget` drops the cached
// JWKS, as a peer started afresh would.
// Usage: node jwks_peer.mjs JWKS_URL ISSUER AUDIENCE
import readline from 'node:readline';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [jwksUrl, issuer, audience] = process.argv.slice(2);
// No cool-down between fetches: the test rotates within seconds, not hours.
const load = () => createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 0 });
let keys = load();

for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line === 'forget') {
    keys = load();
    console.log(JSON.stringify({ ok: true }));
    continue;
  }
  try {
    const { protectedHeader } = await jwtVerify(line, keys, { issuer, audience, algorithms: ['RS256'] });
    console.log(JSON.stringify({ ok: true, kid: protectedHeader.kid }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, code: error.code ?? String(error) }));
  }
}
