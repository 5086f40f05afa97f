#!/usr/bin/env node
// Smoke test of a running demo: log in, refresh, replay inside the grace window, verify, JWKS,
// sessions, metadata, revocation, the web page and the kit's counters at /metrics.
const base = process.argv[2] ?? 'http://127.0.0.1:3000';

async function call(path, init) {
  const response = await fetch(base + path, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}
function check(condition, what) {
  if (!condition) {
    console.error(`demo smoke test failed: ${what}`);
    process.exit(1);
  }
}
const json = (body) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const jwks = await call('/.well-known/jwks.json');
check(jwks.status === 200 && jwks.body.keys.length > 0 && !('d' in jwks.body.keys[0]), 'JWKS');
const bad = await call('/login', json({ username: 'alice', password: 'wrong' }));
check(bad.status === 401 && bad.body.error === 'invalid_credentials', 'wrong password refused');
const login = await call('/login', json({ username: 'alice', password: 'alice-password' }));
check(login.status === 200 && login.body.refresh_token.startsWith('kit_rt_'), 'login');
const form = (token) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
});
const first = await call('/token', form(login.body.refresh_token));
check(first.status === 200 && first.headers.get('cache-control') === 'no-store', 'refresh');
const retry = await call('/token', form(login.body.refresh_token));
check(retry.status === 200 && retry.body.refresh_token === first.body.refresh_token, 'grace replay');
const me = await call('/me', { headers: { authorization: `Bearer ${first.body.access_token}` } });
check(me.status === 200 && me.body.sub === 'user_alice', '/me');
const sessions = await call('/sessions', { headers: { authorization: `Bearer ${first.body.access_token}` } });
check(sessions.status === 200 && sessions.body.sessions.some((s) => s.current), '/sessions');
// No credentials: the demo's kit does DPoP, so the challenge offers both schemes (RFC 9449 §7.1).
const anonymous = await call('/sessions');
check(
  anonymous.status === 401 &&
    /^Bearer, DPoP algs="[A-Za-z0-9 ]+"$/.test(anonymous.headers.get('www-authenticate') ?? ''),
  '/sessions challenge',
);
const metadata = await call('/.well-known/oauth-authorization-server');
check(metadata.status === 200 && metadata.body.token_endpoint === `${base}/token`, 'metadata');
const revoke = await call('/revoke', {
  ...form(''),
  body: new URLSearchParams({ token: first.body.refresh_token }).toString(),
});
check(revoke.status === 200, '/revoke');
const afterRevoke = await call('/token', form(first.body.refresh_token));
check(afterRevoke.status === 400 && afterRevoke.body.error === 'invalid_grant', 'revoked session refused');
const page = await fetch(`${base}/`);
check(page.status === 200 && (await page.text()).includes('id="timeline"'), 'web page');
const garbage = await call('/token', form('kit_rt_garbage'));
check(garbage.status === 400 && garbage.body.error === 'invalid_grant', 'garbage token refused');
// The kit's counters, as the demo serves them: the refresh, the grace answer, the garbage token.
const metrics = await fetch(`${base}/metrics`);
const text = await metrics.text();
const counted = (outcome) =>
  text
    .split('\n')
    .some(
      (line) =>
        line.startsWith('kit_refreshes_total{') &&
        line.includes(`outcome="${outcome}"`) &&
        !line.endsWith(' 0'),
    );
check(
  metrics.status === 200 && counted('rotated') && counted('grace') && counted('invalid'),
  '/metrics counts refreshes by outcome',
);
console.log('demo smoke test passed');
