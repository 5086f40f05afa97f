import { type MemoryKitFixture, useMemoryKitFixture } from '@kit/test-support';
import { form, post } from '@kit/test-support/http';
import { Hono } from 'hono';
import { beforeAll } from 'vitest';
import { createKitRoutes } from '../src/create-kit-routes.ts';
import type { KitRoutesOptions } from '../src/options.ts';

/** What {@link useKitRoutesApp} gives the tests of a describe block. */
export interface KitRoutesApp {
  /** The kit's fixture (on the in-memory session store, see `useMemoryKitFixture`). */
  f: Omit<MemoryKitFixture, 'close'>;
  /** A Hono app with the kit's routes mounted at `/`. */
  app: Hono;
  /** Opens a session of `userId` on the kit. */
  open(userId?: string): ReturnType<MemoryKitFixture['kit']['createSession']>;
  /** `POST /token` with a refresh-token grant of `token`, as a form. */
  refresh(token: string): ReturnType<typeof post>;
}

/**
 * The set-up of the route tests, for the describe block that calls it: a kit fixture
 * (`useMemoryKitFixture`) and `createKitRoutes(kit, options)` mounted at `/` of `app`, once the
 * block's `beforeAll` hooks have run. By default the routes have no rate limit (and, given no
 * logger, write no log line); `options` replace these defaults entirely.
 */
export function useKitRoutesApp(options: KitRoutesOptions = { rateLimit: false }): KitRoutesApp {
  const f = useMemoryKitFixture();
  const app = new Hono();
  beforeAll(() => {
    app.route('/', createKitRoutes(f.kit, options));
  });
  return {
    f,
    app,
    open: (userId = 'user-1') => f.kit.createSession({ userId }),
    refresh: (token) => post(app, '/token', form({ grant_type: 'refresh_token', refresh_token: token })),
  };
}
