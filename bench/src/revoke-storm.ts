/**
 * `pnpm --filter @kit/bench revoke-storm`: what a crowd of `POST /revoke` calls with old tokens of
 * one long-rotated session costs.
 *
 * One session is rotated `REVOKE_STORM_ROTATIONS` times (default 30,000). Rotating it through
 * `kit.refresh` would take minutes, so the chain is derived here with the kit's own codec and the
 * row is set to the last link, exactly what that many refreshes leave behind (one row, the hash of
 * the current secret, the generation). Then `REVOKE_STORM_CALLS` (default 300) requests, each with
 * a different genuine token among the oldest (generations 0, 1, 2, ...), are sent at once to
 * `POST /revoke` of the kit's Hono routes (in process, `app.request`, so only the server's work is
 * timed). Every answer must be 200, and the session must end up revoked once.
 *
 * Printed: wall time until the last answer, chain links derived (calls of the codec's `successor`,
 * one HMAC-SHA-256 each), and how many of the calls walked the chain. Environment: `DATABASE_URL`
 * (unset: an embedded PostgreSQL), `REVOKE_STORM_ROTATIONS`, `REVOKE_STORM_CALLS`. Writes
 * `bench/results/revoke-storm-latest.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createAuthKit, generateSecret, generateSigningKeys } from '@kit/core';
import { RefreshTokenCodec, type RefreshTokenParts, sha256, utf8 } from '@kit/core/internal';
import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
import { createKitRoutes } from '@kit/hono';
import { openBenchDatabase, withClient } from './database.ts';

const log = (line: string) => console.error(`revoke-storm: ${line}`);

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number.`);
  return value;
}

const rotations = count('REVOKE_STORM_ROTATIONS', 30_000);
const calls = count('REVOKE_STORM_CALLS', 300);
if (calls > rotations) throw new Error('REVOKE_STORM_CALLS must not exceed REVOKE_STORM_ROTATIONS.');

const db = await openBenchDatabase(log);
const orm = await createKitOrm({ databaseUrl: db.url, poolSize: 10 });
try {
  await migrate(orm);
  const secret = generateSecret();
  const kit = await createAuthKit({
    issuer: 'https://auth.bench',
    audience: 'https://api.bench',
    secret,
    signingKeys: await generateSigningKeys(),
    store: createMikroOrmStore({ orm }),
  });
  const app = createKitRoutes(kit);

  // The chain of one session, derived as `rotations` refreshes would have derived it.
  const first = await kit.createSession({ userId: 'storm' });
  const codec = await RefreshTokenCodec.create(utf8(secret));
  let link: RefreshTokenParts = await codec.decode(first.refreshToken);
  const oldTokens: string[] = [first.refreshToken];
  const built = performance.now();
  for (let generation = 1; generation <= rotations; generation++) {
    link = await codec.successor(link);
    if (generation < calls) oldTokens.push(await codec.encode(link));
  }
  const secretHash = await sha256(link.secret);
  await withClient(db.url, (client) =>
    client.query(
      'update kit_sessions set generation = $2, secret_hash = $3, rotated_at = last_refreshed_at where id = $1',
      [first.session.id, rotations, Buffer.from(secretHash)],
    ),
  );
  const linkMs = (performance.now() - built) / rotations;
  log(`session rotated ${rotations} times (${(linkMs * 1000).toFixed(1)} µs per link here)`);

  // Count chain links derived by the server from here on: one HMAC each.
  let links = 0;
  const successor = RefreshTokenCodec.prototype.successor;
  RefreshTokenCodec.prototype.successor = function (this: RefreshTokenCodec, parts: RefreshTokenParts) {
    links++;
    return successor.call(this, parts);
  };

  const started = performance.now();
  const finished: number[] = [];
  const statuses = await Promise.all(
    oldTokens.map(async (token) => {
      const response = await app.request('/revoke', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      finished.push(performance.now() - started);
      return response.status;
    }),
  );
  const wallMs = performance.now() - started;
  RefreshTokenCodec.prototype.successor = successor;

  const status = (await kit.sessions.get(first.session.id))?.status;
  if (statuses.some((s) => s !== 200)) throw new Error(`an answer was not 200: ${[...new Set(statuses)]}`);
  if (status !== 'revoked') throw new Error(`the session is ${status}, not revoked`);
  finished.sort((a, b) => a - b);
  const result = {
    when: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    database: { source: db.source, version: db.version },
    rotations,
    calls,
    wallMs: Math.round(wallMs),
    firstAnswerMs: Math.round(finished[0]!),
    medianAnswerMs: Math.round(finished[Math.floor(finished.length / 2)]!),
    linksDerived: links,
    walksEquivalent: Number((links / rotations).toFixed(2)),
    linkMicroseconds: Number((linkMs * 1000).toFixed(2)),
  };
  console.log(JSON.stringify(result, null, 2));
  log(
    `${calls} concurrent revokes: last answer after ${result.wallMs} ms, ${links} chain links derived ` +
      `(${result.walksEquivalent} walks of the whole chain)`,
  );
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../results/revoke-storm-latest.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  await kit.close();
} finally {
  await orm.close();
  await db.close();
}
