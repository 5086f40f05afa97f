import { createTestMetrics } from '@kit/test-support/telemetry';
import { AUDIENCE, createTestKey, ISSUER, mint, T0, type TestKey } from '@kit/test-support/verifier';
import * as otel from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webCryptoBackend } from './backend.ts';
import { createVerifierWith } from './create-verifier.ts';
import { createVerifier as createWebVerifier } from './index.ts';
import { createVerifier as createNodeVerifier } from './node.ts';
import type { VerifierOptions } from './types.ts';

// The `telemetry` option left out: the Node entry imports @opentelemetry/api and reports to the
// global meter provider; the Web Crypto entry (Workers, browsers) does not look for it. This file
// registers a global provider, so it runs apart from the others.

const metrics = createTestMetrics();
let key: TestKey;
let options: VerifierOptions;

beforeAll(async () => {
  otel.metrics.setGlobalMeterProvider(metrics.telemetry.meterProvider);
  key = await createTestKey('ES256');
  options = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] }, clock: () => T0 };
});
afterAll(() => {
  otel.metrics.disable();
});

/** Lets the import of the optional peer, and the counts queued on it, settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('verifier telemetry, left out', () => {
  it('the Node entry counts through the global provider, without making the first verification wait', async () => {
    const verify = createNodeVerifier(options);
    // Verified at once, while the peer is still being imported: the count is queued, not lost.
    await verify(await mint(key));
    await settle();
    expect(await metrics.outcomes('kit.verifications')).toEqual({ valid: 1 });
    await verify(await mint(key));
    expect(await metrics.outcomes('kit.verifications')).toEqual({ valid: 2 });
  });

  it('queues the counts made while the API is still being looked up, and loses none', async () => {
    let found!: (api: typeof otel) => void;
    const lookup = new Promise<typeof otel>((resolve) => {
      found = resolve;
    });
    const verify = createVerifierWith(options, webCryptoBackend, { findTelemetry: () => lookup });
    const before = (await metrics.outcomes('kit.verifications')).valid ?? 0;
    // Two verifications answered while the lookup is pending: nothing waits for it.
    await verify(await mint(key));
    await verify(await mint(key));
    expect((await metrics.outcomes('kit.verifications')).valid ?? 0).toBe(before);
    found(otel);
    await settle();
    expect((await metrics.outcomes('kit.verifications')).valid).toBe(before + 2);
  });

  it('telemetry: false counts nothing on either entry', async () => {
    const before = await metrics.outcomes('kit.verifications');
    for (const create of [createNodeVerifier, createWebVerifier]) {
      const verify = create({ ...options, telemetry: false });
      await verify(await mint(key));
    }
    await settle();
    expect(await metrics.outcomes('kit.verifications')).toEqual(before);
  });

  it('the Web Crypto entry does not look for the package', async () => {
    const before = await metrics.outcomes('kit.verifications');
    await createWebVerifier(options)(await mint(key));
    await settle();
    expect(await metrics.outcomes('kit.verifications')).toEqual(before);
    // Given the API, it counts.
    await createWebVerifier({ ...options, telemetry: otel })(await mint(key));
    expect(await metrics.outcomes('kit.verifications')).toEqual({ valid: (before.valid ?? 0) + 1 });
  });
});
