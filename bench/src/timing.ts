/**
 * `pnpm --filter @kit/bench timing`: do failed refreshes tell by their duration why they failed?
 *
 * The demo server runs in a child process (reliability/server-process.ts) on a fresh
 * database. Three kinds of refresh token that must all get the same 400 `invalid_grant` are sent to
 * `POST /token`, each a token the server itself could have minted (a valid tag), so every one
 * reaches the database:
 *
 * - `unknown`: the token of a session whose row is gone;
 * - `wrong-secret`: the session's current generation with a secret it never had (forged with the
 *   server secret, which only the server holds: the only way to reach the hash comparison);
 * - `revoked`: the current token of a revoked session.
 *
 * A fourth kind, `malformed` (one character changed, so the tag check refuses it before any
 * database access), is a reference: a path that is truly different, which the comparison must tell
 * apart, showing how small a difference it can see.
 *
 * The requests of all kinds are shuffled together and sent one at a time on one keep-alive
 * connection, so drift (other work on the machine, autovacuum, JIT) weighs on every kind alike.
 * Every answer is checked to be byte-identical. Per kind: p50/p90/p99 of the client-side latency.
 * Per pair: the difference of medians with a 95% bootstrap interval, and the two-sample
 * Kolmogorov-Smirnov statistic D with its asymptotic p-value. An A/A control (one kind split at
 * random in two) shows what "no difference" looks like on this machine.
 *
 * A second pass sends the same tokens straight to `kit.refresh` of a kit in this process on the
 * same database and secret: without HTTP and a second process in the way, it resolves differences
 * of microseconds, which tells whether the paths differ at all, however little.
 *
 * Environment: `DATABASE_URL` (as `pnpm bench`; unset: an embedded PostgreSQL), `TIMING_REQUESTS`
 * (per kind, default 3000), `TIMING_SESSIONS` (tokens per kind, default 50), `TIMING_PASSES`
 * (default `http,kit`). Writes
 * `bench/results/timing-latest.json`.
 */

import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { createAuthKit, generateSecret, generateSigningKeys } from '@kit/core';
import { RefreshTokenCodec, utf8 } from '@kit/core/internal';
import { createKitOrm, createMikroOrmStore } from '@kit/core/mikro-orm';
import pg from 'pg';
import { openBenchDatabase } from './database.ts';
import { quantile } from './quantile.ts';
import { startServerProcess } from './reliability/start-server-process.ts';

const KINDS = ['unknown', 'wrong-secret', 'revoked', 'malformed'] as const;
type Kind = (typeof KINDS)[number];
/** The kinds that must be indistinguishable. */
const SAME = ['unknown', 'wrong-secret', 'revoked'] as const;

const log = (line: string) => console.error(`timing: ${line}`);

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number.`);
  return value;
}

/** One `POST /token` on a keep-alive connection: status, body and nanoseconds to the last byte. */
function post(
  agent: http.Agent,
  port: number,
  body: string,
): Promise<{ status: number; text: string; ns: bigint }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/token',
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            ns: process.hrtime.bigint() - start,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const sortedCopy = (values: Float64Array) => Float64Array.from(values).sort();

/** Median of a resample (with replacement) of `values`. */
function resampledMedian(values: Float64Array, scratch: Float64Array): number {
  for (let i = 0; i < values.length; i++) scratch[i] = values[Math.floor(Math.random() * values.length)]!;
  scratch.sort();
  return quantile(scratch, 0.5);
}

/** Difference of medians `a - b` and its 95% percentile-bootstrap interval. */
function medianDifference(a: Float64Array, b: Float64Array, resamples = 2000) {
  const sa = new Float64Array(a.length);
  const sb = new Float64Array(b.length);
  const diffs = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) diffs[i] = resampledMedian(a, sa) - resampledMedian(b, sb);
  diffs.sort();
  return {
    difference: quantile(sortedCopy(a), 0.5) - quantile(sortedCopy(b), 0.5),
    low: quantile(diffs, 0.025),
    high: quantile(diffs, 0.975),
  };
}

/** Two-sample Kolmogorov-Smirnov statistic and its asymptotic p-value. */
function kolmogorovSmirnov(a: Float64Array, b: Float64Array): { d: number; p: number } {
  const x = sortedCopy(a);
  const y = sortedCopy(b);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const en = Math.sqrt((x.length * y.length) / (x.length + y.length));
  const lambda = (en + 0.12 + 0.11 / en) * d;
  let p = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
    p += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return { d, p: Math.min(1, Math.max(0, p)) };
}

interface Distribution {
  requests: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
}

function describe(values: Float64Array): Distribution {
  const sorted = sortedCopy(values);
  return {
    requests: values.length,
    meanUs: values.reduce((s, v) => s + v, 0) / values.length,
    p50Us: quantile(sorted, 0.5),
    p90Us: quantile(sorted, 0.9),
    p99Us: quantile(sorted, 0.99),
  };
}

function comparison(name: string, a: Float64Array, b: Float64Array) {
  const median = medianDifference(a, b);
  const ks = kolmogorovSmirnov(a, b);
  return {
    name,
    medianDifferenceUs: median.difference,
    ci95Us: [median.low, median.high] as [number, number],
    ksD: ks.d,
    ksP: ks.p,
    /** No evidence of a difference at the 1% level, by either test. */
    indistinguishable: ks.p > 0.01 && median.low <= 0 && median.high >= 0,
  };
}

type Send = (kind: Kind, i: number) => Promise<number>;

/** One measured pass: every kind's distribution and the comparisons. */
interface Pass {
  name: string;
  seconds: number;
  loadAverage: { start: number[]; end: number[] };
  distributions: Record<Kind, Distribution>;
  comparisons: ReturnType<typeof comparison>[];
  control: ReturnType<typeof comparison>;
  reference: ReturnType<typeof comparison>[];
}

/** Warms up, then sends `perKind` of each kind in one shuffled sequence, and compares. */
async function measure(name: string, send: Send, counts: { perKind: number; warmup: number }): Promise<Pass> {
  const schedule = (n: number) =>
    shuffle(KINDS.flatMap((kind) => Array.from({ length: n }, (_, i) => ({ kind, i }))));
  log(`${name}: warm-up, ${counts.warmup} of each kind`);
  for (const { kind, i } of schedule(counts.warmup)) await send(kind, i);
  log(`${name}: measuring ${counts.perKind} of each kind, shuffled, one at a time`);
  const samples = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
  const start = os.loadavg();
  const began = Date.now();
  for (const { kind, i } of schedule(counts.perKind)) samples.get(kind)!.push(await send(kind, i));
  const seconds = (Date.now() - began) / 1000;

  const values = new Map<Kind, Float64Array>(KINDS.map((k) => [k, Float64Array.from(samples.get(k)!)]));
  const comparisons = [];
  for (let a = 0; a < SAME.length; a++) {
    for (let b = a + 1; b < SAME.length; b++) {
      comparisons.push(comparison(`${SAME[a]} vs ${SAME[b]}`, values.get(SAME[a]!)!, values.get(SAME[b]!)!));
    }
  }
  // The control: one kind split at random, a difference that is certainly not there.
  const control = shuffle([...samples.get('revoked')!]);
  const half = Math.floor(control.length / 2);
  return {
    name,
    seconds,
    loadAverage: { start, end: os.loadavg() },
    distributions: Object.fromEntries(KINDS.map((k) => [k, describe(values.get(k)!)])) as Record<
      Kind,
      Distribution
    >,
    comparisons,
    control: comparison(
      'A/A control: revoked vs revoked (random halves)',
      Float64Array.from(control.slice(0, half)),
      Float64Array.from(control.slice(half)),
    ),
    reference: SAME.map((k) =>
      comparison(`${k} vs malformed (no database)`, values.get(k)!, values.get('malformed')!),
    ),
  };
}

function formatPass(pass: Pass): string {
  const us = (v: number) => `${v.toFixed(0).padStart(7)} µs`;
  const perKind = pass.distributions.unknown.requests;
  return [
    `${pass.name}: ${perKind} per kind in ${pass.seconds.toFixed(1)} s; load average ${pass.loadAverage.start
      .map((l) => l.toFixed(2))
      .join(' ')} at the start, ${pass.loadAverage.end.map((l) => l.toFixed(2)).join(' ')} at the end`,
    `${'kind'.padEnd(14)}${'p50'.padStart(11)}${'p90'.padStart(11)}${'p99'.padStart(11)}${'mean'.padStart(11)}`,
    ...KINDS.map(
      (k) =>
        `${k.padEnd(14)}${us(pass.distributions[k].p50Us)}${us(pass.distributions[k].p90Us)}${us(pass.distributions[k].p99Us)}${us(pass.distributions[k].meanUs)}`,
    ),
    ...[...pass.comparisons, pass.control, ...pass.reference].map(
      (c) =>
        `${c.name}: Δmedian ${c.medianDifferenceUs.toFixed(1)} µs [95% CI ${c.ci95Us[0].toFixed(1)}, ${c.ci95Us[1].toFixed(1)}], KS D ${c.ksD.toFixed(3)} p ${c.ksP.toPrecision(2)} → ${c.indistinguishable ? 'indistinguishable' : 'DISTINGUISHABLE'}`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const perKind = count('TIMING_REQUESTS', 3000);
  const sessions = count('TIMING_SESSIONS', 50);
  const warmup = Math.min(500, perKind);
  const which = new Set((process.env.TIMING_PASSES ?? 'http,kit').split(',').map((p) => p.trim()));
  if (![...which].every((p) => p === 'http' || p === 'kit'))
    throw new Error('TIMING_PASSES lists http, kit.');
  const db = await openBenchDatabase(log);
  const secret = generateSecret();
  const server = await startServerProcess({ databaseUrl: db.url, secret });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const port = Number(new URL(server.url).port);
    const codec = await RefreshTokenCodec.create(utf8(secret));

    // Tokens of each kind, each kind on sessions of its own, every session rotated once.
    log(`opening ${sessions * 3} sessions`);
    const open = async (userId: string) => {
      const out: { id: string; token: string }[] = [];
      for (const s of await server.createSessions(userId, sessions)) {
        const res = await post(agent, port, `grant_type=refresh_token&refresh_token=${s.refreshToken}`);
        if (res.status !== 200) throw new Error(`a refresh answered ${res.status}`);
        out.push({ id: s.id, token: (JSON.parse(res.text) as { refresh_token: string }).refresh_token });
      }
      return out;
    };
    const [gone, live, ended] = [await open('user_gone'), await open('user_live'), await open('user_ended')];
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('delete from kit_sessions where id = any($1::uuid[])', [gone.map((s) => s.id)]);
    } finally {
      await client.end();
    }
    for (const s of ended) {
      const res = await new Promise<number>((resolve, reject) => {
        const body = `token=${s.token}`;
        const req = http.request(
          {
            agent,
            host: '127.0.0.1',
            port,
            path: '/revoke',
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'content-length': Buffer.byteLength(body),
            },
          },
          (r) => {
            r.resume();
            r.on('end', () => resolve(r.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      if (res !== 200) throw new Error(`a revocation answered ${res}`);
    }
    const forged: string[] = [];
    for (const s of live) {
      const parts = await codec.decode(s.token);
      forged.push(await codec.encode({ ...parts, secret: new Uint8Array(randomBytes(32)) }));
    }
    const tokens: Record<Kind, string[]> = {
      unknown: gone.map((s) => s.token),
      'wrong-secret': forged,
      revoked: ended.map((s) => s.token),
      malformed: live.map((s) => `${s.token.slice(0, -3)}${s.token.endsWith('AAA') ? 'BBB' : 'AAA'}`),
    };

    let expected: string | undefined;
    const overHttp: Send = async (kind, i) => {
      const token = tokens[kind][i % sessions]!;
      const res = await post(agent, port, `grant_type=refresh_token&refresh_token=${token}`);
      expected ??= res.text;
      if (res.status !== 400 || res.text !== expected) {
        throw new Error(`${kind}: answered ${res.status} ${res.text}, not the same invalid_grant answer`);
      }
      return Number(res.ns) / 1000;
    };
    const passes: Pass[] = [];
    if (which.has('http')) {
      passes.push(
        await measure('POST /token over HTTP (one connection, one request at a time)', overHttp, {
          perKind,
          warmup,
        }),
      );
    }

    // The same tokens straight into kit.refresh of a second kit on the same database and secret:
    // no HTTP, no other process, so differences of a few microseconds show.
    if (which.has('kit')) {
      const orm = await createKitOrm({ databaseUrl: db.url });
      try {
        const kit = await createAuthKit({
          issuer: 'http://127.0.0.1',
          audience: 'http://127.0.0.1',
          secret,
          signingKeys: await generateSigningKeys(),
          store: createMikroOrmStore({ orm }),
        });
        const codes: Record<Kind, string> = {
          unknown: 'ERR_REFRESH_TOKEN_INVALID',
          'wrong-secret': 'ERR_REFRESH_TOKEN_INVALID',
          revoked: 'ERR_SESSION_REVOKED',
          malformed: 'ERR_REFRESH_TOKEN_MALFORMED',
        };
        const direct: Send = async (kind, i) => {
          const token = tokens[kind][i % sessions]!;
          const start = process.hrtime.bigint();
          const code = await kit.refresh(token).then(
            () => 'none',
            (error: { code?: string }) => error.code,
          );
          const ns = process.hrtime.bigint() - start;
          if (code !== codes[kind]) throw new Error(`${kind}: kit.refresh ended with ${code}`);
          return Number(ns) / 1000;
        };
        passes.push(
          await measure('kit.refresh in process (same database, same secret)', direct, {
            perKind,
            warmup,
          }),
        );
      } finally {
        await orm.close();
      }
    }

    console.log(passes.map(formatPass).join('\n\n'));
    const dir = new URL('../results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL('timing-latest.json', dir);
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          settings: { requestsPerKind: perKind, sessionsPerKind: sessions, warmupPerKind: warmup },
          machine: { cpuCount: os.cpus().length },
          database: { source: db.source, version: db.version },
          passes,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\nresults written to ${file.pathname}`);
  } finally {
    agent.destroy();
    await server.stop();
    await db.close();
  }
}

await main();
