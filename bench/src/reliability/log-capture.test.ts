import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateSecret } from '@kit/core';
import { createKeyWrapper, hkdf, keyAad, RefreshTokenCodec, sha256, utf8 } from '@kit/core/internal';
import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { type OutageProxy, proxyDatabase } from '@kit/test-support/tcp-proxy';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  claimsOf,
  errorOf,
  headerOf,
  login,
  postForm,
  postJson,
  refresh,
  revoke,
  send,
  type TokenResponse,
  withBearer,
} from './client.ts';
import { SecretScanner } from './secret-scanner.ts';
import { type ServerProcess, startServerProcess } from './start-server-process.ts';

/**
 * Every line the demo server prints in a full run (its stdout and stderr, so its JSON log lines,
 * the kit's, its routes' and an edge verifier's among them, console.* and whatever knex, MikroORM
 * or pg print on their own) holds no token, no secret, no hash, no password, no private key
 * material and no URL query. The run covers logins (good and bad), refreshes, the grace answer,
 * reuse detection, revocations, bad input of many kinds, an edge API whose verifier fetches the
 * JWKS and the revocation list (one of its JWKS URLs answering 404), a signing-key rotation, two
 * database outages (refused and black-holed connections) staged with a TCP proxy between the server
 * and PostgreSQL, and store failures (the kit's tables renamed away).
 */
describe('log capture of a full run of the demo server', () => {
  let db: TestDatabase;
  let proxy: OutageProxy;
  let server: ServerProcess;
  const secret = generateSecret();
  const wrongPassword = `wrong-password-${randomBytes(6).toString('hex')}`;
  /** In the query of the edge verifier's URLs: a credential a careless host puts there. */
  const edgeUrlSecret = `edge-${randomBytes(12).toString('hex')}`;
  /** Every token the server handed out, as the client received it. */
  const accessTokens = new Set<string>();
  const refreshTokens = new Set<string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    const through = await proxyDatabase(db.url);
    proxy = through.proxy;
    server = await startServerProcess({
      databaseUrl: through.url,
      secret,
      databaseTimeoutMs: 1000,
      // A rotated key signs 2 s later, and the key ring and the pruner hit the database every
      // second: both fail, and log, while the database is away.
      keyRefreshSeconds: 1,
      jwksMaxAgeSeconds: 1,
      pruneIntervalSeconds: 1,
      reuseGraceSeconds: 5,
      accessTokenTtlSeconds: 300,
      edgeUrlSecret,
    });
  }, 60_000);

  afterAll(async () => {
    await proxy?.restore();
    await server?.stop();
    await proxy?.close();
    await db?.drop();
  });

  /** Keeps the tokens of a token response (body or cookie) for the scan. */
  function keep(answer: Answer): TokenResponse | undefined {
    const cookie = answer.headers.get('set-cookie')?.match(/kit_refresh=(kit_rt_[A-Za-z0-9_-]+)/)?.[1];
    if (cookie) refreshTokens.add(cookie);
    if (answer.status !== 200) return undefined;
    const body = JSON.parse(answer.text) as Partial<TokenResponse>;
    if (body.access_token) accessTokens.add(body.access_token);
    if (body.refresh_token) refreshTokens.add(body.refresh_token);
    return body as TokenResponse;
  }
  const loginAs = async (username: 'alice' | 'bob') => {
    const answer = await login(server.url, username, `${username}-password`);
    expect(answer.status).toBe(200);
    return keep(answer) as TokenResponse;
  };
  const rotate = async (tokens: TokenResponse) => {
    const answer = await refresh(server.url, tokens.refresh_token);
    expect(answer.status).toBe(200);
    return keep(answer) as TokenResponse;
  };
  const expectError = (answer: Answer, status: number, error: string) => {
    expect(answer.status).toBe(status);
    expect(errorOf(answer)).toBe(error);
  };

  it('holds no token, secret, hash, password or private key in any line', { timeout: 120_000 }, async () => {
    const base = server.url;

    // Logins, refreshes, the grace answer, Bearer routes.
    const alice = [await loginAs('alice'), await loginAs('alice'), await loginAs('alice')];
    const bob = [await loginAs('bob'), await loginAs('bob')];
    for (let i = 0; i < alice.length; i++) {
      let tokens = alice[i]!;
      for (let n = 0; n < 3; n++) tokens = await rotate(tokens);
      alice[i] = tokens;
      expect((await withBearer(base, '/me', tokens.access_token)).status).toBe(200);
    }
    const parent = alice[0]!;
    alice[0] = await rotate(parent);
    const grace = await refresh(base, parent.refresh_token);
    expect(keep(grace)?.refresh_token).toBe(alice[0].refresh_token);
    expect((await withBearer(base, '/sessions', bob[0]!.access_token)).status).toBe(200);
    // The edge API: its verifier fetches the JWKS and the revocation list; a JWKS URL that answers
    // 404 fails the request with 503, logged by the verifier and by the middleware.
    expect((await withBearer(base, '/edge/me', bob[0]!.access_token)).status).toBe(200);
    expect((await withBearer(base, '/edge/broken', bob[0]!.access_token)).status).toBe(503);

    // Cookie mode: the refresh token travels in a cookie.
    const cookieLogin = await postJson(
      base,
      '/login',
      { username: 'bob', password: 'bob-password' },
      { 'x-kit-cookie': '1', origin: base },
    );
    expect(cookieLogin.status).toBe(200);
    keep(cookieLogin);
    const cookie = cookieLogin.headers.get('set-cookie')?.split(';')[0] as string;
    const byCookie = await send(base, '/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie,
        'x-kit-cookie': '1',
        origin: base,
      },
      body: 'grant_type=refresh_token',
    });
    expect(byCookie.status).toBe(200);
    keep(byCookie);
    // The same cookie without the CSRF header.
    expectError(
      await send(base, '/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: 'grant_type=refresh_token',
      }),
      400,
      'invalid_request',
    );

    // Reuse detection: a token two rotations old revokes its session; the current one stops working.
    const victim = alice[1]!;
    const stolen = victim.refresh_token;
    const next = await rotate(victim);
    const latest = await rotate(next);
    expectError(await refresh(base, stolen), 400, 'invalid_grant');
    expectError(await refresh(base, latest.refresh_token), 400, 'invalid_grant');
    expect((await withBearer(base, '/sessions', latest.access_token)).status).toBe(401);

    // Revocations: RFC 7009 (current token, unknown token, an access token), a session of the
    // list, and logout of the others.
    expect((await revoke(base, alice[2]!.refresh_token)).status).toBe(200);
    expect((await revoke(base, `kit_rt_${randomBytes(69).toString('base64url')}`)).status).toBe(200);
    expect((await revoke(base, bob[0]!.access_token)).status).toBe(200);
    const bobSid = claimsOf(bob[1]!.access_token).sid;
    expect((await withBearer(base, `/sessions/${bobSid}`, bob[0]!.access_token, 'DELETE')).status).toBe(204);
    expect((await withBearer(base, '/logout?scope=others', alice[0]!.access_token, 'POST')).status).toBe(204);

    // Bad input of every kind, much of it carrying a real token or password.
    const token = alice[0]!.refresh_token;
    const access = alice[0]!.access_token;
    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expectError(await refresh(base, tampered), 400, 'invalid_grant');
    expectError(await refresh(base, token.slice(0, 40)), 400, 'invalid_grant');
    expectError(await refresh(base, access), 400, 'invalid_grant');
    expectError(
      await send(base, '/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=refresh_token&refresh_token=${token}&refresh_token=${token}`,
      }),
      400,
      'invalid_request',
    );
    expectError(
      await postJson(
        base,
        '/token',
        `{"grant_type":"refresh_token","refresh_token":"${token}","refresh_token":"${token}"}`,
      ),
      400,
      'invalid_request',
    );
    expectError(await postJson(base, '/token', `{"refresh_token":"${token}"`), 400, 'invalid_request');
    expectError(
      await send(base, '/token', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: token }),
      400,
      'invalid_request',
    );
    expectError(
      await postForm(base, '/token', {
        grant_type: 'password',
        username: 'alice',
        password: 'alice-password',
      }),
      400,
      'unsupported_grant_type',
    );
    expectError(
      await postForm(base, '/token', { grant_type: 'refresh_token', refresh_token: token.repeat(200) }),
      413,
      'invalid_request',
    );
    // RFC 7009: an invalid token is not an error at /revoke.
    expect((await postForm(base, '/revoke', { token: `${token}\u0000` })).status).toBe(200);
    expectError(await postForm(base, '/revoke', { token: '' }), 400, 'invalid_request');
    expect((await login(base, 'alice', wrongPassword)).status).toBe(401);
    expect((await login(base, 'mallory', 'alice-password')).status).toBe(401);
    expectError(
      await postJson(base, '/login', `{"username":"alice","password":"alice-password"`),
      400,
      'invalid_request',
    );
    expectError(
      await postJson(base, '/login', { username: 'alice', password: 'alice-password'.repeat(2000) }),
      413,
      'invalid_request',
    );
    expect((await withBearer(base, '/me', token)).status).toBe(401);
    expect((await withBearer(base, '/me', `${access.slice(0, -4)}AAAA`)).status).toBe(401);
    expect((await withBearer(base, '/sessions', `${access.split('.').slice(0, 2).join('.')}.`)).status).toBe(
      401,
    );
    const basic = Buffer.from('alice:alice-password').toString('base64');
    expect(
      (await send(base, '/me', { headers: { authorization: `Basic ${basic}` } })).status,
    ).toBeGreaterThanOrEqual(400);
    expect((await send(base, `/${token}`)).status).toBe(404);
    expect((await send(base, `/me?access_token=${access}`)).status).toBe(401);
    expect((await withBearer(base, '/sessions/not-a-session', access, 'DELETE')).status).toBe(404);

    // A signing-key rotation: the new key is published at once and signs after the lead time.
    const oldKid = headerOf(access).kid;
    const rotated = await server.rotateKeys();
    expect(rotated.kid).not.toBe(oldKid);
    let signedByNew: TokenResponse | undefined;
    for (let i = 0; i < 40 && !signedByNew; i++) {
      const tokens = await rotate(alice[0]!);
      alice[0] = tokens;
      if (headerOf(tokens.access_token).kid === rotated.kid) signedByNew = tokens;
      else await sleep(250);
    }
    expect(signedByNew, 'a token signed by the rotated key').toBeDefined();
    expect((await withBearer(base, '/me', signedByNew!.access_token)).status).toBe(200);
    expect((await withBearer(base, '/me', access)).status).toBe(200);

    // Two database outages: refused, then black-holed connections.
    const survivors = [alice[0]!, bob[0]!];
    for (const mode of ['refuse', 'blackhole'] as const) {
      await proxy.cut(mode);
      for (let round = 0; round < 2; round++) {
        expectError(await refresh(base, survivors[0]!.refresh_token), 503, 'temporarily_unavailable');
        expectError(await login(base, 'bob', 'bob-password'), 503, 'temporarily_unavailable');
        expectError(
          await withBearer(base, '/sessions', survivors[1]!.access_token),
          503,
          'temporarily_unavailable',
        );
        expectError(await revoke(base, survivors[1]!.refresh_token), 503, 'temporarily_unavailable');
        expect((await withBearer(base, '/me', survivors[1]!.access_token)).status).toBe(200);
        // The revocation list cannot be read: the edge verifier fails open, and logs it.
        expect((await withBearer(base, '/edge/me', survivors[1]!.access_token)).status).toBe(200);
        // The key ring's reload and the pruner run meanwhile, and fail.
        await sleep(1200);
      }
      await proxy.restore();
      let back = false;
      for (let i = 0; i < 50 && !back; i++) {
        back = (await withBearer(base, '/sessions', survivors[1]!.access_token)).status === 200;
        if (!back) await sleep(200);
      }
      expect(back, `the server answers again after the ${mode} outage`).toBe(true);
      for (let i = 0; i < survivors.length; i++) survivors[i] = await rotate(survivors[i]!);
    }

    // A store failure that is not an outage: the kit's tables are gone for a moment. Driver
    // errors now carry SQL (with bound values, where a query builder formats them in).
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query('alter table kit_sessions rename to kit_sessions_away');
      await admin.query('alter table kit_signing_keys rename to kit_signing_keys_away');
      expectError(await refresh(base, survivors[0]!.refresh_token), 500, 'server_error');
      expectError(await login(base, 'alice', 'alice-password'), 500, 'server_error');
      expectError(await withBearer(base, '/sessions', survivors[1]!.access_token), 500, 'server_error');
      await expect(server.rotateKeys()).rejects.toThrow();
      await sleep(1200);
    } finally {
      await admin.query('alter table if exists kit_sessions_away rename to kit_sessions');
      await admin.query('alter table if exists kit_signing_keys_away rename to kit_signing_keys');
      await admin.end();
    }
    for (let i = 0; i < survivors.length; i++) survivors[i] = await rotate(survivors[i]!);
    await loginAs('bob');
    await server.stop();

    // What must never appear.
    const scanner = new SecretScanner();
    const secretBytes = utf8(secret);
    scanner.add('KIT_SECRET', secret);
    scanner.addBytes('KIT_SECRET bytes', secretBytes);
    scanner.addBytes('KIT_SECRET decoded', Buffer.from(secret, 'base64url'));
    for (const label of [
      'kit refresh-token tag v1',
      'kit refresh-token chain v1',
      'kit signing-key wrap v1',
    ]) {
      scanner.addBytes(`key derived from KIT_SECRET (${label})`, await hkdf(secretBytes, label));
    }
    for (const password of ['alice-password', 'bob-password', wrongPassword])
      scanner.add('password', password);
    scanner.add('password (Basic credentials)', basic);
    scanner.add("the edge verifier's URL query", edgeUrlSecret);
    const codec = await RefreshTokenCodec.create(secretBytes);
    for (const refreshToken of refreshTokens) {
      scanner.add('refresh token', refreshToken);
      const parts = await codec.decode(refreshToken);
      scanner.addBytes('refresh-token secret', parts.secret);
      scanner.addBytes('refresh-token secret hash', await sha256(parts.secret));
    }
    for (const accessToken of accessTokens) {
      scanner.add('access token', accessToken);
      for (const segment of accessToken.split('.')) scanner.add('access-token segment', segment);
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const privateDs: string[] = [];
    try {
      const hashes = await client.query<{ secret_hash: Buffer }>('select secret_hash from kit_sessions');
      for (const row of hashes.rows) scanner.addBytes('secret hash of the database', row.secret_hash);
      const keys = await client.query<{ kid: string; alg: string; encrypted_key: Buffer }>(
        'select kid, alg, encrypted_key from kit_signing_keys',
      );
      const wrapper = await createKeyWrapper(secretBytes);
      for (const row of keys.rows) {
        scanner.addBytes('encrypted private key', row.encrypted_key);
        const jwk = JSON.parse(
          new TextDecoder().decode(await wrapper.decrypt(row.encrypted_key, keyAad(row.kid, row.alg))),
        ) as { d: string };
        scanner.add('private JWK d', jwk.d);
        scanner.addBytes('private key bytes', Buffer.from(jwk.d, 'base64url'));
        privateDs.push(jwk.d);
      }
    } finally {
      await client.end();
    }
    // The first key and the rotated one.
    expect(privateDs).toHaveLength(2);

    const lines = server.lines.map((l) => l.text);
    const stdout = server.lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
    const stderr = server.lines.filter((l) => l.stream === 'stderr').map((l) => l.text);
    console.log(
      `log capture: ${lines.length} lines (${stdout.length} stdout, ${stderr.length} stderr) scanned for ` +
        `${scanner.size} values (${accessTokens.size} access tokens, ${refreshTokens.size} refresh tokens, ` +
        `${privateDs.length} private keys) in every fragment of 16 characters, and for secret shapes`,
    );

    // Standard output is the demo's log: one plain line that scripts wait for, then JSON (pino),
    // the database client's lines among them.
    const has = (stream: string[], pattern: RegExp) => stream.some((line) => pattern.test(line));
    expect(has(stdout, /^listening on http:\/\/127\.0\.0\.1:\d+$/)).toBe(true);
    const entries = stdout
      .filter((line) => !line.startsWith('listening on ') && line !== 'stopped')
      .map((line, index) => {
        try {
          return JSON.parse(line) as { level: string; component?: string; code?: string; msg: string };
        } catch {
          throw new Error(`stdout line ${index} is not JSON`);
        }
      });
    for (const entry of entries) expect(typeof entry.msg).toBe('string');
    // The capture saw every source: the demo's own lines and the kit's (its routes', its key
    // ring's, its pruner's, and its database client's during the outage).
    const logged = (component: string, msg: RegExp, code?: string) =>
      entries.some(
        (entry) =>
          entry.component === component && msg.test(entry.msg) && (code === undefined || entry.code === code),
      );
    expect(logged('demo', /^reuse detected: session [0-9a-f-]{36} revoked$/)).toBe(true);
    expect(logged('kit', /^kit: request failed$/, 'ERR_STORE_UNAVAILABLE')).toBe(true);
    expect(logged('kit', /^kit: reloading signing keys failed$/, 'ERR_STORE_UNAVAILABLE')).toBe(true);
    expect(logged('kit', /^kit: session pruning failed$/)).toBe(true);
    expect(logged('kit', /^kit: request failed$/, 'ERR_STORE_FAILURE')).toBe(true);
    expect(logged('kit', /^kit: database client warning$/, 'connection_error')).toBe(true);
    // The edge verifier's lines and its middleware's: a fetch of each kind failed, and was answered.
    expect(logged('edge', /^kit: fetching the JWKS failed$/, 'ERR_JWKS_FETCH_FAILED')).toBe(true);
    expect(logged('edge', /^kit: fetching the revocation list failed$/, 'ERR_JWKS_FETCH_FAILED')).toBe(true);
    expect(logged('edge', /^kit: request failed$/, 'ERR_JWKS_FETCH_FAILED')).toBe(true);
    expect(stderr).toEqual([]);

    const findings = scanner.scan(lines);
    expect(findings.map((f) => `${f.kind}: ${f.redacted}`)).toEqual([]);

    // The scan can fail: each kind of value planted in a line (whole, or a fragment of one) is found.
    const someRefresh = [...refreshTokens][0]!;
    const someParts = await codec.decode(someRefresh);
    const someAccess = [...accessTokens][0]!;
    const planted: [string, string][] = [
      ['refresh token', `refresh failed for ${someRefresh}`],
      ['access-token segment', `bad signature ${someAccess.split('.')[2]!.slice(10, 30)}...`],
      ['refresh-token secret', `secret=${Buffer.from(someParts.secret).toString('hex')}`],
      [
        'refresh-token secret hash',
        `where secret_hash = '${Buffer.from(await sha256(someParts.secret)).toString('base64')}'`,
      ],
      ['KIT_SECRET', `config ${JSON.stringify({ secret })}`],
      ['password', `login alice:${wrongPassword}`],
      ['private JWK d', `imported key ${privateDs[0]!.slice(0, 20)}`],
      ['JWK private member', `{"kty":"EC","crv":"P-256","d":"${'Q'.repeat(43)}"}`],
      ['PEM private key', '-----BEGIN PRIVATE KEY-----'],
      ["the edge verifier's URL query", `fetching ${base}/.well-known/jwks.json?key=${edgeUrlSecret}`],
    ];
    for (const [kind, line] of planted) {
      const found = scanner.scan([...lines, line]);
      expect(found, kind).toHaveLength(1);
      expect(found[0]!.line, kind).toBe(lines.length);
      expect(found[0]!.redacted).toContain('[REDACTED]');
    }
  });
});
