import { createTestDatabase, type TestDatabase } from '@kit/test-support/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMemory, formatSoakReport, runSoak, SOAK_KINDS, slope } from './soak.ts';

/**
 * The soak in CI: a short run of the same driver `pnpm --filter @kit/bench soak` runs for minutes
 * (see soak.ts). The memory verdict is on figures taken after a full garbage collection, against
 * generous bounds: it catches a server that keeps something per request, not the allocator's drift.
 */
describe('soak of the demo server in a child process', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keeps every session right and its memory flat under a steady mix of requests', {
    timeout: 90_000,
  }, async () => {
    const seconds = Number(process.env.SOAK_TEST_SECONDS ?? 15);
    const report = await runSoak({ databaseUrl: db.url, seconds, rate: 40, warmupSeconds: 3 });
    console.log(formatSoakReport(report));

    expect(report.unexpected).toEqual({ count: 0, examples: [] });
    for (const kind of SOAK_KINDS) expect(report.requests[kind], kind).toBeGreaterThan(0);
    expect(report.sessions.failures).toEqual([]);
    expect(report.sessions.checkedActive).toBe(report.sessions.active);
    expect(report.sessions.checkedRevoked).toBe(
      report.sessions.revokedByLogout + report.sessions.revokedByReuse,
    );
    expect(report.sessions.revokedByReuse).toBeGreaterThan(0);
    expect(report.sessions.revokedByLogout).toBeGreaterThan(0);
    expect(report.server.stderr).toEqual([]);
    expect(checkMemory(report.memory)).toEqual([]);
  });
});

describe('the soak memory verdict', () => {
  it('flags growth beyond its bounds and passes what stays within them', () => {
    const MiB = 1024 * 1024;
    expect(checkMemory({ jsGrowthBytes: 1 * MiB, rssGrowthBytes: 10 * MiB })).toEqual([]);
    expect(checkMemory({ jsGrowthBytes: -2 * MiB, rssGrowthBytes: -5 * MiB })).toEqual([]);
    expect(checkMemory({ jsGrowthBytes: 20 * MiB, rssGrowthBytes: 10 * MiB })).toHaveLength(1);
    expect(checkMemory({ jsGrowthBytes: 1 * MiB, rssGrowthBytes: 100 * MiB })).toHaveLength(1);
  });

  it('computes a least-squares slope', () => {
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBeCloseTo(2);
    expect(slope([{ x: 0, y: 4 }])).toBe(0);
  });
});
