/**
 * `pnpm --filter @kit/bench dpop-proof`: what one DPoP proof costs, in process, one caller, in
 * alternating rounds (harness.ts), for reading the HTTP DPoP figures (http.ts) against:
 *
 * - `ES256 verify`: `node:crypto` `verify` of a proof's signature with a key imported once: the
 *   floor under any proof check;
 * - `proof verify`: `createDpopProofVerifier` (`@kit/core`, the `node:crypto` path) on a proof for
 *   a protected resource (`ath`), its replay cache answering without remembering: every check of
 *   RFC 9449 §4.3 but the replay-cache insert (the replay key's SHA-256 included). The client's key
 *   is imported and its thumbprint computed once, at its first proof, as on a server;
 * - `replay-cache insert`: `createMemoryDpopReplayCache().remember` of a new key, as each accepted
 *   proof costs;
 * - `RFC 7638 thumbprint`: `jwkThumbprint` of a P-256 key, which the verifier pays per new key;
 * - `ES256 proof signing`: the client's side (dpop-client.ts), what the load generator pays per
 *   request.
 *
 * Prints a table and writes `bench/results/dpop-proof-latest.json`. Environment: `BENCH_SECONDS`
 * (default 5, per figure), `BENCH_WARMUP_SECONDS` (default 1), `BENCH_ROUNDS` (default 5).
 */
import { createPublicKey, type JsonWebKey, randomBytes, verify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import {
  createDpopProofVerifier,
  createMemoryDpopReplayCache,
  type DpopReplayCache,
  jwkThumbprint,
} from '@kit/core';
import { createDpopClient } from './dpop-client.ts';
import { positiveEnv } from './env.ts';
import { interleave, type MakeOperation } from './harness.ts';
import { machineInfo } from './report.ts';

const benchSeconds = positiveEnv('BENCH_SECONDS', 5);
const warmupSeconds = positiveEnv('BENCH_WARMUP_SECONDS', 1);
const rounds = Math.max(1, Math.round(positiveEnv('BENCH_ROUNDS', 5)));

const ME_URL = 'http://127.0.0.1/me';
/** An access token's size (the HTTP bench's are about 600 characters); only its hash is checked. */
const ACCESS_TOKEN = randomBytes(450).toString('base64url');

/** Proofs by one client for `ME_URL`, the current one re-signed when its second has passed (`iat`). */
function currentProof(): () => string {
  const prove = createDpopClient().prover('GET', ME_URL, ACCESS_TOKEN);
  let proof = prove();
  let second = Math.floor(Date.now() / 1000);
  return () => {
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) [proof, second] = [prove(), now];
    return proof;
  };
}

const es256Verify: MakeOperation = () => {
  const proof = currentProof()();
  const [header = '', , signature = ''] = proof.split('.');
  const { jwk } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { jwk: JsonWebKey };
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const input = Buffer.from(proof.slice(0, proof.lastIndexOf('.')));
  const sig = Buffer.from(signature, 'base64url');
  return async () => {
    if (!verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, sig)) throw new Error('bad signature');
  };
};

const proofVerify: MakeOperation = () => {
  // Answers without remembering, so one proof can be checked again: the insert is measured apart.
  const forgetful: DpopReplayCache = { remember: async () => true };
  const verifier = createDpopProofVerifier({ replayCache: forgetful });
  const proof = currentProof();
  return async () => {
    await verifier.verify({ proof: proof(), method: 'GET', url: ME_URL, accessToken: ACCESS_TOKEN });
  };
};

const replayInsert: MakeOperation = () => {
  const cache = createMemoryDpopReplayCache({ maxEntries: 1_000_000 });
  // A steady state at 1,000 proofs a second: each insert moves the cache's clock on by 1 ms, so an
  // entry expires 65,001 inserts later and the cache holds about 65,000. Keys are shaped like the
  // verifier's (43 characters of base64url) and made before the clock starts; one comes back
  // 65,536 inserts later, after its entry expired.
  const keys = Array.from({ length: 1 << 16 }, () => randomBytes(32).toString('base64url'));
  let i = 0;
  let now = Date.now();
  return async () => {
    now++;
    const key = keys[i++ & 0xffff]!;
    if (!(await cache.remember(key, { expiresAt: now + 65_001, now }))) throw new Error('a replay');
  };
};

const thumbprint: MakeOperation = () => {
  const proof = currentProof()();
  const { jwk } = JSON.parse(Buffer.from(proof.split('.')[0]!, 'base64url').toString()) as {
    jwk: Parameters<typeof jwkThumbprint>[0];
  };
  return async () => {
    await jwkThumbprint(jwk);
  };
};

const signing: MakeOperation = () => {
  const prove = createDpopClient().prover('GET', ME_URL, ACCESS_TOKEN);
  return async () => {
    prove();
  };
};

const variants = [
  { key: 'es256-verify', name: 'ES256 verify (node:crypto, key imported once)', makeOperation: es256Verify },
  { key: 'proof-verify', name: 'proof verify, all checks but the replay insert', makeOperation: proofVerify },
  { key: 'replay-insert', name: 'memory replay-cache insert', makeOperation: replayInsert },
  { key: 'thumbprint', name: 'RFC 7638 thumbprint (per new key)', makeOperation: thumbprint },
  { key: 'sign', name: 'ES256 proof signing (the client)', makeOperation: signing },
] as const;

const machine = machineInfo();
console.error(`bench: DPoP proof costs in process, one caller, ${rounds} alternating rounds`);
const results = await interleave(
  { concurrency: 1, warmupMs: warmupSeconds * 1000, durationMs: benchSeconds * 1000, rounds },
  variants,
);
const loadAverageAtEnd = os.loadavg();
const rows = [['figure', 'ops/s', 'µs/op (CPU)']];
for (const v of variants) {
  const r = results.get(v.key)!;
  rows.push([v.name, r.opsPerSecond.toFixed(0), r.processCpuMicrosPerOp.toFixed(1)]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
for (const row of rows) {
  console.log(
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
}
console.log(
  `load average ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadAverageAtEnd.map((l) => l.toFixed(2)).join(' ')} at end`,
);
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../results/dpop-proof-latest.json', import.meta.url),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      settings: { benchSeconds, warmupSeconds, rounds },
      machine: { ...machine, loadAverageAtEnd },
      figures: Object.fromEntries(variants.map((v) => [v.key, { name: v.name, ...results.get(v.key)! }])),
    },
    null,
    2,
  )}\n`,
);
console.log('\nresults written to bench/results/dpop-proof-latest.json');
