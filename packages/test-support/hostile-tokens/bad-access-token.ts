import fc from 'fast-check';
import { badClaimsArb } from './bad-claims.ts';
import { forgedHeaderArb } from './forged-headers.ts';
import { garbageTokenArb, mutatedTokenArb } from './mutations.ts';
import type { BadToken, TokenSources } from './types.ts';

/** Every kind of hostile access token above, mixed. */
export function badAccessTokenArb(src: TokenSources, valid: readonly string[]): fc.Arbitrary<BadToken> {
  return fc.oneof(
    { weight: 3, arbitrary: mutatedTokenArb(valid, src.issuerKeys[0]!) },
    { weight: 3, arbitrary: forgedHeaderArb(src) },
    { weight: 2, arbitrary: badClaimsArb(src) },
    { weight: 1, arbitrary: garbageTokenArb() },
  );
}
