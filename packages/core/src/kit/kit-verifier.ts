import { webCryptoBackend } from '../verify/backend.ts';
import { createVerifierWith } from '../verify/create-verifier.ts';
import { createNodeBackend } from '../verify/node-backend.ts';
import type { AccessTokenClaims, AccessTokenVerifier } from '../verify/types.ts';
import { createVerifierReport } from '../verify/verifier-report.ts';
import type { KitContext } from './context.ts';

// The kit verifies its own tokens through node:crypto where it runs on Node.
const verifyBackend = createNodeBackend() ?? webCryptoBackend;

/**
 * `kit.verifyAccessToken`: a verifier over the kit's own published keys, issuer and audience. Each
 * verification is counted once in the kit's `kit.verifications` (its telemetry, scope `@kit/core`),
 * whichever verifier the current key set built.
 *
 * @internal
 */
export function createKitVerifier(ctx: KitContext): AccessTokenVerifier {
  const { config, keys } = ctx;
  // One report for the kit's life, not one per rebuilt verifier: its counter is made once. The
  // keys are local, so there is no fetch to count or log.
  const report = createVerifierReport(ctx.telemetry, ctx.logger, config.clock);
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
          { report },
        ),
      };
    }
    return verifier.verify(token);
  };
}
