import { KeyObject } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeBase64url } from '../util/base64url.ts';
import { SIGNING_ALGORITHMS } from './algorithms.ts';
import { generateSigningKeys, importSigningKeys } from './signing-keys.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * On Node the signer uses `node:crypto`. Its KeyObject must not come from the non-extractable
 * CryptoKey: `KeyObject.from()` of such a key is deprecated (DEP0204), a warning on every start in
 * Node 26 and Bun, and an error in a future Node, where the kit could not sign at all.
 */
describe('the node:crypto signer', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    it(`${alg}: signs tokens that verify, without KeyObject.from() on a non-extractable key`, async () => {
      const from = vi.spyOn(KeyObject, 'from');
      const set = await importSigningKeys(await generateSigningKeys({ alg }));
      const input = `${encodeBase64url(new TextEncoder().encode(JSON.stringify({ alg })))}.e30`;
      const subtleSign = vi.spyOn(crypto.subtle, 'sign');
      const signature = await set.current.sign(new TextEncoder().encode(input));
      // Signed by node:crypto, not by the slower Web Crypto fallback.
      expect(subtleSign).not.toHaveBeenCalled();
      const { payload } = await compactVerify(
        `${input}.${encodeBase64url(signature)}`,
        await importJWK(set.current.publicJwk, alg),
      );
      expect(new TextDecoder().decode(payload)).toBe('{}');
      expect(set.current.privateKey.extractable).toBe(false);
      expect(from.mock.calls.filter(([key]) => !(key as CryptoKey).extractable)).toEqual([]);
    });
  }
});
