import { createMemoryKitFixture, type MemoryKitFixture } from '@kit/test-support';
import * as otel from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A host's logger or OpenTelemetry SDK that throws must never fail an operation whose work is
 * committed: the client would lose its rotated token, and its retry could be taken for reuse.
 */

const boom = () => {
  throw new Error('host failure');
};

/** An SDK every one of whose calls throws: instruments, spans, their attributes and their end. */
const throwingSpan = { setAttribute: boom, setStatus: boom, end: boom, isRecording: () => true };
const throwingSdk = {
  api: otel,
  meterProvider: {
    getMeter: () => ({
      createCounter: () => ({ add: boom }),
      createHistogram: () => ({ record: boom }),
      createObservableCounter: boom,
    }),
  },
  tracerProvider: { getTracer: () => ({ startSpan: () => throwingSpan }) },
};

let f: MemoryKitFixture;
beforeAll(async () => {
  f = await createMemoryKitFixture();
});
afterAll(() => f.close());

describe('a throwing host', () => {
  it('SDK leaves sessions, refreshes, grace answers and revocations as they are', async () => {
    const kit = await f.makeKit({ telemetry: throwingSdk as never });
    const opened = await kit.createSession({ userId: 'user-1' });
    const rotated = await kit.refresh(opened.refreshToken);
    const graced = await kit.refresh(opened.refreshToken);
    expect(graced.refreshToken).toBe(rotated.refreshToken);
    await expect(kit.sessions.revoke(opened.session.id)).resolves.toBeDefined();
    await expect(kit.refresh(rotated.refreshToken)).rejects.toMatchObject({ code: 'ERR_SESSION_REVOKED' });
  });

  it('logger behind a throwing listener leaves the committed refresh answered', async () => {
    const kit = await f.makeKit({ logger: { info: boom, warn: boom, error: boom } });
    kit.on('session_refreshed', boom);
    const opened = await kit.createSession({ userId: 'user-1' });
    const rotated = await kit.refresh(opened.refreshToken);
    // The new token works: the refresh was answered, not failed after its commit.
    await expect(kit.refresh(rotated.refreshToken)).resolves.toBeDefined();
  });
});
