/**
 * `pnpm --filter @kit/example-edge-worker verify <access token>`: runs the Worker in workerd,
 * Cloudflare's runtime, on this machine (through miniflare), and sends it one request with the
 * token. The Worker fetches the JWKS of the Hono example on http://127.0.0.1:3001 (`AUTH_ORIGIN`
 * to change it) and verifies the token there.
 *
 * Prints the Worker's answer; exits 0 when it is a 200.
 */
import { Miniflare } from 'miniflare';
import { bundleWorker } from './bundle-worker.ts';

const token = process.argv[2];
if (!token) {
  console.error('usage: pnpm --filter @kit/example-edge-worker verify <access token>');
  process.exit(2);
}
const origin = process.env.AUTH_ORIGIN || 'http://127.0.0.1:3001';
const mf = new Miniflare({
  modules: true,
  script: (await bundleWorker()).code,
  compatibilityDate: '2026-04-01',
  bindings: {
    ISSUER: process.env.KIT_ISSUER || origin,
    AUDIENCE: process.env.KIT_AUDIENCE || origin,
    JWKS_URL: `${origin}/.well-known/jwks.json`,
  },
});
try {
  const response = await mf.dispatchFetch('http://worker.local/', {
    headers: { authorization: `Bearer ${token}` },
  });
  console.log(`workerd answered ${response.status}: ${await response.text()}`);
  process.exitCode = response.status === 200 ? 0 : 1;
} finally {
  await mf.dispose();
}
