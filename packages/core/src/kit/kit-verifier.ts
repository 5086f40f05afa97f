import { webCryptoBackend } from '../verify/backend.ts';
import { createVerifierWith } from '../verify/create-verifier.ts';
import { createNodeBackend } from '../verify/node-backend.ts';
import type { AccessTokenClaims, AccessTokenVerifier } from '../verify/types.ts';
import type { KitContext } from './context.ts';

// The kit verifies its own tokens through node:crypto where it runs on Node.
const verifyBackend = createNodeBackend() ?? webCryptoBackend;

/**
 * `kit.verifyAccessToken`: a verifier over the kit's own published keys, issuer and audience.
 *
 * @internal
 */
export function createKitVerifier(ctx: KitContext): AccessTokenVerifier {
  const { config, keys } = ctx;
  // The kit's own verifier follows the key set: rebuilt when the published keys change.
  let verifier: { version: string; verify: AccessTokenVerifier } | undefined;
  return function verify(token: string): Promise<AccessTokenClaims> {
    const nowMs = ctx.now();
    const version = keys.version(nowMs);
    if (verifier?.version !== version) {
      const jwks = keys.publicJwks(nowMs);
      verifier = {
        version,
        verify: createVerifierWith(
          {
            issuer: config.issuer,
            audience: config.audience,
            jwks,
            algorithms: [...new Set(jwks.keys.map((k) => k.alg))],
            clock: config.clock,
          },
          verifyBackend,
        ),
      };
    }
    return verifier.verify(token);
  };
}
