import { type VerifyBackend, webCryptoBackend } from '../verify/backend.ts';

/**
 * The cryptography a DPoP proof check needs: the access-token verifier's signature backend (so a
 * proof's signature is checked by exactly the code that checks access tokens) and SHA-256 (for
 * thumbprints, `ath` and replay keys).
 *
 * @internal
 */
export interface DpopCrypto {
  readonly backend: VerifyBackend;
  sha256(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * Web Crypto only, for every runtime (the edge included): imports nothing from `node:*`.
 *
 * @internal
 */
export const webDpopCrypto: DpopCrypto = Object.freeze({
  backend: webCryptoBackend,
  sha256: async (data: Uint8Array) =>
    new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource)),
});
