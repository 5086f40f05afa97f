import { nodeCrypto } from '../crypto/node-crypto.ts';
import { createNodeBackend } from '../verify/node-backend.ts';
import { type DpopCrypto, webDpopCrypto } from './dpop-crypto.ts';

/**
 * `node:crypto` where the runtime has it (the verifier's Node backend: a one-shot synchronous
 * `verify` with a KeyObject made once per key, and a synchronous SHA-256), Web Crypto elsewhere.
 * Used by the `@kit/core` root, which already reaches `node:crypto` this way; an edge entry uses
 * {@link webDpopCrypto}.
 *
 * @internal
 */
export const dpopCrypto: DpopCrypto = createDpopCrypto();

function createDpopCrypto(): DpopCrypto {
  const node = nodeCrypto;
  const backend = createNodeBackend();
  if (node === undefined || backend === undefined) return webDpopCrypto;
  return Object.freeze({
    backend,
    sha256: (data: Uint8Array) => node.createHash('sha256').update(data).digest(),
  });
}
