import type { AuthKit } from '@kit/core';
import type { TypedResponse } from 'hono';
import type { BlankInput } from 'hono/types';
import { revocationListHandler } from '../revocation-route.ts';
import type { KitRoute } from './kit-route.ts';
import { revokeRoute } from './revoke-route.ts';
import { tokenRoute } from './token-route.ts';

/** `GET /.well-known/jwks.json`: the public keys, `Cache-Control: public, max-age=N`. @internal */
export const jwksRoute: KitRoute<
  'get',
  '/.well-known/jwks.json',
  BlankInput,
  TypedResponse<ReturnType<AuthKit['jwks']>, 200, 'json'>
> = {
  method: 'get',
  path: '/.well-known/jwks.json',
  handler:
    ({ kit }) =>
    (c) => {
      c.header('cache-control', `public, max-age=${kit.config.jwksMaxAge}`);
      return c.json(kit.jwks());
    },
  operation: () => ({
    tags: ['discovery'],
    summary: 'Public signing keys (JWKS)',
    responses: {
      200: {
        description: 'JWK set, public members only; `Cache-Control: public, max-age=N`.',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['keys'],
              properties: { keys: { type: 'array', items: { type: 'object' } } },
            },
          },
        },
      },
    },
  }),
};

/**
 * `GET /revocations`: session ids revoked while their access tokens may still be live, polled by
 * edge verifiers (`createVerifier({ revocationsUrl })`). @internal
 */
export const revocationsRoute: KitRoute<'get', '/revocations'> = {
  method: 'get',
  path: '/revocations',
  handler: ({ kit, options }) => revocationListHandler(kit, { logger: options.logger }),
  operation: () => ({
    tags: ['discovery'],
    summary: 'Sessions revoked while their access tokens may still be live',
    description:
      'Polled by edge verifiers (`createVerifier({ revocationsUrl })`). `Cache-Control: no-cache` with a strong `ETag`; 304 for a matching `If-None-Match`.',
    responses: {
      200: {
        description: 'The revocation list.',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      304: { description: 'Unchanged since the `If-None-Match` ETag.' },
      503: { description: '`temporarily_unavailable`: the store is unreachable; `Retry-After` is set.' },
    },
  }),
};

/** The RFC 8414 subset `GET /.well-known/oauth-authorization-server` answers. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  revocation_endpoint: string;
  jwks_uri: string;
  grant_types_supported: ['refresh_token'];
  token_endpoint_auth_methods_supported: ['none'];
  revocation_endpoint_auth_methods_supported: ['none'];
  /** The DPoP proof algorithms accepted (RFC 9449 §5.1), when the kit has its `dpop` option. */
  dpop_signing_alg_values_supported?: string[];
}

const METADATA_PATH = '/.well-known/oauth-authorization-server';

/** `GET /.well-known/oauth-authorization-server`: RFC 8414 metadata whose URLs follow the mount. @internal */
export const metadataRoute: KitRoute<
  'get',
  typeof METADATA_PATH,
  BlankInput,
  TypedResponse<AuthorizationServerMetadata, 200, 'json'>
> = {
  method: 'get',
  path: METADATA_PATH,
  handler:
    ({ kit, options: o }) =>
    (c) => {
      // The mount point is whatever precedes the route's own path, so the URLs stay right under
      // any prefix the host mounts these routes at.
      const root = o.baseUrl ?? new URL(c.req.url).origin + c.req.path.slice(0, -METADATA_PATH.length);
      c.header('cache-control', 'public, max-age=300');
      const metadata: AuthorizationServerMetadata = {
        issuer: kit.config.issuer,
        token_endpoint: `${root}${tokenRoute.path}`,
        revocation_endpoint: `${root}${revokeRoute.path}`,
        jwks_uri: `${root}${jwksRoute.path}`,
        grant_types_supported: ['refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
        revocation_endpoint_auth_methods_supported: ['none'],
      };
      if (kit.config.dpop) metadata.dpop_signing_alg_values_supported = [...kit.config.dpop.algorithms];
      return c.json(metadata);
    },
  operation: () => ({
    tags: ['discovery'],
    summary: 'Authorization server metadata (RFC 8414 subset)',
    responses: {
      200: {
        description: 'Metadata',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: [
                'issuer',
                'token_endpoint',
                'revocation_endpoint',
                'jwks_uri',
                'grant_types_supported',
              ],
              properties: {
                issuer: { type: 'string' },
                token_endpoint: { type: 'string', format: 'uri' },
                revocation_endpoint: { type: 'string', format: 'uri' },
                jwks_uri: { type: 'string', format: 'uri' },
                grant_types_supported: {
                  type: 'array',
                  items: { type: 'string', const: 'refresh_token' },
                },
                dpop_signing_alg_values_supported: {
                  type: 'array',
                  items: { type: 'string' },
                  description: 'The DPoP proof algorithms accepted (RFC 9449), when DPoP is configured.',
                },
              },
            },
          },
        },
      },
    },
  }),
};
