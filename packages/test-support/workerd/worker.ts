/**
 * A Cloudflare Worker that verifies access tokens with `@kit/core/verify`, as an edge API would.
 * Bundled by esbuild and run in workerd (miniflare) by `@kit/core`'s `src/verify/workerd.test.ts`;
 * its size is one of `pnpm bench`'s figures.
 *
 * GET / with `Authorization: Bearer <token>` answers `{"ok":true,"sub":...}` or
 * `{"ok":false,"code":"ERR_..."}`.
 */
import { type AccessTokenVerifier, createVerifier, KitError } from '@kit/core/verify';

interface Env {
  ISSUER: string;
  AUDIENCE: string;
  JWKS_URL: string;
  REVOCATIONS_URL: string;
  REVOCATIONS_INTERVAL: string;
}

let verify: AccessTokenVerifier | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // One verifier per isolate: its JWKS cache and revocation list live across requests.
    verify ??= createVerifier({
      issuer: env.ISSUER,
      audience: env.AUDIENCE,
      jwksUrl: env.JWKS_URL,
      revocationsUrl: env.REVOCATIONS_URL,
      revocationsInterval: Number(env.REVOCATIONS_INTERVAL),
    });
    const header = request.headers.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    try {
      const claims = await verify(token);
      return Response.json({ ok: true, sub: claims.sub, sid: claims.sid });
    } catch (error) {
      return Response.json(
        { ok: false, code: error instanceof KitError ? error.code : 'UNEXPECTED' },
        { status: 401 },
      );
    }
  },
};
