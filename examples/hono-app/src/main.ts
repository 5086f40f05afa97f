/**
 * `pnpm --filter @kit/example-hono-app start`: serves the example on http://127.0.0.1:3001.
 *
 * Environment, all optional: `PORT` (3001), `HOST` (127.0.0.1), `DATABASE_URL` (unset: the
 * embedded PostgreSQL), `KIT_SECRET` (unset: one generated into `.data/secret` on first start),
 * `KIT_ISSUER` and `KIT_AUDIENCE` (the server's own origin).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecret } from '@kit/core';
import { DATA_DIR, openDatabase } from './database.ts';
import { startServer } from './server.ts';

const port = Number(process.env.PORT || 3001);
const host = process.env.HOST || '127.0.0.1';
const origin = `http://${host}:${port}`;

/** A development secret kept in `.data/secret`; in production, set KIT_SECRET. */
function localSecret(): string {
  const file = join(DATA_DIR, 'secret');
  if (!existsSync(file)) {
    mkdirSync(DATA_DIR, { recursive: true });
    writeFileSync(file, `${generateSecret()}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

const database = await openDatabase();
const server = await startServer({
  databaseUrl: database.url,
  secret: process.env.KIT_SECRET || localSecret(),
  issuer: process.env.KIT_ISSUER || origin,
  audience: process.env.KIT_AUDIENCE || origin,
  port,
  host,
}).catch(async (error: unknown) => {
  await database.stop();
  throw error;
});
// A replayed refresh token: someone holds a copy. The kit has revoked the session; tell someone.
server.kit.on('reuse_detected', ({ session }) =>
  console.log(`reuse detected: session ${session.id} revoked`),
);
console.log(`listening on ${server.url}`);

async function shutdown() {
  await server.close();
  await database.stop();
  process.exit(0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
