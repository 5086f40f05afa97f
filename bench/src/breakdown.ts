import type { AuthKit, SessionRecord, SessionStore, SigningKey, SigningKeySet } from '@kit/core';
import { createMikroOrmStore } from '@kit/core/mikro-orm';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type MakeOperation, type RunResult, type RunSettings, run } from './harness.ts';

/**
 * Where the time of one `kit.refresh` goes. This is a diagnostic run, separate from the headline
 * figures because its instruments cost a little: it uses its own ORM instance and kit, whose store
 * `rotate` and signing key's `sign` are wrapped with timers (both are public seams: a kit accepts
 * any `SessionStore` and an imported `SigningKeySet`), and whose knex pool's `acquireConnection`
 * is timed on that ORM instance only. Nothing in `@kit/core` is modified.
 *
 * Segments of one refresh, as mean milliseconds per refresh:
 * - `beforeRotate`: from the call to the store's `rotate`: token decoding and its HMAC tag check,
 *   two SHA-256 and the successor HMAC (synchronous `node:crypto`), plus any wait for the event
 *   loop;
 * - `storeRotate`: the store's `rotate`, of which `poolAcquire` is the wait for a connection from
 *   the knex (tarn) pool; the rest is the round trip of the statement and the row mapping;
 * - `afterRotate`: from `rotate` returning to the refresh resolving: the access token (of which
 *   `es256Sign` is the signing key's `sign`, `node:crypto` on Node, synchronous on the main
 *   thread) and the new refresh token (one HMAC), plus any wait for the event loop.
 *
 * With one caller the segments add up to the total. With many callers each segment also holds
 * the time spent queued behind the other callers' work, which is the point: it shows where they
 * queue.
 */
export interface RefreshBreakdown {
  concurrency: number;
  opsPerSecond: number;
  meanMs: {
    total: number;
    beforeRotate: number;
    storeRotate: number;
    poolAcquire: number;
    afterRotate: number;
    es256Sign: number;
  };
}

interface KnexClientLike {
  acquireConnection(): Promise<unknown>;
}

class Timer {
  total = 0;
  count = 0;
  add(ms: number) {
    this.total += ms;
    this.count += 1;
  }
  reset() {
    this.total = 0;
    this.count = 0;
  }
  mean() {
    return this.count === 0 ? 0 : this.total / this.count;
  }
}

/** Builds a kit on the given store and signing keys (every other option as in the headline runs). */
export type MakeKit = (store: SessionStore, signingKeys: SigningKeySet) => Promise<AuthKit>;

/** Runs an instrumented `kit.refresh` loop on its own ORM instance. */
export async function measureRefreshBreakdown(
  orm: MikroORM,
  makeKit: MakeKit,
  keys: SigningKeySet,
  settings: RunSettings,
): Promise<RefreshBreakdown> {
  const before = new Timer();
  const rotate = new Timer();
  const acquire = new Timer();
  const after = new Timer();
  const sign = new Timer();
  const timers = [before, rotate, acquire, after, sign];

  // Pool acquisition, timed on this ORM instance only.
  const client = orm.em.getConnection().getKnex().client as unknown as KnexClientLike;
  const acquireConnection = client.acquireConnection.bind(client);
  client.acquireConnection = async () => {
    const start = performance.now();
    const connection = await acquireConnection();
    acquire.add(performance.now() - start);
    return connection;
  };

  // Per session: when the current refresh started, and when its rotate returned.
  const started = new Map<string, number>();
  const rotated = new Map<string, number>();
  const store = createMikroOrmStore({ orm });
  const timedStore: SessionStore = {
    ...store,
    async rotate(input) {
      const start = performance.now();
      before.add(start - (started.get(input.id) ?? start));
      try {
        return await store.rotate(input);
      } finally {
        const end = performance.now();
        rotate.add(end - start);
        rotated.set(input.id, end);
      }
    },
  };

  // The same key, its `sign` timed.
  const current: SigningKey = {
    ...keys.current,
    async sign(data) {
      const start = performance.now();
      try {
        return await keys.current.sign(data);
      } finally {
        sign.add(performance.now() - start);
      }
    },
  };
  const timedKeys: SigningKeySet = {
    current,
    keys: [current, ...keys.keys.slice(1)],
    publicJwks: () => keys.publicJwks(),
  };
  const kit = await makeKit(timedStore, timedKeys);

  let result: RunResult;
  try {
    result = await run(
      {
        ...settings,
        onMeasureStart: () => {
          for (const timer of timers) timer.reset();
        },
      },
      async (caller) => {
        const tokens = await kit.createSession({
          userId: `bench-breakdown-${settings.concurrency}-${caller}`,
        });
        const id = tokens.session.id;
        let token = tokens.refreshToken;
        return async () => {
          started.set(id, performance.now());
          token = (await kit.refresh(token)).refreshToken;
          after.add(performance.now() - rotated.get(id)!);
        };
      },
    );
  } finally {
    client.acquireConnection = acquireConnection;
  }
  return {
    concurrency: settings.concurrency,
    opsPerSecond: result.opsPerSecond,
    meanMs: {
      total: result.latencyMs.mean,
      beforeRotate: before.mean(),
      storeRotate: rotate.mean(),
      poolAcquire: acquire.mean(),
      afterRotate: after.mean(),
      es256Sign: sign.mean(),
    },
  };
}

/**
 * Access-token signing alone, built the way the kit builds it: the protected header (`alg`, `kid`,
 * `typ: "at+jwt"`) encoded once per key, the claims serialised and base64url-encoded per token,
 * and the signing key's own `sign` (`node:crypto` on Node). It is the floor of what a refresh
 * response costs, since every refresh mints one access token.
 */
export function signing(keys: SigningKeySet, kit: AuthKit): MakeOperation {
  const key = keys.current;
  const encoder = new TextEncoder();
  const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })).toString(
    'base64url',
  );
  return () => async () => {
    const iat = Math.floor(Date.now() / 1000);
    const claims = JSON.stringify({
      iss: kit.config.issuer,
      sub: 'bench-sign',
      aud: kit.config.audience,
      client_id: 'default',
      iat,
      exp: iat + kit.config.accessTokenTtl,
      jti: crypto.randomUUID(),
      sid: '00000000-0000-4000-8000-000000000000',
    });
    const input = `${header}.${Buffer.from(claims).toString('base64url')}`;
    const signature = await key.sign(encoder.encode(input));
    if (signature.length !== 64) throw new Error('An ES256 signature is 64 bytes.');
  };
}

/**
 * The same key set with signing replaced by a constant 64-byte signature, for one diagnostic
 * figure only: `kit.refresh` minus the cost of ES256 signing. The access tokens such a kit mints
 * do not verify; nothing but the benchmark ever sees them.
 */
export function withStubbedSigning(keys: SigningKeySet): SigningKeySet {
  const signature = new Uint8Array(64);
  const current: SigningKey = { ...keys.current, sign: async () => signature };
  return { current, keys: [current, ...keys.keys.slice(1)], publicJwks: () => keys.publicJwks() };
}

/**
 * A session store in memory, for one purpose only: measuring the CPU the kit itself spends per
 * refresh, with no database and no network in the way. It implements what `refresh` and
 * `createSession` use (insert, the compare-and-set rotate, find) and refuses everything else. It
 * is no stand-in for PostgreSQL in any test of behaviour.
 */
export function createCpuOnlyStore(): SessionStore {
  const rows = new Map<string, SessionRecord>();
  const equal = (a: Uint8Array, b: Uint8Array) =>
    a.length === b.length && a.every((byte, i) => byte === b[i]);
  const used: Pick<SessionStore, 'insert' | 'rotate' | 'find'> = {
    async insert(record) {
      rows.set(record.id, { ...record });
    },
    async rotate(input) {
      const row = rows.get(input.id);
      if (
        !row ||
        row.generation !== input.generation ||
        !equal(row.secretHash, input.secretHash) ||
        row.revokedAt !== null ||
        row.idleExpiresAt <= input.now ||
        row.absoluteExpiresAt <= input.now
      ) {
        return null;
      }
      const next: SessionRecord = {
        ...row,
        generation: row.generation + 1,
        secretHash: input.nextSecretHash,
        rotatedAt: input.now,
        lastRefreshedAt: input.now,
        idleExpiresAt: new Date(Math.min(input.idleExpiresAt.getTime(), row.absoluteExpiresAt.getTime())),
        userAgent: input.userAgent ?? row.userAgent,
        ip: input.ip ?? row.ip,
      };
      rows.set(row.id, next);
      return { ...next };
    },
    async find(id) {
      const row = rows.get(id);
      return row ? { ...row } : null;
    },
  };
  // Every other method of the interface (whatever it grows to) rejects: a refresh loop that
  // started needing one would stop the run loudly instead of measuring something else.
  const unused = () =>
    Promise.reject(new Error('This method of the in-memory store is not used by the bench.'));
  return new Proxy(used, {
    get: (target, name) => (name in target ? target[name as keyof typeof target] : unused),
  }) as SessionStore;
}
