/**
 * A Cloudflare Worker that verifies requests with `@kit/core/verify`'s request verifier: Bearer
 * tokens, and DPoP-bound tokens with their `DPoP` proof, as an edge API would. Bundled by esbuild
 * and run in workerd (miniflare) by `@kit/core`'s `src/verify/workerd-dpop.test.ts`.
 *
 * Any request answers `{"ok":true,"sub":...,"scheme":...,"jkt":...}` or
 * `{"ok":false,"code":"ERR_...","check":...,"claim":...}`. Proofs are remembered in the isolate's
 * memory (the request verifier's default).
 */
import { createRequestVerifier, createVerifier, KitError, type RequestVerifier } from '@kit/core/verify';

interface Env {
  ISSUER: string;
  AUDIENCE: string;
  /** The issuer's public JWK set, as JSON. */
  JWKS: string;
}

let requests: RequestVerifier | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // One verifier per isolate: its key cache and its replay cache live across requests.
    requests ??= createRequestVerifier({
      verify: createVerifier({ issuer: env.ISSUER, audience: env.AUDIENCE, jwks: JSON.parse(env.JWKS) }),
    });
    try {
      // In a Worker the request's URL is the one the client used: it is the proof's `htu`.
      const { claims, scheme, jkt } = await requests.verify(request);
      return Response.json({ ok: true, sub: claims.sub, scheme, jkt });
    } catch (error) {
      if (!(error instanceof KitError))
        return Response.json({ ok: false, code: 'UNEXPECTED' }, { status: 500 });
      const { check, claim } = error as KitError & { check?: string; claim?: string };
      return Response.json({ ok: false, code: error.code, check, claim }, { status: 401 });
    }
  },
};
