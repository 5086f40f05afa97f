/**
 * Hostile access tokens for property tests, and a model of the exact answer the verifier owes to
 * each of them (see `model.ts`). Shared by the verifier's and the HTTP layer's property tests.
 *
 * @module
 */
export { badAccessTokenArb } from './bad-access-token.ts';
export { badClaimsArb } from './bad-claims.ts';
export {
  anyCodeUnit,
  BASE64URL_ALPHABET,
  garbageText,
  ODD_CHARACTERS,
  secretPieces,
  windows,
} from './characters.ts';
export { forgedHeaderArb } from './forged-headers.ts';
export {
  b64u,
  generateTokenKey,
  jsonSegment,
  jws,
  type Signing,
  type TokenAlgorithm,
  type TokenKey,
  tokenKeyFromPrivateJwk,
} from './keys.ts';
export { expectedVerdict, observedVerdict, type Verdict, type VerifierModel } from './model.ts';
export { garbageTokenArb, mutatedTokenArb } from './mutations.ts';
export type { BadToken, TokenSources } from './types.ts';
