/**
 * `@kit/core/internal`: internals that the repository's own tests, benchmarks and reliability
 * checks need from outside this package. Workspace-only: the entry is in `exports` for the
 * workspace and absent from `publishConfig.exports` (and from the build), so it is never
 * published, and nothing here is public API.
 *
 * @module
 */
export { hkdf, sha256, utf8 } from './crypto/primitives.ts';
export { createKeyWrapper, keyAad } from './keys/key-wrap.ts';
export { RefreshTokenCodec, type RefreshTokenParts } from './tokens/refresh-token.ts';
// The Web Crypto verifier, which `@kit/core/verify` gives every runtime but Node: on Node its
// `node` export condition selects the node:crypto one, so the benchmarks reach this one here.
export { createVerifier as createWebCryptoVerifier } from './verify/index.ts';
