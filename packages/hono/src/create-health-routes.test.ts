import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadinessReport } from '@kit/core';
import { describe, expect, it } from 'vitest';
import { createHealthRoutes } from './create-health-routes.ts';

const READY: ReadinessReport = { ready: true, checks: { database: 'ok', signingKeys: 'ok' } };
const STORE_DOWN: ReadinessReport = {
  ready: false,
  checks: { database: 'unavailable', signingKeys: 'ok' },
};
const KEYS_NOT_LOADED: ReadinessReport = {
  ready: false,
  checks: { database: 'ok', signingKeys: 'unavailable' },
};

/** A kit stand-in whose readiness the test sets, counting the probes it answers. */
function fakeKit(answer: () => Promise<ReadinessReport> | ReadinessReport) {
  const kit = {
    calls: 0,
    checkReady: async () => {
      kit.calls += 1;
      return answer();
    },
  };
  return kit;
}

async function expectUnavailable(res: Response) {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('5');
  expect(res.headers.get('cache-control')).toBe('no-store');
  return (await res.json()) as Record<string, unknown>;
}

describe('createHealthRoutes', () => {
  it('answers /readyz 200 with the checks when the kit is ready', async () => {
    const kit = fakeKit(() => READY);
    const res = await createHealthRoutes({ kit }).request('/readyz');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok', signingKeys: 'ok' } });
  });

  it('answers 503 with Retry-After when the store is down', async () => {
    const app = createHealthRoutes({ kit: fakeKit(() => STORE_DOWN) });
    expect(await expectUnavailable(await app.request('/readyz'))).toEqual({
      status: 'unavailable',
      checks: { database: 'unavailable', signingKeys: 'ok' },
    });
  });

  it('answers 503 when the signing keys are not loaded', async () => {
    const app = createHealthRoutes({ kit: fakeKit(() => KEYS_NOT_LOADED) });
    expect(await expectUnavailable(await app.request('/readyz'))).toEqual({
      status: 'unavailable',
      checks: { database: 'ok', signingKeys: 'unavailable' },
    });
  });

  it('serves only the enumerated checks, never what else a report carries', async () => {
    const leaky = {
      ready: false,
      checks: { database: 'unavailable', signingKeys: 'ok', detail: 'connect ECONNREFUSED 10.0.0.5:5432' },
    } as unknown as ReadinessReport;
    const text = await (await createHealthRoutes({ kit: fakeKit(() => leaky) }).request('/readyz')).text();
    expect(text).not.toContain('ECONNREFUSED');
    expect(text).not.toContain('10.0.0.5');
  });

  it('answers 503 within the timeout when the checks hang, and probes again only after the cached timeout', async () => {
    const kit = fakeKit(() => new Promise<ReadinessReport>(() => {}));
    const app = createHealthRoutes({ kit, timeout: 1, cacheFor: 1 });
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 10 }, () => app.request('/readyz')));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2000);
    for (const res of answers)
      expect(await expectUnavailable(res)).toEqual({ status: 'unavailable', reason: 'timeout' });
    // Ten concurrent requests: one probe.
    expect(kit.calls).toBe(1);
    // Within cacheFor the timeout is answered at once, without a new probe.
    const quick = performance.now();
    await expectUnavailable(await app.request('/readyz'));
    expect(performance.now() - quick).toBeLessThan(200);
    expect(kit.calls).toBe(1);
    await sleep(1050);
    await expectUnavailable(await app.request('/readyz'));
    expect(kit.calls).toBe(2);
  });

  it('shares one probe between concurrent requests and reuses its result for cacheFor', async () => {
    let report = READY;
    const kit = fakeKit(async () => {
      await sleep(50);
      return report;
    });
    const app = createHealthRoutes({ kit, cacheFor: 1 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => app.request('/readyz')));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(kit.calls).toBe(1);
    report = STORE_DOWN;
    expect((await app.request('/readyz')).status).toBe(200); // cached
    expect(kit.calls).toBe(1);
    await sleep(1050);
    await expectUnavailable(await app.request('/readyz'));
    expect(kit.calls).toBe(2);
  });

  it('with cacheFor 0, probes for every request that does not find one in flight', async () => {
    const kit = fakeKit(() => READY);
    const app = createHealthRoutes({ kit, cacheFor: 0 });
    await app.request('/readyz');
    await app.request('/readyz');
    expect(kit.calls).toBe(2);
  });

  it('answers 503 shutting_down once the signal is aborted, without probing; /healthz stays 200', async () => {
    const kit = fakeKit(() => READY);
    const shutdown = new AbortController();
    const app = createHealthRoutes({ kit, signal: shutdown.signal });
    expect((await app.request('/readyz')).status).toBe(200);
    shutdown.abort();
    expect(await expectUnavailable(await app.request('/readyz'))).toEqual({
      status: 'unavailable',
      reason: 'shutting_down',
    });
    expect(kit.calls).toBe(1);
    const health = await app.request('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('answers /healthz 200 without asking the kit anything, even when it is not ready', async () => {
    const kit = fakeKit(() => new Promise<ReadinessReport>(() => {}));
    const res = await createHealthRoutes({ kit }).request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(kit.calls).toBe(0);
  });

  it('a kit whose check rejects is not ready', async () => {
    const app = createHealthRoutes({
      kit: { checkReady: () => Promise.reject(new Error('password=hunter2')) },
    });
    const text = JSON.stringify(await expectUnavailable(await app.request('/readyz')));
    expect(text).not.toContain('hunter2');
  });

  it('refuses a missing kit and bad durations when the factory runs', () => {
    expect(() => createHealthRoutes({} as never)).toThrow(/needs \{ kit \}/);
    const kit = fakeKit(() => READY);
    expect(() => createHealthRoutes({ kit, timeout: 0 })).toThrow(/timeout/);
    expect(() => createHealthRoutes({ kit, cacheFor: -1 })).toThrow(/cacheFor/);
    expect(() => createHealthRoutes({ kit, retryAfter: 1.5 })).toThrow(/retryAfter/);
  });
});
