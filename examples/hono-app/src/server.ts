import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type AuthKit, createAuthKit } from '@kit/core';
import {
  createKitOrm,
  createMikroOrmKeyStore,
  createMikroOrmStore,
  pendingMigrations,
} from '@kit/core/mikro-orm';
import { createApp } from './app.ts';
import { createCheckPassword } from './users.ts';

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** A migrated PostgreSQL database. */
  databaseUrl: string;
  /** `KIT_SECRET`: 32 bytes or more (`pnpm kit secret generate`). */
  secret: string;
  /** The `iss` and `aud` of access tokens. */
  issuer: string;
  audience: string;
  /** `0` picks a free port. */
  port: number;
  host: string;
}

/** The running example. */
export interface RunningServer {
  /** `http://host:port` */
  url: string;
  kit: AuthKit;
  close(): Promise<void>;
}

/**
 * Starts the example on Node: the kit on PostgreSQL, with its signing keys generated into the
 * database (encrypted under the secret, rotated every 30 days), and the app of `app.ts`.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const orm = await createKitOrm({ databaseUrl: options.databaseUrl });
  const pending = await pendingMigrations(orm);
  if (pending.length > 0) {
    await orm.close();
    throw new Error(
      `The database lacks the kit's tables (${pending.join(', ')}): run \`pnpm --filter @kit/example-hono-app migrate\` first.`,
    );
  }
  const kit = await createAuthKit({
    issuer: options.issuer,
    audience: options.audience,
    secret: options.secret,
    keyStore: createMikroOrmKeyStore({ orm }),
    store: createMikroOrmStore({ orm }),
  });
  const app = createApp(kit, await createCheckPassword());
  const { server, address } = await new Promise<{ server: ReturnType<typeof serve>; address: AddressInfo }>(
    (resolve) => {
      const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, (address) =>
        resolve({ server, address }),
      );
    },
  );
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    kit,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await kit.close();
      await orm.close();
    },
  };
}
