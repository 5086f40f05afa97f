/**
 * The soak: the demo server in a child process (server-process.ts), on 127.0.0.1, driven for a set
 * time at a steady request rate with a mix of logins, refreshes, verifications (`GET /me` with the
 * Bearer token), revocations (`POST /revoke`) and replays of old refresh tokens (each must revoke its
 * session through reuse detection). Then:
 *
 * - every surviving session still refreshes, and its new access token is accepted;
 * - every revoked one stays revoked: its current and previous refresh tokens get 400 `invalid_grant`
 *   and its access token gets 401 `invalid_token` at `GET /sessions`; each user's session list is
 *   exactly the sessions the driver holds as active;
 * - the server printed exactly one `reuse detected` line per replay;
 * - the server's memory is measured after the warm-up and at the end, both after a full garbage
 *   collection, with samples in between.
 *
 * The same driver runs in CI (soak.test.ts, a short run) and in the benchmarks
 * (`pnpm --filter @kit/bench soak`, minutes, `SOAK_SECONDS`).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateSecret } from '@kit/core';
import { quantile } from '../quantile.ts';
import {
  type Answer,
  claimsOf,
  errorOf,
  login,
  refresh,
  revoke,
  type TokenResponse,
  withBearer,
} from './client.ts';
import {
  type ServerMemory,
  type ServerProcess,
  type ServerProcessConfig,
  startServerProcess,
} from './start-server-process.ts';

/** The kinds of request the soak sends. */
export const SOAK_KINDS = ['login', 'refresh', 'verify', 'revoke', 'replay'] as const;
export type SoakKind = (typeof SOAK_KINDS)[number];

/**
 * Share of each kind. Logins (scrypt, about 0.1 s of CPU each here) are balanced by revocations and
 * replays, so the number of live sessions stays about constant however long the run.
 */
const MIX: Readonly<Record<SoakKind, number>> = { login: 6, refresh: 46, verify: 42, revoke: 3, replay: 3 };

const USERS = [
  { username: 'alice', password: 'alice-password', userId: 'user_alice' },
  { username: 'bob', password: 'bob-password', userId: 'user_bob' },
] as const;

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** An empty database for the server (migrated by it). */
  databaseUrl: string;
  /** Measured seconds. */
  seconds: number;
  /** Requests sent per second (open loop: on schedule, whatever the answers' latency). */
  rate: number;
  /** Seconds of the same traffic before the start measurement. @default 3 */
  warmupSeconds?: number;
  /** A request due while this many are unanswered is skipped and counted. @default 32 */
  maxInFlight?: number;
  /** Live sessions the driver keeps, per user. @default 10 to 40 */
  sessionsPerUser?: { min: number; max: number };
  /** Seconds between memory samples (without a collection). @default 1 */
  sampleEverySeconds?: number;
  /** Overrides of the server's configuration (a planted leak, in the check of the memory verdict). */
  server?: Partial<ServerProcessConfig>;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One memory sample of the server process. */
export interface MemorySample extends ServerMemory {
  /** Seconds since the start of the measured window. */
  atSeconds: number;
}

/** Latency percentiles of one kind of request, milliseconds. */
export interface KindLatency {
  p50: number;
  p99: number;
  max: number;
}

/** What {@link runSoak} measured and checked. */
export interface SoakReport {
  seconds: number;
  warmupSeconds: number;
  targetRate: number;
  /** Requests sent in the measured window per second. */
  achievedRate: number;
  /** Requests sent in the measured window, by kind. */
  requests: Record<SoakKind, number> & { total: number };
  /** Requests sent during the warm-up. */
  warmupRequests: number;
  /** Requests due but not sent because `maxInFlight` were unanswered (the server fell behind). */
  skipped: number;
  latencyMs: Record<SoakKind, KindLatency>;
  /** Answers other than the one each request must get (warm-up included). */
  unexpected: { count: number; examples: string[] };
  sessions: {
    opened: number;
    active: number;
    revokedByLogout: number;
    revokedByReuse: number;
    /** Sessions whose final check ran: active ones refreshed, revoked ones refused. */
    checkedActive: number;
    checkedRevoked: number;
    /** Checks that failed (at most 20 shown; `failureCount` counts all). */
    failures: string[];
    failureCount: number;
  };
  memory: {
    /** After the warm-up, after a full collection. */
    start: ServerMemory;
    /** After the measured window, once every request is answered, after a full collection. */
    end: ServerMemory;
    rssGrowthBytes: number;
    jsGrowthBytes: number;
    /**
     * Least-squares slope of the RSS samples (taken without a collection) over the second half of
     * the measured window, bytes per minute.
     */
    rssSlopePerMinute: number;
    samples: MemorySample[];
  };
  server: {
    lines: number;
    reuseDetectedLines: number;
    /** Lines the server wrote to stderr (errors, warnings), at most 20. */
    stderr: string[];
  };
}

interface Client {
  id: string;
  userId: string;
  refreshToken: string;
  accessToken: string;
  /** Refresh tokens this session held before, oldest first (the last few). */
  history: string[];
  state: 'active' | 'revoked';
  reason?: 'logout' | 'reuse';
  busy: boolean;
}

/** Least-squares slope of `y` over `x`. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const MiB = 1024 * 1024;

/** Bounds of the memory verdict. */
export interface MemoryLimits {
  /**
   * Most growth of what JavaScript holds (V8 heap in use plus external memory such as Buffers),
   * after a full collection, from start to end.
   */
  jsGrowthBytes: number;
  /** Most growth of the RSS, after a full collection, from start to end. */
  rssGrowthBytes: number;
}

/**
 * Generous bounds for a short run: a server that holds on to anything per request (a few KiB each,
 * over thousands of requests) exceeds them, while the allocator's and the JIT's own drift, and
 * scrypt's transient 16 MiB per login, stay well inside.
 */
export const DEFAULT_MEMORY_LIMITS: MemoryLimits = { jsGrowthBytes: 8 * MiB, rssGrowthBytes: 64 * MiB };

/** What is wrong with the soak's memory figures (nothing when it stayed flat). */
export function checkMemory(
  memory: Pick<SoakReport['memory'], 'jsGrowthBytes' | 'rssGrowthBytes'>,
  limits: MemoryLimits = DEFAULT_MEMORY_LIMITS,
): string[] {
  const problems: string[] = [];
  if (memory.jsGrowthBytes > limits.jsGrowthBytes) {
    problems.push(
      `the heap in use plus external memory grew by ${(memory.jsGrowthBytes / MiB).toFixed(1)} MiB (limit ${(limits.jsGrowthBytes / MiB).toFixed(1)} MiB)`,
    );
  }
  if (memory.rssGrowthBytes > limits.rssGrowthBytes) {
    problems.push(
      `the RSS grew by ${(memory.rssGrowthBytes / MiB).toFixed(1)} MiB (limit ${(limits.rssGrowthBytes / MiB).toFixed(1)} MiB)`,
    );
  }
  return problems;
}

/** Runs the soak (see the module comment) and stops the server; resolves with what it measured. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const warmupSeconds = options.warmupSeconds ?? 3;
  const maxInFlight = options.maxInFlight ?? 32;
  const bounds = options.sessionsPerUser ?? { min: 10, max: 40 };
  const sampleEveryMs = (options.sampleEverySeconds ?? 1) * 1000;
  if (!(options.seconds > 0) || !(options.rate > 0))
    throw new Error('The soak needs seconds > 0 and rate > 0.');

  log(`starting the demo server in a child process`);
  const server: ServerProcess = await startServerProcess({
    databaseUrl: options.databaseUrl,
    secret: generateSecret(),
    ...options.server,
  });
  const base = server.url;
  try {
    const active: Client[] = [];
    const revoked: Client[] = [];
    let opened = 0;
    const unexpected = { count: 0, examples: [] as string[] };
    const note = (line: string) => {
      unexpected.count++;
      if (unexpected.examples.length < 20) unexpected.examples.push(line);
    };
    const expect = (kind: SoakKind, answer: Answer, status: number, error?: string): boolean => {
      if (answer.status === status && (error === undefined || errorOf(answer) === error)) return true;
      note(`${kind}: ${answer.status} ${errorOf(answer) ?? ''}`.trim());
      return false;
    };
    const activeOf = (userId: string) => active.filter((c) => c.userId === userId);

    function pick(filter: (c: Client) => boolean = () => true): Client | undefined {
      for (let i = 0; i < 8 && active.length > 0; i++) {
        const c = active[Math.floor(Math.random() * active.length)]!;
        if (!c.busy && filter(c)) return c;
      }
      return active.find((c) => !c.busy && filter(c));
    }
    function retire(client: Client, reason: 'logout' | 'reuse') {
      client.state = 'revoked';
      client.reason = reason;
      active.splice(active.indexOf(client), 1);
      revoked.push(client);
    }
    function adopt(userId: string, tokens: TokenResponse) {
      active.push({
        id: claimsOf(tokens.access_token).sid,
        userId,
        refreshToken: tokens.refresh_token,
        accessToken: tokens.access_token,
        history: [],
        state: 'active',
        busy: false,
      });
      opened++;
    }

    // What each kind does. A kind that cannot run now (no idle session fits) falls back to another.
    async function run(kind: SoakKind): Promise<SoakKind | undefined> {
      const user = USERS[Math.floor(Math.random() * USERS.length)]!;
      const live = activeOf(user.userId).length;
      if (kind === 'login' && live >= bounds.max) kind = 'revoke';
      if ((kind === 'revoke' || kind === 'replay') && live <= bounds.min) kind = 'login';
      if (kind === 'login') {
        const answer = await login(base, user.username, user.password);
        if (expect(kind, answer, 200)) adopt(user.userId, JSON.parse(answer.text) as TokenResponse);
        return kind;
      }
      const client =
        kind === 'replay'
          ? pick((c) => c.userId === user.userId && c.history.length >= 2)
          : pick((c) => kind === 'verify' || c.userId === user.userId);
      if (!client) {
        if (kind === 'verify') return undefined; // every session is busy: nothing sent
        return run(kind === 'replay' ? 'refresh' : 'verify');
      }
      client.busy = true;
      try {
        if (kind === 'refresh') {
          const answer = await refresh(base, client.refreshToken);
          if (expect(kind, answer, 200)) {
            const tokens = JSON.parse(answer.text) as TokenResponse;
            client.history.push(client.refreshToken);
            if (client.history.length > 4) client.history.shift();
            client.refreshToken = tokens.refresh_token;
            client.accessToken = tokens.access_token;
          }
        } else if (kind === 'verify') {
          const answer = await withBearer(base, '/me', client.accessToken);
          if (expect(kind, answer, 200)) {
            const claims = JSON.parse(answer.text) as { sub?: string; sid?: string };
            if (claims.sub !== client.userId || claims.sid !== client.id) note('verify: wrong claims');
          }
        } else if (kind === 'revoke') {
          const answer = await revoke(base, client.refreshToken);
          if (expect(kind, answer, 200)) retire(client, 'logout');
        } else {
          // Two generations back: outside any grace window, so it is reuse, and revokes.
          const old = client.history[client.history.length - 2]!;
          const answer = await refresh(base, old);
          if (expect(kind, answer, 400, 'invalid_grant')) retire(client, 'reuse');
        }
      } finally {
        client.busy = false;
      }
      return kind;
    }

    const weights = Object.entries(MIX) as [SoakKind, number][];
    const totalWeight = weights.reduce((s, [, w]) => s + w, 0);
    function draw(): SoakKind {
      let r = Math.random() * totalWeight;
      for (const [kind, w] of weights) {
        r -= w;
        if (r < 0) return kind;
      }
      return 'refresh';
    }

    const latencies = new Map<SoakKind, number[]>(SOAK_KINDS.map((k) => [k, []]));
    const counts = new Map<SoakKind, number>(SOAK_KINDS.map((k) => [k, 0]));
    let inFlight = 0;
    let skipped = 0;
    const outstanding = new Set<Promise<void>>();

    /** Sends requests on schedule for `seconds`; `measured` says whether they count. */
    async function drive(seconds: number, measured: boolean): Promise<number> {
      const interval = 1000 / options.rate;
      const start = performance.now();
      const end = start + seconds * 1000;
      let due = start;
      let sent = 0;
      while (due < end) {
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        // Far behind (the event loop stalled): drop the backlog instead of bursting it.
        if (performance.now() - due > 1000) {
          const missed = Math.floor((performance.now() - due) / interval);
          if (measured) skipped += missed;
          due += missed * interval;
        }
        due += interval;
        if (inFlight >= maxInFlight) {
          if (measured) skipped++;
          continue;
        }
        inFlight++;
        sent++;
        const began = performance.now();
        const task = run(draw())
          .then((kind) => {
            if (!measured || kind === undefined) return;
            counts.set(kind, (counts.get(kind) ?? 0) + 1);
            latencies.get(kind)?.push(performance.now() - began);
          })
          .catch((error: unknown) => note(`request failed: ${error instanceof Error ? error.name : 'error'}`))
          .finally(() => {
            inFlight--;
            outstanding.delete(task);
          });
        outstanding.add(task);
      }
      await Promise.all([...outstanding]);
      return sent;
    }

    // Warm-up: sessions opened (logins first), connections and statements prepared, JIT warm.
    log(`warm-up: ${warmupSeconds} s at ${options.rate} requests/s`);
    for (const user of USERS) {
      for (let i = 0; i < bounds.min + 2; i++) {
        const answer = await login(base, user.username, user.password);
        if (expect('login', answer, 200)) adopt(user.userId, JSON.parse(answer.text) as TokenResponse);
      }
    }
    const warmupRequests = await drive(warmupSeconds, false);
    const start = await server.memory(true);

    log(`measuring: ${options.seconds} s at ${options.rate} requests/s`);
    const samples: MemorySample[] = [];
    const t0 = performance.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const m = await server.memory(false);
        samples.push({ atSeconds: (performance.now() - t0) / 1000, ...m });
        await sleep(sampleEveryMs);
      }
    })();
    await drive(options.seconds, true);
    const measuredSeconds = (performance.now() - t0) / 1000;
    sampling = false;
    await sampler;
    const end = await server.memory(true);
    samples.push({ atSeconds: measuredSeconds, ...end });

    // The final checks.
    log(`checking ${active.length} active and ${revoked.length} revoked sessions`);
    const failures: string[] = [];
    const fail = (line: string) => failures.push(line);
    let checkedActive = 0;
    let checkedRevoked = 0;
    const queue: (() => Promise<void>)[] = [];
    for (const client of active) {
      queue.push(async () => {
        const answer = await refresh(base, client.refreshToken);
        if (answer.status !== 200) {
          fail(`active session ${client.id}: refresh answered ${answer.status} ${errorOf(answer) ?? ''}`);
          return;
        }
        const tokens = JSON.parse(answer.text) as TokenResponse;
        client.refreshToken = tokens.refresh_token;
        client.accessToken = tokens.access_token;
        const me = await withBearer(base, '/me', client.accessToken);
        if (me.status !== 200) fail(`active session ${client.id}: /me answered ${me.status}`);
        checkedActive++;
      });
    }
    for (const client of revoked) {
      queue.push(async () => {
        const presented = [client.refreshToken, ...client.history.slice(-1)];
        for (const token of presented) {
          const answer = await refresh(base, token);
          if (answer.status !== 400 || errorOf(answer) !== 'invalid_grant') {
            fail(
              `revoked session ${client.id} (${client.reason}): refresh answered ${answer.status} ${errorOf(answer) ?? ''}`,
            );
          }
        }
        const list = await withBearer(base, '/sessions', client.accessToken);
        if (list.status !== 401 || !list.headers.get('www-authenticate')?.includes('invalid_token')) {
          fail(`revoked session ${client.id} (${client.reason}): GET /sessions answered ${list.status}`);
        }
        checkedRevoked++;
      });
    }
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let task = queue.shift(); task; task = queue.shift()) await task();
      }),
    );
    for (const user of USERS) {
      const mine = activeOf(user.userId);
      if (mine.length === 0 || mine.length > 100) continue; // GET /sessions lists at most 100
      const list = await withBearer(base, '/sessions', mine[0]!.accessToken);
      if (list.status !== 200) {
        fail(`${user.username}: GET /sessions answered ${list.status}`);
        continue;
      }
      const listed = (JSON.parse(list.text) as { sessions: { id: string }[] }).sessions
        .map((s) => s.id)
        .sort();
      const expected = mine.map((c) => c.id).sort();
      if (JSON.stringify(listed) !== JSON.stringify(expected)) {
        fail(
          `${user.username}: GET /sessions lists ${listed.length} sessions, the driver holds ${expected.length}`,
        );
      }
    }

    await server.stop();
    // The demo logs JSON lines (pino): its own reuse line carries `event: 'reuse_detected'`.
    const reuseDetectedLines = server.lines.filter((l) => {
      try {
        return (JSON.parse(l.text) as { event?: unknown }).event === 'reuse_detected';
      } catch {
        return false; // not a JSON line (the plain 'listening on' line)
      }
    }).length;
    const revokedByReuse = revoked.filter((c) => c.reason === 'reuse').length;
    if (reuseDetectedLines !== revokedByReuse) {
      fail(`the server reported ${reuseDetectedLines} reuse detections for ${revokedByReuse} replays`);
    }

    const requests = Object.fromEntries(SOAK_KINDS.map((k) => [k, counts.get(k) ?? 0])) as Record<
      SoakKind,
      number
    >;
    const latencyMs = Object.fromEntries(
      SOAK_KINDS.map((k) => {
        const sorted = (latencies.get(k) ?? []).sort((a, b) => a - b);
        return [
          k,
          { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN },
        ];
      }),
    ) as Record<SoakKind, KindLatency>;
    return {
      seconds: measuredSeconds,
      warmupSeconds,
      targetRate: options.rate,
      achievedRate: SOAK_KINDS.reduce((sum, k) => sum + requests[k], 0) / measuredSeconds,
      requests: { ...requests, total: SOAK_KINDS.reduce((sum, k) => sum + requests[k], 0) },
      warmupRequests,
      skipped,
      latencyMs,
      unexpected,
      sessions: {
        opened,
        active: active.length,
        revokedByLogout: revoked.filter((c) => c.reason === 'logout').length,
        revokedByReuse,
        checkedActive,
        checkedRevoked,
        failures: failures.slice(0, 20),
        failureCount: failures.length,
      },
      memory: {
        start,
        end,
        rssGrowthBytes: end.rss - start.rss,
        jsGrowthBytes: end.heapUsed + end.external - (start.heapUsed + start.external),
        // Second half only: the first climbs back from the collection that preceded the start.
        rssSlopePerMinute: slope(
          samples
            .slice(0, -1)
            .filter((s) => s.atSeconds >= measuredSeconds / 2)
            .map((s) => ({ x: s.atSeconds / 60, y: s.rss })),
        ),
        samples,
      },
      server: {
        lines: server.lines.length,
        reuseDetectedLines,
        stderr: server.lines
          .filter((l) => l.stream === 'stderr')
          .slice(0, 20)
          .map((l) => l.text),
      },
    };
  } finally {
    await server.stop();
  }
}

/** The report in a few lines, for a terminal. */
export function formatSoakReport(report: SoakReport): string {
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
  const signed = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mib(bytes)}`;
  const r = report.requests;
  const s = report.sessions;
  const m = report.memory;
  const lat = SOAK_KINDS.map(
    (k) =>
      `${k} ${report.latencyMs[k].p50.toFixed(1)}/${report.latencyMs[k].p99.toFixed(1)}/${report.latencyMs[k].max.toFixed(0)}`,
  ).join(', ');
  return [
    `soak: ${report.seconds.toFixed(1)} s measured after ${report.warmupSeconds} s of warm-up, ${report.achievedRate.toFixed(1)} requests/s (target ${report.targetRate}), ${report.skipped} skipped`,
    `  requests: ${r.total} (${SOAK_KINDS.map((k) => `${k} ${r[k]}`).join(', ')}); warm-up ${report.warmupRequests}; unexpected answers ${report.unexpected.count}`,
    `  latency ms p50/p99/max: ${lat}`,
    `  sessions: ${s.opened} opened; ${s.checkedActive}/${s.active} active refreshed at the end; ${s.checkedRevoked}/${s.revokedByLogout + s.revokedByReuse} revoked (${s.revokedByLogout} logout, ${s.revokedByReuse} reuse) still refused; ${s.failureCount} failed checks`,
    `  server memory after GC: RSS ${mib(m.start.rss)} -> ${mib(m.end.rss)} (${signed(m.rssGrowthBytes)}), heap used + external ${mib(m.start.heapUsed + m.start.external)} -> ${mib(m.end.heapUsed + m.end.external)} (${signed(m.jsGrowthBytes)}); RSS slope over the second half ${signed(m.rssSlopePerMinute)}/min (${m.samples.length} samples)`,
    `  server: ${report.server.lines} lines, ${report.server.reuseDetectedLines} reuse detections, ${report.server.stderr.length} on stderr`,
  ].join('\n');
}
