import type { AuthKitOptions, SessionStore } from '@kit/core';
import type { FakeClock } from './fake-clock.ts';
import { TEST_SECRET, testKeys } from './test-keys.ts';

/**
 * The options the tests' kits start from, over `store` and on `clock`: issuer
 * `https://auth.test`, audience `https://api.test`, {@link TEST_SECRET} and the file's shared
 * signing keys ({@link testKeys}). Both kit fixtures build their kits on these.
 */
export async function testKitOptions(store: SessionStore, clock: FakeClock): Promise<AuthKitOptions> {
  return {
    issuer: 'https://auth.test',
    audience: 'https://api.test',
    secret: TEST_SECRET,
    signingKeys: await testKeys(),
    store,
    clock: clock.now,
  };
}
