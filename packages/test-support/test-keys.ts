import { generateSigningKeys, type PrivateJwks } from '@kit/core';

/** The refresh-token secret of the tests' kits. */
export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

let keysPromise: Promise<PrivateJwks> | undefined;
/** One ES256 key set shared by a test file (key generation is the slow part). */
export function testKeys(): Promise<PrivateJwks> {
  keysPromise ??= generateSigningKeys();
  return keysPromise;
}
