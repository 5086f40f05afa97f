import { jwksRoute, metadataRoute, revocationsRoute } from './discovery-routes.ts';
import type { RoutesSchema } from './kit-route.ts';
import { revokeRoute } from './revoke-route.ts';
import { listSessionsRoute, logoutRoute, revokeSessionRoute } from './session-routes.ts';
import { tokenRoute } from './token-route.ts';

/**
 * Every route of {@link createKitRoutes}, in the order they are registered and documented. The
 * routes, their OpenAPI document and the types of Hono's `hc` client are all read from here.
 * @internal
 */
export const KIT_ROUTES = [
  tokenRoute,
  revokeRoute,
  jwksRoute,
  revocationsRoute,
  metadataRoute,
  listSessionsRoute,
  revokeSessionRoute,
  logoutRoute,
] as const;

/**
 * The Hono schema of {@link createKitRoutes} under `BasePath`: what `hc<typeof routes>` knows of
 * each route (its method, its path, what it takes and what it answers).
 *
 * @example
 * ```ts
 * import type { KitRoutesSchema } from '@kit/hono';
 *
 * type TokenEndpoint = KitRoutesSchema<'/auth'>['/auth/token']['$post'];
 * ```
 */
export type KitRoutesSchema<BasePath extends string = ''> = RoutesSchema<typeof KIT_ROUTES, BasePath>;
